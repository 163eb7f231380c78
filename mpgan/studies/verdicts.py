"""Intervals over training seeds, and verdicts no stronger than they are.

Every study states its numbers as a mean with a 95 % Student-t interval over training
seeds (not over sampling seeds of one run), and decides a claim only when the interval
of the difference excludes 0: otherwise the verdict is "not decided".
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

    def verdict(self, positive: str, negative: str) -> str:
        """``positive`` if the whole interval is above 0, ``negative`` if below, else "not decided"."""
        if self.n < 2:
            return "not decided (one seed)"
        if self.low > 0:
            return positive
        if self.high < 0:
            return negative
        return "not decided"

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


def claim(diff: Interval, holds_if_positive: bool = True) -> str:
    """A claim's verdict from the interval of the difference that would show it:
    "reproduced" if it lies wholly on the claim's side of 0, "not reproduced" if wholly on
    the other side, "not decided" if it contains 0."""
    if diff.n < 2:
        return "not decided (one seed)"
    above, below = diff.low > 0, diff.high < 0
    if (above and holds_if_positive) or (below and not holds_if_positive):
        return "reproduced"
    if above or below:
        return "not reproduced (the opposite holds)"
    return "not decided"


__all__ = ["Interval", "LEVEL", "claim", "difference", "mean_interval"]
