"""The two basic column kinds: numeric measurements and categorical labels.

Together with :mod:`.integer` they make the inference rule: a column is **categorical**
when it has a pandas ``category`` or bool dtype, holds text, or holds only whole numbers
with at most ``max_categories`` (10) distinct values (an integer code, also when pandas
read it as float because of missing values); an integer column with more values is
**integer**; every other number column is **numeric**. A text column whose values are
mostly but not all numbers is refused: it is almost always a data error.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError
from ..registry import COLUMN_KINDS
from .base import NUMERIC_LOOKING, ColumnKind, first_bad, is_number_dtype


@COLUMN_KINDS.register("categorical")
class Categorical(ColumnKind):
    """Labels (text, bool, category dtype, whole-number codes with few values): one softmax block, TVD, bars."""

    head = "categorical"
    fidelity = "tvd"
    distance = "mismatch"
    plot = "bars"
    priority = 10

    def detect(self, name: Any, present: pd.Series, max_categories: int) -> bool:
        dtype = present.dtype
        if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype):
            return True
        if is_number_dtype(dtype):
            v = present.to_numpy(dtype=np.float64)
            whole = bool(np.isfinite(v).all() and (v == np.round(v)).all())
            return whole and present.nunique() <= max_categories
        if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
            bad = pd.to_numeric(present.astype(str).str.strip(), errors="coerce").isna().to_numpy()
            if NUMERIC_LOOKING <= 1 - bad.mean() < 1:
                row, val = first_bad(present, bad)
                raise DataError(
                    f"column '{name}' looks numeric but row {row} holds the text {val!r} "
                    f"({int(bad.sum())} of {len(present)} values are not numbers); fix or blank those "
                    f"values, or list '{name}' in categorical= to treat the column as categories"
                )
            return True
        return False


@COLUMN_KINDS.register("numeric")
class Numeric(ColumnKind):
    """Measurements (any other number column): scaled value block, KS statistic, histogram."""

    head = "numeric"
    fidelity = "ks"
    distance = "scaled"
    plot = "histogram"
    priority = 90

    def detect(self, name: Any, present: pd.Series, max_categories: int) -> bool:
        return is_number_dtype(present.dtype)
