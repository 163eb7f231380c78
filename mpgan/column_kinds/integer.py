"""The integer column kind: whole-number counts and amounts with many values (ages,
number of children, days in hospital), added in this one file as a fork would add a kind.

- **Picked** for an integer-dtype column with more than ``max_categories`` (10) distinct
  values; with fewer it is a categorical code, as before. A float column of whole numbers
  (e.g. an integer column read as float because of missing values) stays numeric unless
  forced with ``kinds={"col": "integer"}``; forcing a column with fractions is refused.
- **Encoded** like a numeric column (the ``numeric=`` scaling: standard, minmax or mode);
  **decoded** by rounding to the nearest whole number and clipping to the training
  ``[min, max]``, so every sampled value is a whole number the training rows span, in the
  column's original dtype.
- **Compared** by the earth mover's (Wasserstein-1) distance between the real and
  synthetic values, in real standard deviations ("wasserstein"): it sees that 3 children
  is nearer to 4 than to 9 (the total-variation distance does not), and ties, which make
  the KS test's p-value meaningless on counts, are exact for it.
- **Drawn** with one bin per whole number (or whole-number-wide bins on wide ranges).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError
from ..registry import COLUMN_KINDS
from .base import ColumnKind, first_bad


@COLUMN_KINDS.register("integer")
class Integer(ColumnKind):
    """Whole-number counts with many values (ages, counts): rounded into the training range, earth mover's distance."""

    head = "numeric"
    fidelity = "wasserstein"
    distance = "scaled"
    plot = "integer"
    priority = 20  # after categorical (few values: a code), before numeric

    def detect(self, name: Any, present: pd.Series, max_categories: int) -> bool:
        dtype = present.dtype
        return pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)

    def check(self, name: Any, present: pd.Series) -> None:
        super().check(name, present)
        v = pd.to_numeric(present).to_numpy(dtype=np.float64)
        bad = ~np.isfinite(v) | (v != np.round(v))
        if bad.any():
            row, value = first_bad(present, bad)
            raise DataError(f"column '{name}' is listed as integer but row {row} holds {value!r}, "
                            "which is not a whole number; list it as numeric instead")

    def decode(self, v: np.ndarray, low: float, high: float) -> np.ndarray:
        return np.clip(np.rint(v), np.ceil(low), np.floor(high))
