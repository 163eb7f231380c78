"""Intervals over training seeds, and verdicts no stronger than they are.

Every study states its numbers as a mean with a 95 % Student-t interval over training
seeds (not over sampling seeds of one run), and decides a claim only when the interval
of the difference excludes 0: otherwise the verdict is "not decided".
"""

from __future__ import annotations

from ..intervals import LEVEL, Interval, difference, mean_interval


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
