"""Image metrics on extractor features: FID, KID, Inception Score, precision/recall,
mode coverage, plus discriminator accuracy and the FID sample-size study.

Every result is a JSON-serialisable dict that carries its sample sizes (``n_real``,
``n_fake``): FID and IS are biased by sample size (seed 002), so a number without its
n cannot be compared. :func:`evaluate_images` also records the extractor's id, since
scores from different extractors are not comparable either.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import MpganError

if TYPE_CHECKING:
    import keras
    import pandas as pd

    from .features import FeatureExtractor

IMAGE_FEATURE_METRICS: tuple[str, ...] = ("fid", "kid", "is", "precision_recall", "mode_coverage")


def _matrix(x: Any, name: str, min_rows: int = 2) -> np.ndarray:
    """A finite float64 ``(n, d)`` array with at least ``min_rows`` rows, or a clear error."""
    a = np.asarray(x, dtype=np.float64) if np.asarray(x).dtype.kind in "biuf" else None
    if a is None or a.ndim != 2:
        shape = np.shape(x)
        raise MpganError(f"{name} must be a numeric 2-D array (n_samples, n_features), got shape {shape}")
    if len(a) < min_rows:
        raise MpganError(f"{name} needs at least {min_rows} samples, got {len(a)}")
    if not np.isfinite(a).all():
        raise MpganError(f"{name} contains {int((~np.isfinite(a)).sum())} NaN/Inf values")
    return a


def _same_width(a: np.ndarray, b: np.ndarray) -> None:
    if a.shape[1] != b.shape[1]:
        raise MpganError(f"real and generated features differ in width ({a.shape[1]} vs {b.shape[1]}); "
                         "use the same extractor for both")


# --------------------------------------------------------------------------- FID


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray,
                     eps: float = 1e-6) -> float:
    """Fréchet (2-Wasserstein) distance between N(mu1, sigma1) and N(mu2, sigma2).

    ``|mu1-mu2|^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2))``. The matrix square root comes from
    ``scipy.linalg.sqrtm``; when it is not finite or inaccurate (near-singular
    covariances) ``eps * I`` is added to both; tiny imaginary parts
    from round-off are dropped, and a large one falls back to the symmetric form
    ``Tr((S1^(1/2) S2 S1^(1/2))^(1/2))``, which has the same trace in exact arithmetic.
    """
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    s1, s2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    d = mu1.shape[0]
    if mu1.shape != (d,) or mu2.shape != (d,) or s1.shape != (d, d) or s2.shape != (d, d):
        raise MpganError(f"frechet_distance needs two means of shape (d,) and covariances (d, d); got "
                         f"{mu1.shape}, {s1.shape}, {mu2.shape}, {s2.shape}")
    for name, a in (("mu1", mu1), ("sigma1", s1), ("mu2", mu2), ("sigma2", s2)):
        if not np.isfinite(a).all():
            raise MpganError(f"frechet_distance: {name} contains NaN/Inf values")
    diff = mu1 - mu2
    product = s1 @ s2
    covmean = _sqrtm(product)
    if covmean is None:
        offset = np.eye(d) * eps
        covmean = _sqrtm((s1 + offset) @ (s2 + offset))
    if covmean is None:
        tr_covmean = _trace_sqrt_product(s1, s2)
    elif np.iscomplexobj(covmean):
        scale = max(1.0, float(np.abs(covmean.real).max()))
        if np.abs(covmean.imag).max() < 1e-3 * scale:
            tr_covmean = float(np.trace(covmean.real))
        else:
            tr_covmean = _trace_sqrt_product(s1, s2)
    else:
        tr_covmean = float(np.trace(covmean))
    value = float(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * tr_covmean)
    return max(value, 0.0)  # the distance is >= 0; round-off can leave a tiny negative


def _sqrtm(a: np.ndarray) -> np.ndarray | None:
    """``scipy.linalg.sqrtm(a)``, or None when it is not finite or does not square back to ``a``.

    sqrtm warns "Matrix is singular" for every rank-deficient covariance product (dead
    ReLU features, n < d) even when its result is exact, so the warning is replaced by
    a residual check.
    """
    import warnings

    from scipy import linalg

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        root = linalg.sqrtm(a)
    if not np.isfinite(root).all():
        return None
    norm = float(np.linalg.norm(a))
    if norm > 0 and float(np.linalg.norm(root @ root - a)) > 1e-6 * norm:
        return None
    return root


def _trace_sqrt_product(s1: np.ndarray, s2: np.ndarray) -> float:
    """``Tr((S1 S2)^(1/2))`` via the symmetric PSD matrix ``S1^(1/2) S2 S1^(1/2)`` (always real)."""
    w, v = np.linalg.eigh((s1 + s1.T) / 2)
    half = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    m = half @ ((s2 + s2.T) / 2) @ half
    return float(np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0, None)).sum())


def fid_from_features(f_real: np.ndarray, f_fake: np.ndarray) -> dict[str, Any]:
    """FID between two feature sets: the Fréchet distance of their Gaussian fits.

    Biased upwards at small n (seed 002: ~50k samples suggested); compare only values
    computed with the same ``n_real``/``n_fake`` and extractor.
    """
    a, b = _matrix(f_real, "f_real"), _matrix(f_fake, "f_fake")
    _same_width(a, b)
    value = frechet_distance(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))
    return {"value": value, "n_real": int(len(a)), "n_fake": int(len(b))}


# --------------------------------------------------------------------------- KID


def _mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    d = x.shape[1]
    m = len(x)
    k_xx = (x @ x.T / d + 1.0) ** 3
    k_yy = (y @ y.T / d + 1.0) ** 3
    k_xy = (x @ y.T / d + 1.0) ** 3
    sum_xx = k_xx.sum() - np.trace(k_xx)
    sum_yy = k_yy.sum() - np.trace(k_yy)
    return float((sum_xx + sum_yy) / (m * (m - 1)) - 2.0 * k_xy.mean())


def kid_from_features(f_real: np.ndarray, f_fake: np.ndarray, subsets: int = 50,
                      subset_size: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Kernel Inception Distance: unbiased MMD² with k(x, y) = (x·y/d + 1)³, averaged over subsets.

    Unlike FID its estimate is unbiased, so small samples give noisy but centred
    values; ``std`` is the spread over the ``subsets`` random draws.
    """
    a, b = _matrix(f_real, "f_real"), _matrix(f_fake, "f_fake")
    _same_width(a, b)
    if isinstance(subsets, bool) or int(subsets) != subsets or subsets < 1:
        raise MpganError(f"kid subsets must be a positive integer, got {subsets!r}")
    if isinstance(subset_size, bool) or int(subset_size) != subset_size or subset_size < 2:
        raise MpganError(f"kid subset_size must be an integer >= 2, got {subset_size!r}")
    m = int(min(subset_size, len(a), len(b)))
    rng = np.random.default_rng(seed)
    values = np.array([
        _mmd2_unbiased(a[rng.choice(len(a), m, replace=False)], b[rng.choice(len(b), m, replace=False)])
        for _ in range(int(subsets))
    ])
    return {"value": float(values.mean()), "std": float(values.std()), "subsets": int(subsets),
            "subset_size": m, "n_real": int(len(a)), "n_fake": int(len(b))}


# --------------------------------------------------------------------------- IS


def _probabilities(p: Any, name: str = "probabilities") -> np.ndarray:
    a = _matrix(p, name, min_rows=1)
    if a.shape[1] < 2:
        raise MpganError(f"{name} must have one column per class (at least 2), got {a.shape[1]}")
    if (a < 0).any():
        raise MpganError(f"{name} holds negative values; pass softmax probabilities, not logits")
    sums = a.sum(axis=1)
    if not np.allclose(sums, 1.0, atol=1e-3):
        raise MpganError(f"{name} rows must sum to 1 (softmax outputs); they sum to between "
                         f"{sums.min():.4g} and {sums.max():.4g}")
    return a / sums[:, None]


def inception_score_from_probs(p: np.ndarray, splits: int = 10) -> dict[str, Any]:
    """Inception Score exp(E_x[KL(p(y|x) || p(y))]), mean and std over ``splits`` consecutive chunks.

    High when each sample is classified confidently and the classes are diverse; at
    most the number of classes. With the local classifier it is an IS *analogue*.
    """
    from scipy.special import xlogy

    a = _probabilities(p, "p")
    if isinstance(splits, bool) or int(splits) != splits or splits < 1:
        raise MpganError(f"inception score splits must be a positive integer, got {splits!r}")
    splits = int(min(splits, len(a)))
    scores = []
    for part in np.array_split(a, splits):
        py = part.mean(axis=0, keepdims=True)
        kl = (xlogy(part, part) - xlogy(part, py)).sum(axis=1)
        scores.append(float(np.exp(kl.mean())))
    return {"value": float(np.mean(scores)), "std": float(np.std(scores)), "splits": splits,
            "num_classes": int(a.shape[1]), "n_fake": int(len(a))}


# --------------------------------------------------------------------------- precision / recall


def kth_radius(x: np.ndarray, k: int) -> np.ndarray:
    """Distance from each row of ``x`` to its k-th nearest other row."""
    from sklearn.neighbors import NearestNeighbors

    dist, _ = NearestNeighbors(n_neighbors=k + 1).fit(x).kneighbors(x)
    return dist[:, k]


def covered(queries: np.ndarray, centres: np.ndarray, radii: np.ndarray,
             max_cells: int = 4_000_000) -> np.ndarray:
    """For each query: does it lie within some centre's radius? (chunked distance matrix)"""
    from sklearn.metrics import pairwise_distances

    out = np.empty(len(queries), dtype=bool)
    step = max(1, max_cells // max(1, len(centres)))
    for start in range(0, len(queries), step):
        d = pairwise_distances(queries[start:start + step], centres)
        out[start:start + step] = (d <= radii[None, :]).any(axis=1)
    return out


def precision_recall_from_features(f_real: np.ndarray, f_fake: np.ndarray, k: int = 3) -> dict[str, Any]:
    """Improved precision and recall (Kynkäänniemi et al. 2019) on k-NN manifolds.

    Precision: share of generated samples inside the real manifold (fidelity);
    recall: share of real samples inside the generated manifold (coverage — the
    number that drops when a GAN collapses onto a few modes).
    """
    if isinstance(k, bool) or int(k) != k or k < 1:
        raise MpganError(f"precision/recall k must be a positive integer, got {k!r}")
    k = int(k)
    a, b = _matrix(f_real, "f_real", k + 1), _matrix(f_fake, "f_fake", k + 1)
    _same_width(a, b)
    precision = float(covered(b, a, kth_radius(a, k)).mean())
    recall = float(covered(a, b, kth_radius(b, k)).mean())
    return {"precision": precision, "recall": recall, "k": k, "n_real": int(len(a)),
            "n_fake": int(len(b))}


# --------------------------------------------------------------------------- mode coverage


def mode_coverage(probs_fake: np.ndarray, num_classes: int | None = None,
                  class_names: Sequence[str] | None = None) -> dict[str, Any]:
    """Class histogram of generated samples (argmax of the classifier) and the classes it misses.

    A class counts as missing when its share is below half the fair share 1/K — the
    "missing digits" of mode collapse. ``probs_fake`` may also be 1-D integer labels.
    """
    raw = np.asarray(probs_fake)
    if raw.ndim == 1 and raw.dtype.kind in "iu":
        labels = raw.astype(np.int64)
        if len(labels) == 0:
            raise MpganError("mode_coverage needs at least one generated sample, got 0")
        k = int(num_classes if num_classes is not None else (len(class_names) if class_names else labels.max() + 1))
        if labels.min() < 0 or labels.max() >= k:
            raise MpganError(f"mode_coverage labels must lie in 0..{k - 1}, got {labels.min()}..{labels.max()}")
    else:
        p = _matrix(raw, "probs_fake", min_rows=1)
        k = int(num_classes) if num_classes is not None else p.shape[1]
        if k != p.shape[1]:
            raise MpganError(f"mode_coverage got num_classes={num_classes} but probabilities for "
                             f"{p.shape[1]} classes")
        labels = p.argmax(axis=1)
    if k < 2:
        raise MpganError(f"mode_coverage needs at least 2 classes, got {k}")
    if class_names is not None and len(class_names) != k:
        raise MpganError(f"mode_coverage got {len(class_names)} class names for {k} classes")
    names = [str(c) for c in class_names] if class_names is not None else None
    counts = np.bincount(labels, minlength=k)
    shares = counts / counts.sum()
    fair = 1.0 / k
    missing_idx = [int(i) for i in np.flatnonzero(shares < fair / 2)]
    nz = shares[shares > 0]
    entropy = float(-(nz * np.log(nz)).sum())
    return {
        "histogram": [float(s) for s in shares],
        "counts": [int(c) for c in counts],
        "class_names": names if names is not None else [str(i) for i in range(k)],
        "num_classes": k,
        "fair_share": fair,
        "threshold": fair / 2,
        "n_missing": len(missing_idx),
        "missing": [names[i] for i in missing_idx] if names is not None else missing_idx,
        "entropy": entropy,
        "max_entropy": float(np.log(k)),
        "kl_from_uniform": max(0.0, float(np.log(k)) - entropy),
        "n_fake": int(len(labels)),
    }


# --------------------------------------------------------------------------- discriminator


def _logits(model: keras.Model, x: np.ndarray, batch_size: int) -> np.ndarray:
    import keras

    out = []
    for start in range(0, len(x), batch_size):
        y = model(x[start:start + batch_size], training=False)
        if isinstance(y, (list, tuple, dict)):
            raise MpganError("discriminator_accuracy needs a discriminator with one logit output, "
                             f"'{model.name}' returns {len(y)} outputs")
        y = np.asarray(keras.ops.convert_to_numpy(keras.ops.cast(y, "float32")))
        out.append(y.reshape(len(y), -1))
    logits = np.concatenate(out)
    if logits.shape[1] != 1:
        raise MpganError(f"discriminator_accuracy needs one logit per sample, '{model.name}' gives "
                         f"{logits.shape[1]}")
    return logits[:, 0]


def discriminator_accuracy(discriminator: keras.Model, real: np.ndarray, fake: np.ndarray,
                           batch_size: int = 256) -> dict[str, Any]:
    """Share of real samples with logit > 0 and of generated ones with logit < 0.

    Near 0.5/0.5 means the discriminator cannot tell them apart (or has collapsed);
    near 1/1 means it wins easily — read it beside the sample-based metrics.
    """
    if isinstance(batch_size, bool) or int(batch_size) != batch_size or batch_size < 1:
        raise MpganError(f"discriminator_accuracy batch_size must be a positive integer, got {batch_size!r}")
    arrays = []
    for name, x in (("real", real), ("fake", fake)):
        x = np.asarray(x)
        if x.dtype.kind not in "biuf" or len(x) == 0:
            raise MpganError(f"discriminator_accuracy needs a non-empty numeric {name} array, "
                             f"got shape {x.shape} and dtype {x.dtype}")
        arrays.append(x.astype(np.float32, copy=False))
    r = _logits(discriminator, arrays[0], int(batch_size))
    f = _logits(discriminator, arrays[1], int(batch_size))
    acc_r, acc_f = float(np.mean(r > 0)), float(np.mean(f < 0))
    return {"real": acc_r, "fake": acc_f, "mean": (acc_r * len(r) + acc_f * len(f)) / (len(r) + len(f)),
            "n_real": int(len(r)), "n_fake": int(len(f))}


# --------------------------------------------------------------------------- all at once


def evaluate_images(real: np.ndarray, fake: np.ndarray, extractor: FeatureExtractor,
                    metrics: Sequence[str] = IMAGE_FEATURE_METRICS, seed: int = 0) -> dict[str, Any]:
    """Extract features/probabilities once and compute the requested metrics.

    Returns ``{name: metric_dict, ..., "n_real", "n_fake", "extractor", "extractor_info"}``
    with names from ``fid``, ``kid``, ``is``, ``precision_recall``, ``mode_coverage``.
    """
    if isinstance(metrics, str):
        metrics = (metrics,)
    metrics = list(dict.fromkeys(metrics))
    bad = [m for m in metrics if m not in IMAGE_FEATURE_METRICS]
    if bad:
        raise MpganError(f"unknown image metric(s) {', '.join(map(str, bad))}; known: "
                         f"{', '.join(IMAGE_FEATURE_METRICS)}")
    if not metrics:
        raise MpganError(f"evaluate_images got no metrics; pick from {', '.join(IMAGE_FEATURE_METRICS)}")
    f_fake, p_fake = extractor.features_and_probabilities(fake)
    needs_real = any(m in ("fid", "kid", "precision_recall", "mode_coverage") for m in metrics)
    f_real, p_real = extractor.features_and_probabilities(real) if needs_real else (None, None)
    n_real = int(len(np.asarray(real)))
    out: dict[str, Any] = {}
    for name in metrics:
        if name == "fid":
            out[name] = fid_from_features(f_real, f_fake)
        elif name == "kid":
            out[name] = kid_from_features(f_real, f_fake, seed=seed)
        elif name == "is":
            out[name] = {**inception_score_from_probs(p_fake), "n_real": n_real}
        elif name == "precision_recall":
            out[name] = precision_recall_from_features(f_real, f_fake)
        elif name == "mode_coverage":
            names = extractor.info.get("class_names") or None
            if names is not None and len(names) != p_fake.shape[1]:
                names = None
            # The classifier's mean confidence (max probability): real images set its scale.
            out[name] = {**mode_coverage(p_fake, class_names=names), "n_real": n_real,
                         "mean_confidence": float(p_fake.max(axis=1).mean()),
                         "real_confidence": float(p_real.max(axis=1).mean())}
    out.update({"n_real": n_real, "n_fake": int(len(f_fake)), "extractor": extractor.id,
                "extractor_info": extractor.info})
    return out


# --------------------------------------------------------------------------- FID bias study


def fid_sample_size_study(real: np.ndarray, extractor: FeatureExtractor,
                          sizes: Sequence[int] = (100, 250, 500, 1000), repeats: int = 3,
                          seed: int = 0) -> pd.DataFrame:
    """FID between two disjoint random halves of *real* data, n images each: the floor an
    n-sample FID cannot go below even for a perfect generator (seed 002's bias).

    One row per (n, repeat): ``n, repeat, fid, n_real, n_fake, extractor``. Sizes above
    half the data are skipped (listed in ``df.attrs["skipped"]``).
    """
    import pandas as pd

    if isinstance(repeats, bool) or int(repeats) != repeats or repeats < 1:
        raise MpganError(f"fid_sample_size_study repeats must be a positive integer, got {repeats!r}")
    x = np.asarray(real)
    half = len(x) // 2
    bad = [s for s in sizes if isinstance(s, bool) or int(s) != s or s < 2]
    if bad:
        raise MpganError(f"fid_sample_size_study sizes must be integers >= 2, got {bad}")
    usable = sorted({int(s) for s in sizes if s <= half})
    skipped = sorted({int(s) for s in sizes if s > half})
    if not usable:
        raise MpganError(f"fid_sample_size_study: every size in {list(sizes)} exceeds half of the "
                         f"{len(x)} real samples ({half}); pass smaller sizes or more data")
    feats = extractor.features(x)
    rng = np.random.default_rng(seed)
    rows = []
    for n in usable:
        for r in range(int(repeats)):
            idx = rng.permutation(len(feats))
            res = fid_from_features(feats[idx[:n]], feats[idx[n:2 * n]])
            rows.append({"n": n, "repeat": r, "fid": res["value"], "n_real": n, "n_fake": n,
                         "extractor": extractor.id})
    df = pd.DataFrame(rows)
    df.attrs["skipped"] = skipped
    return df


__all__ = [
    "IMAGE_FEATURE_METRICS", "discriminator_accuracy", "evaluate_images", "fid_from_features",
    "fid_sample_size_study", "frechet_distance", "inception_score_from_probs",
    "kid_from_features", "mode_coverage", "precision_recall_from_features",
]
