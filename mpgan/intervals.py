"""Means with Student-t intervals over training seeds, and differences of two arms.

Every study, sweep and rendered doc block states a number over seeds as a mean with its 95 %
interval (over training seeds, not sampling seeds of one run); a difference is paired seed
by seed when both arms share seeds, else Welch's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

LEVEL = 0.95


@dataclass(frozen=True)
class Interval:
    """A mean and its t-interval over ``n`` values (``low == high == mean`` for one value)."""

    mean: float
    low: float
    high: float
    n: int

    @property
    def decided(self) -> bool:
        return self.n > 1 and (self.low > 0 or self.high < 0)

    def __format__(self, spec: str) -> str:
        """``f"{iv:.2f}"`` gives ``mean [low, high]``."""
        return f"{format(self.mean, spec)} [{format(self.low, spec)}, {format(self.high, spec)}]"

    def text(self, pct: bool = False, signed: bool = False, digits: int = 2) -> str:
        scale, unit = (100.0, " pp" if signed else " %") if pct else (1.0, "")
        d = 1 if pct else digits
        sign = "+" if signed else ""
        mean = f"{self.mean * scale:{sign}.{d}f}{unit}"
        if self.n < 2:
            return f"{mean} (1 seed)"
        return f"{mean} [{self.low * scale:{sign}.{d}f}, {self.high * scale:{sign}.{d}f}]"


def mean_interval(values: Iterable[float], level: float = LEVEL) -> Interval:
    """Mean of ``values`` (NaNs dropped) with its two-sided Student-t interval."""
    from scipy import stats

    v = np.asarray([x for x in values if np.isfinite(x)], dtype=float)
    if len(v) == 0:
        return Interval(float("nan"), float("nan"), float("nan"), 0)
    m = float(v.mean())
    if len(v) < 2:
        return Interval(m, m, m, len(v))
    half = float(stats.t.ppf(0.5 + level / 2, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v)))
    return Interval(m, m - half, m + half, len(v))


def difference(a: Iterable[float], b: Iterable[float], paired: bool = True) -> Interval:
    """``a - b``: seed by seed when ``paired`` (same seeds, same order), else Welch's interval."""
    from scipy import stats

    a, b = np.asarray(list(a), float), np.asarray(list(b), float)
    if paired:
        if len(a) != len(b):
            raise ValueError("a paired difference needs as many values in a as in b")
        return mean_interval(a - b)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    m = float(a.mean() - b.mean())
    if len(a) < 2 or len(b) < 2:
        return Interval(m, m, m, 1)
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = float(np.sqrt(va + vb))
    if se == 0:
        return Interval(m, m, m, min(len(a), len(b)))
    dof = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    half = float(stats.t.ppf(0.5 + LEVEL / 2, dof) * se)
    return Interval(m, m - half, m + half, min(len(a), len(b)))


__all__ = ["Interval", "LEVEL", "difference", "mean_interval"]
