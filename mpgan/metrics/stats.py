"""Distribution metrics for 1-D samples: toy distributions and single table columns.

Every function takes plain arrays (any shape that is 1-D or ``(n, 1)``) and returns a
dict of Python floats/ints/lists that always names its sample sizes, so results can go
straight into JSON or a CSV row. The tests are thin wrappers around scipy, so p-values
mean exactly what scipy documents; :func:`wasserstein1_to_cdf` and :func:`mode_masses`
are mpgan's own.

Reference distributions (``cdf``/``ppf``/``dist`` arguments) are scipy frozen
distributions or any object with the same methods (duck-typed: ``cdf`` for KS/CvM,
``ppf`` for W1, ``mean()``/``std()`` for moment errors).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..errors import DataError
from ..lazy import lazy_module

_st = lazy_module("scipy.stats")  # imported on first use: it costs ~1 s

__all__ = [
    "moments",
    "moment_errors",
    "ks_1samp",
    "ks_2samp",
    "cramervonmises_1samp",
    "cramervonmises_2samp",
    "wasserstein1",
    "wasserstein1_to_cdf",
    "mode_masses",
    "distribution_report",
]

#: Tail points of the quantile grid in :func:`wasserstein1_to_cdf` (and their mirrors 1 - u):
#: 8 per decade from 1e-1 to 1e-12, where quantile functions curve most.
_TAIL_U = 10.0 ** -np.linspace(1, 12, 89)


# --------------------------------------------------------------------------- input checks


def _sample(x: Any, name: str = "sample", min_n: int = 2) -> np.ndarray:
    """``x`` as a finite float64 1-D array of at least ``min_n`` values, or a DataError."""
    try:
        a = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(f"the {name} must be numbers, got {type(x).__name__} that cannot be "
                        "converted to floats") from None
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1:
        raise DataError(f"the {name} must be 1-D (or shape (n, 1)), got shape {a.shape}; "
                        "pass one variable at a time")
    if a.size < min_n:
        raise DataError(f"the {name} has {a.size} values; at least {min_n} are needed")
    bad = ~np.isfinite(a)
    if bad.any():
        raise DataError(f"the {name} holds {int(bad.sum())} NaN/infinite values (first at index "
                        f"{int(np.flatnonzero(bad)[0])}); drop them before computing metrics")
    return a


def _method(obj: Any, attr: str, arg: str) -> Callable[[np.ndarray], np.ndarray]:
    """A callable, or ``obj.<attr>`` for a distribution object; else a DataError."""
    if hasattr(obj, attr) and callable(getattr(obj, attr)):
        return getattr(obj, attr)
    if callable(obj):
        return obj
    raise DataError(f"{arg} must be a callable or a distribution with a .{attr} method "
                    f"(e.g. scipy.stats.norm(0, 1)), got {type(obj).__name__}")


def _checked_cdf(cdf: Any, x: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """The cdf function, after checking it returns values in [0, 1] on the sample."""
    f = _method(cdf, "cdf", "cdf")
    v = np.asarray(f(np.sort(x)), dtype=np.float64)
    if v.shape != x.shape or not np.all((v >= -1e-12) & (v <= 1 + 1e-12)):
        raise DataError("cdf must map an array of values to probabilities in [0, 1] of the same "
                        "shape; check that a cdf (not a pdf or ppf) was passed")
    return f


def _f(v: Any) -> float:
    return float(v)


# --------------------------------------------------------------------------- moments


def moments(x: Any) -> dict[str, Any]:
    """Sample mean and standard deviation (``ddof=1``, the unbiased variance) and ``n``."""
    a = _sample(x)
    return {"mean": _f(a.mean()), "std": _f(a.std(ddof=1)), "n": int(a.size)}


def moment_errors(fake: Any, mean: float | None = None, std: float | None = None,
                  real: Any = None) -> dict[str, Any]:
    """Mean/std of ``fake`` against reference values or a ``real`` sample.

    Errors are signed (``fake - reference``); ``rel_std_error`` divides by the reference
    std. Pass either ``real=`` or ``mean=``/``std=`` (either of the two), not both.
    """
    if real is not None and (mean is not None or std is not None):
        raise DataError("pass either real= (a reference sample) or mean=/std= (reference values), not both")
    if real is None and mean is None and std is None:
        raise DataError("moment_errors needs a reference: real= (a sample) or mean= and/or std=")
    m = moments(fake)
    out: dict[str, Any] = {"mean": m["mean"], "std": m["std"], "n_fake": m["n"]}
    if real is not None:
        r = moments(_sample(real, "real sample"))
        mean, std = r["mean"], r["std"]
        out["n_real"] = r["n"]
    if mean is not None:
        out.update(ref_mean=_f(mean), mean_error=m["mean"] - _f(mean), abs_mean_error=abs(m["mean"] - _f(mean)))
    if std is not None:
        if not _f(std) >= 0:
            raise DataError(f"std must be a non-negative number, got {std}")
        err = m["std"] - _f(std)
        out.update(ref_std=_f(std), std_error=err, abs_std_error=abs(err),
                   rel_std_error=err / _f(std) if _f(std) > 0 else float("nan"))
    return out


# --------------------------------------------------------------------------- tests


def ks_1samp(x: Any, cdf: Any) -> dict[str, Any]:
    """Kolmogorov–Smirnov statistic and two-sided p-value of ``x`` against a distribution.

    ``cdf`` is a callable or a distribution with ``.cdf`` (scipy.stats.ks_1samp, method 'auto').
    """
    a = _sample(x)
    res = _st.ks_1samp(a, _checked_cdf(cdf, a))
    return {"ks": _f(res.statistic), "p_value": _f(res.pvalue), "n": int(a.size)}


def ks_2samp(a: Any, b: Any) -> dict[str, Any]:
    """Two-sample Kolmogorov–Smirnov statistic and two-sided p-value (scipy.stats.ks_2samp).

    Symmetric in ``a``, ``b``; sizes are reported as ``n_a``, ``n_b``.
    """
    xa, xb = _sample(a, "first sample"), _sample(b, "second sample")
    res = _st.ks_2samp(xa, xb)
    return {"ks": _f(res.statistic), "p_value": _f(res.pvalue), "n_a": int(xa.size), "n_b": int(xb.size)}


def cramervonmises_1samp(x: Any, cdf: Any) -> dict[str, Any]:
    """Cramér–von Mises statistic and p-value of ``x`` against a distribution (scipy.stats.cramervonmises).

    More sensitive than KS to differences spread over the whole distribution.
    """
    a = _sample(x)
    with warnings.catch_warnings():  # scipy's p-value series warns for huge statistics (p ~ 0)
        warnings.simplefilter("ignore", RuntimeWarning)
        res = _st.cramervonmises(a, _checked_cdf(cdf, a))
    return {"cvm": _f(res.statistic), "p_value": _f(res.pvalue), "n": int(a.size)}


def cramervonmises_2samp(a: Any, b: Any) -> dict[str, Any]:
    """Two-sample Cramér–von Mises statistic and p-value (scipy.stats.cramervonmises_2samp, 'auto')."""
    xa, xb = _sample(a, "first sample"), _sample(b, "second sample")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = _st.cramervonmises_2samp(xa, xb)
    return {"cvm": _f(res.statistic), "p_value": _f(res.pvalue), "n_a": int(xa.size), "n_b": int(xb.size)}


# --------------------------------------------------------------------------- Wasserstein-1


def wasserstein1(a: Any, b: Any) -> dict[str, Any]:
    """1-D Wasserstein-1 (earth mover's) distance between two samples (scipy.stats.wasserstein_distance).

    In the units of the data: W1 between N(0, 1) and N(1, 1) is 1.
    """
    xa, xb = _sample(a, "first sample", 1), _sample(b, "second sample", 1)
    return {"w1": _f(_st.wasserstein_distance(xa, xb)), "n_a": int(xa.size), "n_b": int(xb.size)}


def _abs_integral(x: np.ndarray, p: np.ndarray, q: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Exact ∫|x - L(u)| du over cells of width ``h`` where L rises linearly from ``p`` to ``q``."""
    below, above = x <= p, x >= q
    span = np.where(below | above, 1.0, q - p)
    inside = h * ((x - p) ** 2 + (q - x) ** 2) / (2 * span)
    return np.where(below, h * ((p + q) / 2 - x), np.where(above, h * (x - (p + q) / 2), inside))


def wasserstein1_to_cdf(x: Any, ppf: Any, n_grid: int = 1000) -> dict[str, Any]:
    """W1 between a sample and a distribution: ∫|F_n(t) - F(t)| dt = ∫₀¹|F_n⁻¹(u) - F⁻¹(u)| du.

    ``ppf`` is the distribution's quantile function (a callable or an object with ``.ppf``).

    Method: the quantile function F⁻¹ is evaluated on a grid in u holding every step
    ``i/n`` of the empirical quantile function, ``n_grid`` uniform points and 89
    geometric tail points per side (1e-1 ... 1e-12); between grid points F⁻¹ is taken
    as linear and ``|x_(i) - F⁻¹(u)|`` is integrated exactly on each cell. What remains
    is the curvature of F⁻¹ inside cells and the mass beyond 1e-12: with the default
    ``n_grid=1000`` the result agrees with direct quadrature of ∫|F_n - F| dt to about
    2e-5 (tested to 1e-4 for n = 5..1000; ``n_grid=4000`` gives ~5e-6). The common
    midpoint approximation ``mean|x_(i) - ppf((i - 0.5)/n)|`` is off by ~0.09 at n = 5
    and ~5e-3 at n = 50 on the same samples. Cost: ``n + n_grid + 178`` ppf evaluations,
    in one vectorised call.
    """
    a = np.sort(_sample(x, min_n=1))
    q_fn = _method(ppf, "ppf", "ppf")
    n = a.size
    n_grid = int(n_grid)
    if n_grid < 0:
        raise DataError(f"n_grid must be a non-negative integer, got {n_grid}")
    u = np.concatenate([np.arange(n + 1) / n, (np.arange(n_grid) + 0.5) / max(n_grid, 1) if n_grid else [],
                        _TAIL_U, 1 - _TAIL_U])
    u = np.unique(np.clip(u, _TAIL_U[-1], 1 - _TAIL_U[-1]))
    qu = np.asarray(q_fn(u), dtype=np.float64).reshape(-1)
    if qu.shape != u.shape or not np.all(np.isfinite(qu)):
        raise DataError("ppf must map probabilities in (0, 1) to finite quantiles of the same shape; "
                        "check that a quantile function (not a cdf or pdf) was passed")
    if np.any(np.diff(qu) < -1e-9 * (1 + np.abs(qu[1:]))):
        raise DataError("ppf is not non-decreasing in u, so it is not a quantile function; pass dist.ppf")
    qu = np.maximum.accumulate(qu)  # remove round-off wiggles of numerical ppfs
    lo, hi = u[:-1], u[1:]
    idx = np.clip(np.floor((lo + hi) / 2 * n).astype(np.int64), 0, n - 1)
    w1 = float(_abs_integral(a[idx], qu[:-1], qu[1:], hi - lo).sum())
    return {"w1": w1, "n": int(n), "n_grid": int(u.size)}


# --------------------------------------------------------------------------- mixtures


def mode_masses(x: Any, means: Sequence[float], stds: Sequence[float] | None = None,
                weights: Sequence[float] | None = None, assign: str = "nearest") -> dict[str, Any]:
    """Share of a 1-D sample on each mode of a Gaussian mixture, and its error against the weights.

    ``assign="nearest"`` gives each value to the closest mean (measured in that mode's
    stds when ``stds`` are given); ``assign="posterior"`` (needs ``stds``) uses the soft
    posterior responsibilities with ``weights`` as the prior, whose average is an unbiased
    estimate of the weights even when modes overlap. ``weights`` default to equal.
    ``max_abs_mass_error`` is the convergence criterion of the multi-modal study.
    """
    a = _sample(x, min_n=1)
    mu = np.asarray(means, dtype=np.float64).reshape(-1)
    k = mu.size
    if k == 0 or not np.all(np.isfinite(mu)):
        raise DataError(f"means must be a non-empty list of finite numbers, got {list(mu)}")
    sd = None
    if stds is not None:
        sd = np.broadcast_to(np.asarray(stds, dtype=np.float64), mu.shape).copy() if np.ndim(stds) == 0 \
            else np.asarray(stds, dtype=np.float64).reshape(-1)
        if sd.shape != mu.shape or not np.all(sd > 0):
            raise DataError(f"stds must be {k} positive numbers (one per mean), got {list(np.atleast_1d(stds))}")
    if weights is None:
        w = np.full(k, 1.0 / k)
    else:
        w = np.asarray(weights, dtype=np.float64).reshape(-1)
        if w.shape != mu.shape or np.any(w < 0) or not w.sum() > 0:
            raise DataError(f"weights must be {k} non-negative numbers (one per mean), got {list(w)}")
        w = w / w.sum()
    if assign == "nearest":
        dist = np.abs(a[:, None] - mu[None]) / (sd[None] if sd is not None else 1.0)
        counts = np.bincount(np.argmin(dist, axis=1), minlength=k)
        masses = counts / a.size
    elif assign == "posterior":
        if sd is None:
            raise DataError("assign='posterior' needs stds= (one per mean)")
        logp = _st.norm.logpdf(a[:, None], mu[None], sd[None]) + np.log(np.maximum(w, 1e-300))[None]
        resp = np.exp(logp - logp.max(axis=1, keepdims=True))
        resp /= resp.sum(axis=1, keepdims=True)
        masses = resp.mean(axis=0)
        counts = np.bincount(np.argmax(resp, axis=1), minlength=k)
    else:
        raise DataError(f"assign must be 'nearest' or 'posterior', got {assign!r}")
    errors = masses - w
    return {
        "masses": [float(v) for v in masses],
        "weights": [float(v) for v in w],
        "errors": [float(v) for v in errors],
        "counts": [int(c) for c in counts],
        "max_abs_mass_error": float(np.abs(errors).max()),
        "n": int(a.size),
        "n_modes": int(k),
        "assign": assign,
    }


# --------------------------------------------------------------------------- report


def _dist_moments(dist: Any) -> tuple[float, float] | None:
    """(mean, std) of a distribution from its ``mean()``/``std()`` methods, else None."""
    if callable(getattr(dist, "mean", None)) and callable(getattr(dist, "std", None)):
        try:
            return float(dist.mean()), float(dist.std())
        except TypeError:  # a mean(x)-style method of some other object
            pass
    return None


def _as_mixture(dist: Any) -> Any:
    """A :class:`~mpgan.data.toy.GaussianMixture1D` when ``dist`` describes a Gaussian mixture
    (has ``means``/``stds``/``weights``), else None."""
    if not all(hasattr(dist, a) for a in ("means", "stds", "weights")):
        return None
    from ..data.toy import GaussianMixture1D

    return GaussianMixture1D(dist.means, dist.stds, dist.weights)


def _rename(d: dict[str, Any], **names: str) -> dict[str, Any]:
    return {names.get(k, k): v for k, v in d.items()}


def distribution_report(fake: Any, real: Any = None, dist: Any = None,
                        w1_grid: int = 1000) -> dict[str, Any]:
    """All distribution metrics of a generated 1-D sample in one dict.

    - ``moments`` of ``fake``; ``moment_errors_real`` / ``moment_errors_dist`` against ``real``
      and against ``dist`` (its ``mean()``/``std()``, or a mixture's moments).
    - against ``real`` (2-sample): ``ks_2samp``, ``cvm_2samp``, ``w1_real``.
    - against ``dist`` (1-sample): ``ks_1samp``, ``cvm_1samp`` (need ``.cdf``), ``w1_dist``
      (needs ``.ppf``; see :func:`wasserstein1_to_cdf`). When ``dist`` is a Gaussian
      mixture (has ``means``/``stds``/``weights`` attributes) W1 uses a vectorised quantile
      function built from those, and ``mode_masses`` (posterior) is added.

    Two-sample results name their sizes ``n_fake``/``n_real``; the top level repeats them.
    """
    f = _sample(fake, "generated sample")
    if real is None and dist is None:
        raise DataError("distribution_report needs a reference: real= (a sample) and/or dist= (a distribution)")
    out: dict[str, Any] = {"n_fake": int(f.size), "moments": moments(f)}
    if real is not None:
        r = _sample(real, "real sample")
        sizes = {"n_a": "n_fake", "n_b": "n_real"}
        out["n_real"] = int(r.size)
        out["moment_errors_real"] = moment_errors(f, real=r)
        out["ks_2samp"] = _rename(ks_2samp(f, r), **sizes)
        out["cvm_2samp"] = _rename(cramervonmises_2samp(f, r), **sizes)
        out["w1_real"] = _rename(wasserstein1(f, r), **sizes)
    if dist is not None:
        mix = _as_mixture(dist)
        ref = _dist_moments(mix if mix is not None else dist)
        if ref is not None:
            out["moment_errors_dist"] = moment_errors(f, mean=ref[0], std=ref[1])
        if callable(getattr(dist, "cdf", None)):
            out["ks_1samp"] = ks_1samp(f, dist)
            out["cvm_1samp"] = cramervonmises_1samp(f, dist)
        if mix is not None:  # exact and vectorised, whatever the object's own ppf costs
            out["w1_dist"] = wasserstein1_to_cdf(f, mix.ppf, n_grid=w1_grid)
            out["mode_masses"] = mode_masses(f, mix.means, mix.stds, mix.weights, assign="posterior")
        elif callable(getattr(dist, "ppf", None)):
            out["w1_dist"] = wasserstein1_to_cdf(f, dist, n_grid=w1_grid)
    return out
