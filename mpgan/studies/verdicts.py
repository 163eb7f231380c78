"""Verdicts no stronger than their intervals, worded the same in every study.

Every study states its numbers as a mean with a 95 % Student-t interval over training
seeds (not over sampling seeds of one run), and decides a claim only when the interval
excludes the value that separates its outcomes (0 for a difference): otherwise the
verdict is "not decided". The words are here once so that every results.md reads alike.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..intervals import LEVEL, Interval, difference, mean_interval

REPRODUCED = "reproduced"
NOT_REPRODUCED = "not reproduced"
OPPOSITE = "not reproduced (the opposite holds)"
PARTLY = "partly"
NOT_DECIDED = "not decided"
ONE_SEED = "not decided (one seed)"

#: The head of a study's table of the article's claims, one row per claim.
CLAIMS_HEAD = ["| claim (MP-GAN article) | measured at step | difference, 95 % interval over training "
               "seeds | verdict |", "|---|---|---|---|"]


def side(iv: Interval, threshold: float = 0.0) -> int | None:
    """+1 if ``iv`` lies wholly above ``threshold``, -1 wholly below, 0 if it contains it;
    None with fewer than two seeds (no interval to decide with)."""
    if iv.n < 2:
        return None
    return 1 if iv.low > threshold else -1 if iv.high < threshold else 0


def verdict(iv: Interval, positive: str, negative: str, threshold: float = 0.0) -> str:
    """``positive`` if the whole interval is above ``threshold``, ``negative`` if below,
    else "not decided"."""
    s = side(iv, threshold)
    return ONE_SEED if s is None else {1: positive, -1: negative, 0: NOT_DECIDED}[s]


def claim(diff: Interval, holds_if_positive: bool = True, threshold: float = 0.0,
          otherwise: str = OPPOSITE) -> str:
    """A claim's verdict from the interval that would show it: "reproduced" if it lies
    wholly on the claim's side of ``threshold``, ``otherwise`` if wholly on the other side,
    "not decided" if it contains it."""
    if holds_if_positive:
        return verdict(diff, REPRODUCED, otherwise, threshold)
    return verdict(diff, otherwise, REPRODUCED, threshold)


def in_some_seeds(iv: Interval, values: Sequence[float]) -> str:
    """A claim that something happens (``values`` > 0 in a seed): "reproduced" if the
    interval of ``values`` is above 0, "partly (in some seeds)" if it happened in some."""
    s = side(iv)
    if s is None:
        return ONE_SEED
    if s > 0:
        return REPRODUCED
    return f"{PARTLY} (in some seeds)" if (np.asarray(values) > 0).any() else NOT_REPRODUCED


def gap_closes(early: Interval, late: Interval) -> str:
    """The claim that an early advantage (``early`` > 0) has closed by ``late``."""
    if side(early) is None:
        return ONE_SEED
    if side(early) < 1:
        return f"{NOT_DECIDED} (no early advantage to close)"
    if not side(late):  # no difference the seeds can resolve (or too few seeds left to tell)
        return f"{REPRODUCED} (no difference left that the seeds can resolve)"
    if 0 < late.mean < early.mean:
        return f"{PARTLY} (smaller, but still there)"
    return NOT_REPRODUCED


def claims_section(rows: Sequence[str], seeds: int,
                   contains: str = "the 95 % interval of the difference contains 0") -> list[str]:
    """The "article's claims" section of a results.md: the table and what its words mean."""
    return ["## The article's claims", "", *CLAIMS_HEAD, *rows, "",
            f"\"{NOT_DECIDED}\": {contains}. Intervals are Student-t over training seeds ({seeds} per "
            "setting; differences paired by seed)."]


__all__ = ["CLAIMS_HEAD", "Interval", "LEVEL", "NOT_DECIDED", "NOT_REPRODUCED", "ONE_SEED", "OPPOSITE",
           "PARTLY", "REPRODUCED", "claim", "claims_section", "difference", "gap_closes",
           "in_some_seeds", "mean_interval", "side", "verdict"]
