"""Evaluate a trained run: pick the metrics that fit its data, write metrics.json,
metrics.csv and plots, and return the numbers. Used by ``mpgan evaluate`` and by the
training-time :class:`MetricsCallback`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import MpganError
from ..io import atomic_save, atomic_write_text

if TYPE_CHECKING:
    from ..data_spec import Dataset
    from ..training.trainer import Trainer

IMAGE_METRICS = ("fid", "kid", "is", "precision_recall", "mode_coverage", "discriminator_accuracy",
                 "label_agreement")
TOY_METRICS = ("distribution",)
TABULAR_METRICS = ("tabular",)


def available_metrics(kind: str) -> tuple[str, ...]:
    return {"image": IMAGE_METRICS, "toy": TOY_METRICS, "tabular": TABULAR_METRICS}[kind]


def _check_metrics(kind: str, metrics: list[str] | tuple[str, ...] | None) -> list[str]:
    known = available_metrics(kind)
    if not metrics:
        return list(known)
    bad = [m for m in metrics if m not in known]
    if bad:
        raise MpganError(f"unknown metric(s) {', '.join(bad)} for {kind} data; available: {', '.join(known)}")
    return list(metrics)


def reference_distribution(trainer: Trainer):
    """The scipy distribution a toy dataset was drawn from, when it is known."""
    from scipy import stats

    name, params = trainer.config.data.name, trainer.config.data.params
    if name == "rayleigh":
        return stats.rayleigh(scale=float(params.get("sigma", 1.0)))
    if name == "normal":
        return stats.norm(float(params.get("mean", 10.0)), float(params.get("std", 1.0)))
    if name == "gaussian_mixture":
        return GaussianMixture1D(params.get("means", (-2.0, 2.0)), params.get("stds", (0.5, 0.5)),
                                 params.get("weights"))
    return None


class GaussianMixture1D:
    """A 1-D Gaussian mixture with the ``cdf``/``pdf``/``ppf`` a frozen scipy distribution has."""

    def __init__(self, means, stds, weights=None):
        from scipy import stats

        self.means, self.stds = np.asarray(means, float), np.asarray(stds, float)
        w = np.ones(len(self.means)) if weights is None else np.asarray(weights, float)
        self.weights = w / w.sum()
        self._parts = [stats.norm(m, s) for m, s in zip(self.means, self.stds, strict=True)]

    def cdf(self, x):
        return sum(w * p.cdf(x) for w, p in zip(self.weights, self._parts, strict=True))

    def pdf(self, x):
        return sum(w * p.pdf(x) for w, p in zip(self.weights, self._parts, strict=True))

    def ppf(self, q):
        from scipy.optimize import brentq

        q = np.atleast_1d(np.asarray(q, float))
        lo, hi = (self.means - 10 * self.stds).min(), (self.means + 10 * self.stds).max()
        return np.array([brentq(lambda x, t=t: self.cdf(x) - t, lo, hi) for t in q])


def evaluate(trainer: Trainer, n: int = 1000, metrics: list[str] | None = None, seed: int = 0,
             out_dir: str | Path | None = None, plots: bool = True, ladder: bool = True) -> dict[str, Any]:
    """Score ``n`` generated samples of ``trainer`` against its real data.

    Returns a dict of metric dicts (each with its sample sizes); with ``out_dir``
    writes ``metrics.json``, ``metrics.csv`` (flattened) and the plots. For images,
    ``ladder`` adds the FID calibration ladder (:mod:`mpgan.metrics.calibration`).
    """
    if n < 2:
        raise MpganError(f"--n must be at least 2 samples, got {n}")
    kind = trainer.dataset.spec.kind
    asked = metrics
    metrics = _check_metrics(kind, metrics)
    if kind == "image" and not trainer.condition_dim:
        if asked and "label_agreement" in asked:
            raise MpganError("label_agreement scores a conditional run (generator.params.conditional: true); "
                             "this run's generator is unconditional")
        metrics = [m for m in metrics if m != "label_agreement"]
    out = Path(out_dir) if out_dir is not None else None
    fake = trainer.sample(n, seed=seed)
    real_all = trainer.dataset.x
    result: dict[str, Any] = {"run": str(trainer.run_dir) if trainer.run_dir else None,
                              "step": int(trainer.step.numpy()), "epoch": int(trainer.epoch.numpy()),
                              "kind": kind, "n_fake": int(n), "seed": seed}
    if kind == "image":
        result.update(_evaluate_images(trainer, fake, metrics, seed, out if plots else None, ladder))
    elif kind == "toy":
        result.update(_evaluate_toy(trainer, real_all, fake, out if plots else None))
    else:
        result.update(_evaluate_tabular(trainer, fake, seed, out))
    if out is not None:
        write_results(result, out)
    return result


def image_reference(trainer: Trainer, n: int, seed: int = 0) -> dict[str, Any]:
    """The real images a run is scored against, and a disjoint pool for the calibration ladder."""
    return reference_images(trainer.dataset, trainer.config.data.name, trainer.config.data.params, n, seed)


def reference_images(ds: Dataset, name: str, params: dict[str, Any], n: int, seed: int = 0) -> dict[str, Any]:
    """The real images that samples of a model trained on ``ds`` (dataset ``name`` with
    ``params``) are scored against, and a disjoint pool for the calibration ladder.

    With a held-out split (``split: test`` of MNIST-like datasets) the reference is up
    to ``n`` held-out images and the pool is the training data; otherwise the training
    data is split in two seeded halves (the reference at most half of it).
    """
    from ..data import load_heldout

    rng = np.random.default_rng(seed)
    held = load_heldout(name, params)
    if held is not None:
        pick = rng.choice(len(held), min(n, len(held)), replace=False)
        ref = held.x[pick]
        return {"reference": ref, "reference_y": None if held.y is None else held.y[pick],
                "pool_x": ds.x, "pool_y": ds.y,
                "reference_source": f"{len(ref)} held-out images ({held.info.get('split', 'test')} split)"}
    perm = rng.permutation(len(ds))
    k = min(n, len(ds) // 2)
    pool = perm[k:]
    return {"reference": ds.x[perm[:k]], "reference_y": None if ds.y is None else ds.y[perm[:k]],
            "pool_x": ds.x[pool],
            "pool_y": None if ds.y is None else ds.y[pool],
            "reference_source": f"{k} training images (the other {len(pool)} form the ladder's pool)"}


def _evaluate_images(trainer, fake, metrics, seed, out, ladder):
    from .features import classifier_extractor
    from .images import discriminator_accuracy, evaluate_images

    ref = image_reference(trainer, len(fake), seed)
    real = ref["reference"]
    res: dict[str, Any] = {}
    extractor = None
    feature_metrics = [m for m in metrics if m not in ("discriminator_accuracy", "label_agreement")]
    if feature_metrics or "label_agreement" in metrics:
        if trainer.dataset.y is None:
            raise MpganError(f"image metrics need a labelled dataset to train their feature extractor; "
                             f"'{trainer.config.data.name}' has no labels")
        # The extractor sees the whole dataset whatever a run's ``limit``, so scores of
        # runs on subsets stay comparable with each other.
        params = {k: v for k, v in trainer.config.data.params.items() if k != "limit"}
        extractor = classifier_extractor(trainer.config.data.name, params, seed=0)
        if feature_metrics:
            res.update(evaluate_images(real, fake, extractor, metrics=tuple(feature_metrics), seed=seed))
        res["reference"] = ref["reference_source"]
        if ladder and "fid" in res:
            from .calibration import calibration_ladder, place

            lad = calibration_ladder(real, ref["pool_x"], ref["pool_y"], extractor, seed=seed)
            res["fid"]["ladder"] = {k: v["fid"] for k, v in lad["rungs"].items()}
            res["fid"]["ladder_n"] = lad["n"]
            res["fid"]["reads_as"] = place(res["fid"]["value"], lad)
    if "discriminator_accuracy" in metrics:
        if getattr(trainer.discriminators[0], "condition_dim", 0):
            res["discriminator_accuracy"] = {"skipped": "a conditional discriminator needs labels with each image"}
        else:
            res["discriminator_accuracy"] = discriminator_accuracy(trainer.discriminators[0], real, fake)
    if "label_agreement" in metrics:
        res["label_agreement"] = label_agreement(trainer, extractor, len(fake), seed,
                                                 real=(real, ref["reference_y"]))
    if out is not None:
        from .. import plots

        plots.save_image_grid(trainer.dataset.inverse_transform(fake[:64]), out / "samples.png",
                              title=f"{len(fake)} samples, step {int(trainer.step.numpy())}")
        cov = res.get("mode_coverage")
        if cov and "histogram" in cov:
            plots.plot_class_histogram(cov["histogram"], out / "mode_coverage.png",
                                       class_names=trainer.dataset.class_names)
    return res


def label_agreement(trainer: Trainer, extractor: Any, n: int, seed: int = 0,
                    real: tuple[np.ndarray, np.ndarray | None] | None = None) -> dict[str, Any]:
    """A conditional run's samples for each requested class, labelled by the classifier behind
    the feature extractor: the share it assigns to the requested class, overall and per class.
    Given labelled real images, the classifier's accuracy on them is the scale
    (``real_accuracy``): samples cannot be judged more right than the judge is."""
    k = trainer.condition_dim
    asked = np.arange(n) % k
    probs = extractor.probabilities(trainer.sample(n, seed=seed, labels=asked))
    hit = probs.argmax(axis=1) == asked
    per_class = [float(hit[asked == c].mean()) for c in range(k)]
    out = {"value": float(hit.mean()), "per_class": per_class, "min_class": float(min(per_class)),
           "mean_confidence": float(probs.max(axis=1).mean()), "n_fake": int(n)}
    if real is not None and real[1] is not None:
        out["real_accuracy"] = float((extractor.probabilities(real[0]).argmax(axis=1) == real[1]).mean())
    return out


def _evaluate_toy(trainer, real_all, fake, out):
    from .stats import distribution_report

    dist = reference_distribution(trainer)
    res = {"distribution": distribution_report(fake.ravel(), real=real_all.ravel(), dist=dist)}
    if out is not None:
        from .. import plots

        plots.plot_toy_samples(real_all, fake, out / "histogram.png",
                               density=dist.pdf if dist is not None else None,
                               title=f"{trainer.config.name}: generated vs real")
    return res


def _evaluate_tabular(trainer, fake, seed, out):
    """The table report. Utility is scored on the rows the run held out of training
    (``data.params.holdout``); without a holdout it falls back to a 70/30 split of the
    training rows, which flatters TSTR (the generator saw the test rows), and says so."""
    from sklearn.model_selection import train_test_split

    from .tabular import tabular_report

    ds = trainer.dataset
    real = ds.frame if ds.frame is not None else pd.DataFrame(ds.inverse_transform(ds.x))
    synthetic = pd.DataFrame(ds.inverse_transform(fake))
    target = ds.info.get("target")
    note = None
    if ds.holdout is not None:
        train, test = real, ds.holdout
        note = f"TSTR/TRTR are scored on {len(test)} real rows held out of training."
    else:
        strat = real[target] if target in real.columns else None
        try:
            train, test = train_test_split(real, test_size=0.3, random_state=seed, stratify=strat)
        except ValueError:
            train, test = train_test_split(real, test_size=0.3, random_state=seed)
        note = ("This run held no rows out of training, so the test rows below were seen by the generator "
                "and TSTR is optimistic; train with data.params.holdout (mpgan synthesize --holdout 0.3) "
                "for an honest score.")
    categorical = [target] if target is not None else None
    return {"tabular": tabular_report(train, test, synthetic, target=target, out_dir=out, note=note,
                                      categorical=categorical)}


def flatten(result: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested metric dicts → ``{"fid.value": ..., "fid.n_real": ...}`` scalars only."""
    flat: dict[str, Any] = {}
    for key, value in result.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, name + "."))
        elif isinstance(value, (int, float, np.integer, np.floating, str, bool)) or value is None:
            flat[name] = value.item() if isinstance(value, np.generic) else value
    return flat


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, pd.DataFrame):
        return obj.to_dict(orient="records")
    return obj


def write_results(result: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "metrics.json", json.dumps(_jsonable(result), indent=1))
    flat = flatten(result)
    atomic_save(out / "metrics.csv", lambda p: pd.DataFrame([flat]).to_csv(p, index=False), suffix=".csv")


def image_summary(result: dict[str, Any]) -> list[str]:
    """Readable lines for an image evaluation: FID on its ladder, class shares, confidence."""
    lines = []
    fid = result.get("fid")
    if fid:
        lines.append(f"FID {fid['value']:.2f} ({fid['n_fake']} samples vs {result.get('reference', 'real images')})")
        if "ladder" in fid:
            from .calibration import LADDER

            labels = {r.name: r.label for r in LADDER}
            lines.append(f"  reads as: {fid['reads_as']}")
            lines.append(f"  calibration ladder (same extractor, n = {fid['ladder_n']}):")
            lines += [f"    {labels.get(k, k):32s} {v:8.2f}" for k, v in fid["ladder"].items()]
    agree = result.get("label_agreement")
    if agree:
        lines.append(f"label agreement {agree['value']:.1%} (classifier labels = requested class; worst class "
                     f"{agree['min_class']:.1%}, mean confidence {agree['mean_confidence']:.3f})")
        if "real_accuracy" in agree:
            lines.append(f"  the classifier on real reference images: {agree['real_accuracy']:.1%} right")
    cov = result.get("mode_coverage")
    if cov:
        shares = ", ".join(f"{n} {s:.1%}" for n, s in zip(cov["class_names"], cov["histogram"], strict=True))
        lines.append(f"class shares (classifier labels): {shares}")
        lines.append(f"  classes below half their fair share: {cov['n_missing']} {cov['missing'] or ''}".rstrip())
        lines.append(f"  mean classifier confidence {cov['mean_confidence']:.3f} "
                     f"(real reference images: {cov['real_confidence']:.3f})")
    return lines


def format_table(result: dict[str, Any]) -> str:
    """A readable two-column table of the scalar results."""
    flat = flatten(result)
    width = max(len(k) for k in flat) if flat else 0
    lines = []
    for key, value in flat.items():
        shown = f"{value:.4g}" if isinstance(value, float) else str(value)
        lines.append(f"{key.ljust(width)}  {shown}")
    return "\n".join(lines)
