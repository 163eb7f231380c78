"""Synthetic toy distributions for small, fast GAN experiments.

Values are raw (``value_range=None``, inverse = identity) so statistics of generated
samples compare directly with the theoretical ones kept in ``Dataset.info``.
``limit=N`` keeps a seeded random subset of N samples, like every other dataset.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..data_spec import Dataset, DataSpec
from ..errors import DataError
from ..registry import DATASETS
from ._checks import positive_float, positive_int, subset_indices


def _finish(x: np.ndarray, name: str, seed: int, limit: int | None, y: np.ndarray | None = None,
            num_classes: int | None = None, class_names: tuple[str, ...] | None = None,
            info: dict | None = None) -> Dataset:
    idx = subset_indices(len(x), limit, seed + 1, name)
    if idx is not None:
        x = x[idx]
        y = None if y is None else y[idx]
    spec = DataSpec(kind="toy", shape=x.shape[1:], value_range=None, num_classes=num_classes, name=name)
    return Dataset(x=x, spec=spec, y=y, class_names=class_names, info=dict(info or {}))


@DATASETS.register("rayleigh")
def rayleigh(m: int = 3600, n: int = 1000, sigma: float = 1.0, seed: int = 0,
             limit: int | None = None) -> Dataset:
    """An m x n matrix of Rayleigh(sigma) values, sqrt(X^2 + Y^2) with X, Y ~ N(0, sigma^2).

    Each of the m samples is a vector of n independent features (the MP-GAN toy study).
    Theory: mean sigma*sqrt(pi/2) (1.2533 for sigma=1), std sigma*sqrt((4-pi)/2) (0.6551).
    """
    m = positive_int(m, "m", "rayleigh")
    n = positive_int(n, "n", "rayleigh")
    sigma = positive_float(sigma, "sigma", "rayleigh")
    rng = np.random.default_rng(seed)
    gx = rng.normal(0.0, sigma, size=(m, n))
    gy = rng.normal(0.0, sigma, size=(m, n))
    x = np.sqrt(gx * gx + gy * gy).astype(np.float32)
    return _finish(x, "rayleigh", seed, limit, info={
        "source": "generated", "sigma": sigma,
        "mean": sigma * float(np.sqrt(np.pi / 2)), "std": sigma * float(np.sqrt((4 - np.pi) / 2)),
    })


def _float_list(values: Sequence[float] | float, name: str) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(values, dtype=object))
    try:
        out = arr.astype(np.float64)
    except (TypeError, ValueError):
        raise DataError(f"dataset 'gaussian_mixture': {name} must be a list of numbers, got {values!r}") from None
    if out.ndim != 1 or out.size == 0 or not np.all(np.isfinite(out)):
        raise DataError(f"dataset 'gaussian_mixture': {name} must be a non-empty list of finite numbers, got {values!r}")
    return out


@DATASETS.register("gaussian_mixture")
def gaussian_mixture(means: Sequence[float] = (-2.0, 2.0), stds: Sequence[float] = (0.5, 0.5),
                     weights: Sequence[float] | None = None, n: int = 10000, seed: int = 0,
                     limit: int | None = None) -> Dataset:
    """A 1-D mixture of Gaussians (shape (1,)); y is the component each sample came from.

    ``weights`` default to equal and are normalised to sum to 1.
    """
    mu = _float_list(means, "means")
    sd = _float_list(stds, "stds")
    w = np.ones_like(mu) if weights is None else _float_list(weights, "weights")
    if not (len(mu) == len(sd) == len(w)):
        raise DataError(
            f"dataset 'gaussian_mixture': means, stds and weights must have the same length, "
            f"got {len(mu)}, {len(sd)} and {len(w)}"
        )
    if np.any(sd <= 0):
        raise DataError(f"dataset 'gaussian_mixture': every std must be > 0, got {sd.tolist()}")
    if np.any(w < 0) or w.sum() <= 0:
        raise DataError(f"dataset 'gaussian_mixture': weights must be >= 0 with a positive sum, got {w.tolist()}")
    n = positive_int(n, "n", "gaussian_mixture")
    w = w / w.sum()
    rng = np.random.default_rng(seed)
    comp = rng.choice(len(mu), size=n, p=w)
    x = rng.normal(mu[comp], sd[comp]).astype(np.float32)[:, None]
    return _finish(x, "gaussian_mixture", seed, limit, y=comp.astype(np.int64), num_classes=len(mu),
                   class_names=tuple(f"component {i}" for i in range(len(mu))),
                   info={"source": "generated", "means": mu.tolist(), "stds": sd.tolist(), "weights": w.tolist()})


@DATASETS.register("normal")
def normal(mean: float = 10.0, std: float = 1.0, n: int = 5000, seed: int = 0,
           limit: int | None = None) -> Dataset:
    """A 1-D normal distribution N(mean, std^2) (shape (1,)); the classic 1-D GAN toy."""
    raw = mean
    try:
        mean = float(mean)
    except (TypeError, ValueError):
        mean = float("nan")
    if isinstance(raw, bool) or not np.isfinite(mean):
        raise DataError(f"dataset 'normal': mean must be a finite number, got {raw!r}")
    std = positive_float(std, "std", "normal")
    n = positive_int(n, "n", "normal")
    rng = np.random.default_rng(seed)
    x = rng.normal(mean, std, size=(n, 1)).astype(np.float32)
    return _finish(x, "normal", seed, limit, info={"source": "generated", "mean": mean, "std": std})


class GaussianMixture1D:
    """A 1-D Gaussian mixture with the ``cdf``/``pdf``/``ppf``/``mean``/``std`` a frozen
    scipy distribution has; mpgan's one home for mixture arithmetic."""

    def __init__(self, means: Sequence[float], stds: Sequence[float] | float, weights: Sequence[float] | None = None):
        self.means = np.asarray(means, float).reshape(-1)
        self.stds = np.broadcast_to(np.asarray(stds, float), self.means.shape).copy()
        w = np.ones(len(self.means)) if weights is None else np.asarray(weights, float)
        self.weights = w / w.sum()

    def _z(self, x):
        return (np.asarray(x, float)[..., None] - self.means) / self.stds

    def cdf(self, x):
        from scipy.special import ndtr

        return (self.weights * ndtr(self._z(x))).sum(-1)

    def pdf(self, x):
        return (self.weights * np.exp(-0.5 * self._z(x) ** 2) / (self.stds * np.sqrt(2 * np.pi))).sum(-1)

    def ppf(self, q):
        """Vectorised quantiles: bisection on the cdf, to float precision."""
        q = np.asarray(q, float)
        lo = np.full(q.shape, float((self.means - 40 * self.stds).min()))
        hi = np.full(q.shape, float((self.means + 40 * self.stds).max()))
        for _ in range(80):
            mid = (lo + hi) / 2
            below = self.cdf(mid) < q
            lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
        return (lo + hi) / 2

    def mean(self) -> float:
        return float(np.sum(self.weights * self.means))

    def std(self) -> float:
        second = np.sum(self.weights * (self.stds ** 2 + self.means ** 2))
        return float(np.sqrt(second - self.mean() ** 2))


def reference_distribution(ds: Dataset):
    """The distribution a toy dataset was drawn from (scipy-like: cdf, pdf, ppf), from the
    parameters its loader recorded in ``ds.info``; None for other data."""
    from scipy import stats

    info, name = ds.info, ds.spec.name
    if name == "rayleigh" and "sigma" in info:
        return stats.rayleigh(scale=float(info["sigma"]))
    if name == "normal" and "mean" in info:
        return stats.norm(float(info["mean"]), float(info["std"]))
    if name == "gaussian_mixture" and "means" in info:
        return GaussianMixture1D(info["means"], info["stds"], info.get("weights"))
    return None
