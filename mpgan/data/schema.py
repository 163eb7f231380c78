"""One table schema: which columns are numeric and which categorical, the missing-value
label, numeric bounds and category lists.

Every part of mpgan that looks at a table's columns reads this one rule: the
:class:`~mpgan.data.tabular.TabularTransformer` (which encoder a column gets), the
baselines in :mod:`mpgan.synthesizers` and the metrics in :mod:`mpgan.metrics.tabular`.
Tabular runs save it in ``data_spec.json`` under ``"schema"``.

**The rule.** A column is **categorical** when it is listed in ``categorical=``, has a
pandas ``category`` or bool dtype, holds text, or holds only whole numbers with at most
``max_categories`` (10) distinct values (an integer code, also when pandas read it as
float because of missing values); every other number column is **numeric**. ``numeric=`` forces a column numeric (it must then hold numbers, text that
parses as numbers is fine). A text column whose values are mostly but not all numbers is
refused: it is almost always a data error (a stray "n/a" in a numeric column).

Missing values of a categorical column are their own category, labelled
:data:`MISSING_LABEL`; a numeric column counts them (``missing``) and keeps them out of
its bounds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..errors import DataError

MISSING_LABEL = "<NA>"
#: Number columns with at most this many distinct values are categorical.
MAX_CATEGORIES = 10
#: A text column with at least this share of numbers (but not all) is refused as a data error.
NUMERIC_LOOKING = 0.9

ColumnKind = Literal["numeric", "categorical"]


def is_number_dtype(dtype: Any) -> bool:
    """A real number dtype (bool and complex are not numbers here)."""
    return (pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
            and not pd.api.types.is_complex_dtype(dtype))


def category_labels(s: pd.Series) -> np.ndarray:
    """Canonical category labels (text): numbers by value (1 and 1.0 -> "1"), missing as
    :data:`MISSING_LABEL`; the form categories are compared and saved in."""
    missing = s.isna().to_numpy()
    if is_number_dtype(s.dtype):
        v = s.to_numpy(dtype=np.float64, na_value=np.nan)
        out = np.array([str(int(x)) if np.isfinite(x) and x.is_integer() else repr(float(x)) for x in v],
                       dtype=object)
    else:
        out = np.array([str(x) for x in s.to_numpy(dtype=object)], dtype=object)
    out[missing] = MISSING_LABEL
    return out


def check_table(df: Any, what: str = "the") -> None:
    """A non-empty DataFrame with unique column names, or one DataError saying what is wrong."""
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"{what} table must be a pandas DataFrame, got {type(df).__name__}")
    if df.shape[0] == 0 or df.shape[1] == 0:
        raise DataError(f"{what} table is empty ({df.shape[0]} rows, {df.shape[1]} columns); pass a table with data")
    dup = df.columns[df.columns.duplicated()].tolist()
    if dup:
        raise DataError(f"{what} table has duplicate column names {dup}; rename them")


def as_names(arg: Any) -> list[Any]:
    """None, one name or a list of names, as a list."""
    return [] if arg is None else [arg] if isinstance(arg, str) else list(arg)


def _first_text(s: pd.Series, bad: np.ndarray) -> tuple[Any, Any]:
    i = int(np.flatnonzero(bad)[0])
    return s.index[i], s.iloc[i]


def column_kind(name: Any, s: pd.Series, *, forced: str | None = None,
                max_categories: int = MAX_CATEGORIES) -> ColumnKind:
    """The kind of one column by the module's rule (``forced`` is "numeric", "categorical" or None)."""
    missing = s.isna()
    if missing.all():
        raise DataError(f"column '{name}' has no values (all {len(s)} are missing); drop it or fill it in")
    present = s[~missing]
    if forced == "categorical":
        return "categorical"
    if forced == "numeric":
        bad = pd.to_numeric(present, errors="coerce").isna().to_numpy()
        if bad.any():
            raise DataError(f"column '{name}' is listed as numeric but holds values that are not numbers "
                            f"(e.g. {_first_text(present, bad)[1]!r})")
        return "numeric"
    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype):
        return "categorical"
    if is_number_dtype(dtype):
        v = present.to_numpy(dtype=np.float64)
        whole = bool(np.isfinite(v).all() and (v == np.round(v)).all())
        return "categorical" if whole and s.nunique(dropna=True) <= max_categories else "numeric"
    if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
        bad = pd.to_numeric(present.astype(str).str.strip(), errors="coerce").isna().to_numpy()
        if NUMERIC_LOOKING <= 1 - bad.mean() < 1:
            row, val = _first_text(present, bad)
            raise DataError(
                f"column '{name}' looks numeric but row {row} holds the text {val!r} "
                f"({int(bad.sum())} of {len(present)} values are not numbers); fix or blank those "
                f"values, or list '{name}' in categorical= to treat the column as categories"
            )
        return "categorical"
    raise DataError(f"column '{name}' has dtype {dtype}, which mpgan cannot model; convert it to numbers "
                    "or strings, or drop it")


@dataclass(frozen=True)
class ColumnSchema:
    """One table column: its kind, dtype, number of missing values and, by kind, its
    bounds (numeric) or its categories as canonical labels (categorical)."""

    name: Any
    kind: ColumnKind
    dtype: str
    missing: int = 0
    bounds: tuple[float, float] | None = None
    categories: tuple[str, ...] = ()

    @classmethod
    def of(cls, name: Any, s: pd.Series, kind: ColumnKind) -> ColumnSchema:
        missing = int(s.isna().sum())
        if kind == "numeric":
            v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
            v = v[np.isfinite(v)]
            bounds = (float(v.min()), float(v.max())) if v.size else None
            return cls(name, kind, str(s.dtype), missing, bounds)
        labels = pd.unique(category_labels(s))
        return cls(name, kind, str(s.dtype), missing, None, tuple(str(c) for c in labels))


class TableSchema:
    """The columns of a table, in order, each a :class:`ColumnSchema`."""

    def __init__(self, columns: Sequence[ColumnSchema]):
        self.columns = tuple(columns)
        self._by_name = {c.name: c for c in self.columns}

    @classmethod
    def infer(cls, df: pd.DataFrame, *, numeric: Any = None, categorical: Any = None,
              max_categories: int = MAX_CATEGORIES) -> TableSchema:
        """The schema of ``df`` by the module's rule; ``numeric=`` / ``categorical=`` name
        columns to force."""
        check_table(df)
        num, cat = as_names(numeric), as_names(categorical)
        unknown = [c for c in num + cat if c not in df.columns]
        if unknown:
            raise DataError(f"numeric=/categorical= name unknown columns {unknown}; the columns are {list(df.columns)}")
        both = [c for c in num if c in cat]
        if both:
            raise DataError(f"the columns {both} are listed as both numeric and categorical; list each once")
        cols = []
        for name in df.columns:
            forced = "categorical" if name in cat else "numeric" if name in num else None
            kind = column_kind(name, df[name], forced=forced, max_categories=max_categories)
            cols.append(ColumnSchema.of(name, df[name], kind))
        return cls(cols)

    def __getitem__(self, name: Any) -> ColumnSchema:
        return self._by_name[name]

    def __iter__(self):
        return iter(self.columns)

    def __len__(self) -> int:
        return len(self.columns)

    @property
    def names(self) -> list[Any]:
        return [c.name for c in self.columns]

    @property
    def kinds(self) -> dict[Any, ColumnKind]:
        """``{column: "numeric" | "categorical"}``."""
        return {c.name: c.kind for c in self.columns}

    @property
    def numeric(self) -> list[Any]:
        return [c.name for c in self.columns if c.kind == "numeric"]

    @property
    def categorical(self) -> list[Any]:
        return [c.name for c in self.columns if c.kind == "categorical"]

    # -- JSON
    def to_dict(self) -> dict[str, Any]:
        return {"missing_label": MISSING_LABEL,
                "columns": [{**asdict(c), "name": str(c.name),
                             "bounds": None if c.bounds is None else list(c.bounds),
                             "categories": list(c.categories)} for c in self.columns]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TableSchema:
        cols = []
        for c in d["columns"]:
            bounds = None if c.get("bounds") is None else tuple(float(b) for b in c["bounds"])
            cols.append(ColumnSchema(c["name"], c["kind"], c["dtype"], int(c.get("missing", 0)), bounds,
                                     tuple(c.get("categories", ()))))
        return cls(cols)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1))

    @classmethod
    def load(cls, path: str | Path) -> TableSchema:
        return cls.from_dict(json.loads(Path(path).read_text()))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TableSchema) and self.columns == other.columns

    def __repr__(self) -> str:
        return f"TableSchema({len(self.numeric)} numeric, {len(self.categorical)} categorical columns)"
