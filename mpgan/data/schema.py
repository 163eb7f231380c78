"""One table schema: each column's kind, the missing-value label, numeric bounds and
category lists.

Every part of mpgan that looks at a table's columns reads this one schema: the
:class:`~mpgan.data.tabular.TabularTransformer` (which encoder a column gets), the
baselines in :mod:`mpgan.synthesizers` and the metrics in :mod:`mpgan.metrics.tabular`.
Tabular runs save it in ``data_spec.json`` under ``"schema"``.

**The rule.** A column's kind is the first registered kind (:mod:`mpgan.column_kinds`,
in priority order) that claims it: **categorical** for a pandas ``category`` or bool
dtype, text, or only whole numbers with at most ``max_categories`` (10) distinct values
(an integer code, also when pandas read it as float because of missing values);
**integer** for an integer dtype with more values; **numeric** for every other number
column. ``kinds={"col": "integer"}`` forces a kind (any registered one), and
``numeric=`` / ``categorical=`` list columns to force to those two; a forced numeric
kind needs numbers (text that parses as numbers is fine). A text column whose values
are mostly but not all numbers is refused: it is almost always a data error (a stray
"n/a" in a numeric column).

Missing values of a categorical column are their own category, labelled
:data:`MISSING_LABEL`; a numeric column counts them (``missing``) and keeps them out of
its bounds.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..column_kinds import (
    MAX_CATEGORIES,
    MISSING_LABEL,
    NUMERIC_LOOKING,
    ColumnKind,
    category_labels,
    get_kind,
    infer_kind,
    is_number_dtype,
)
from ..errors import DataError

__all__ = [
    "MAX_CATEGORIES", "MISSING_LABEL", "NUMERIC_LOOKING", "ColumnSchema", "TableSchema", "as_names",
    "category_labels", "check_table", "forced_kinds", "is_number_dtype",
]


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


def forced_kinds(columns: Sequence[Any], *, numeric: Any = None, categorical: Any = None,
                 kinds: Mapping[Any, str] | None = None) -> dict[Any, str]:
    """``{column: kind}`` the caller forces: ``kinds`` plus the ``numeric=`` / ``categorical=``
    lists, each column named once and every name a column of the table."""
    num, cat, by_kind = as_names(numeric), as_names(categorical), dict(kinds or {})
    unknown = [c for c in num + cat + list(by_kind) if c not in columns]
    if unknown:
        raise DataError(f"numeric=/categorical=/kinds= name unknown columns {unknown}; the columns are {list(columns)}")
    named = num + cat + list(by_kind)
    twice = sorted({str(c) for c in named if named.count(c) > 1})
    if twice:
        raise DataError(f"the columns {twice} are forced to more than one kind (numeric=, categorical=, kinds=); "
                        "name each once")
    for k in by_kind.values():
        get_kind(k)  # an unknown kind: the registry's error, listing the known ones
    return {**by_kind, **dict.fromkeys(num, "numeric"), **dict.fromkeys(cat, "categorical")}


@dataclass(frozen=True)
class ColumnSchema:
    """One table column: its kind (a registered :mod:`~mpgan.column_kinds` name), dtype,
    number of missing values and, by its kind's head, its bounds (numbers) or its
    categories as canonical labels (labels)."""

    name: Any
    kind: str
    dtype: str
    missing: int = 0
    bounds: tuple[float, float] | None = None
    categories: tuple[str, ...] = ()

    @classmethod
    def of(cls, name: Any, s: pd.Series, kind: str) -> ColumnSchema:
        missing = int(s.isna().sum())
        if get_kind(kind).head == "numeric":
            v = get_kind(kind).numbers(s)
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
              kinds: Mapping[Any, str] | None = None, max_categories: int = MAX_CATEGORIES) -> TableSchema:
        """The schema of ``df`` by the module's rule; ``kinds={column: kind}`` and the
        ``numeric=`` / ``categorical=`` lists force columns' kinds."""
        check_table(df)
        forced = forced_kinds(list(df.columns), numeric=numeric, categorical=categorical, kinds=kinds)
        cols = []
        for name in df.columns:
            kind = infer_kind(name, df[name], forced=forced.get(name), max_categories=max_categories)
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
    def kinds(self) -> dict[Any, str]:
        """``{column: kind name}``, e.g. ``"numeric"``, ``"integer"``, ``"categorical"``."""
        return {c.name: c.kind for c in self.columns}

    def kind(self, name: Any) -> ColumnKind:
        """The registered kind object of column ``name``."""
        return get_kind(self[name].kind)

    @property
    def numeric(self) -> list[Any]:
        """Columns of numbers: every kind with a numeric head (numeric, integer, ...)."""
        return [c.name for c in self.columns if get_kind(c.kind).head == "numeric"]

    @property
    def categorical(self) -> list[Any]:
        """Columns of labels: every kind with a categorical head."""
        return [c.name for c in self.columns if get_kind(c.kind).head == "categorical"]

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
        counts: dict[str, int] = {}
        for c in self.columns:
            counts[c.kind] = counts.get(c.kind, 0) + 1
        return f"TableSchema({', '.join(f'{n} {k}' for k, n in counts.items())} columns)"
