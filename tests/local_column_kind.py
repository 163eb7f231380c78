"""A table column kind added from outside mpgan, as a fork would, in one file: positive
amounts (prices, incomes) that are log-normal, modelled and compared on a log scale."""

import numpy as np

from mpgan.column_kinds import ColumnKind
from mpgan.registry import COLUMN_KINDS


@COLUMN_KINDS.register("amount_test")
class Amount(ColumnKind):
    """Positive amounts (log-normal): log-encoded, rounded to cents, compared by their log medians."""

    head = "numeric"
    fidelity = "log_median_gap"
    distance = "scaled"
    plot = "histogram"

    def encode(self, v):
        return np.log(v)

    def decode(self, v, low, high):
        return np.round(np.clip(np.exp(v), low, high), 2)

    def statistic(self, real, fake):
        """Absolute difference of the real and synthetic log medians (0: same typical amount)."""
        return float(abs(np.log(np.median(real)) - np.log(np.median(fake))))
