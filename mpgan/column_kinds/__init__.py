"""Table column kinds: a registry (``COLUMN_KINDS``, ``mpgan list column_kinds``) of what
each kind of column declares, and the one rule that gives a column its kind.

Importing this package registers the built-in kinds: ``categorical``, ``numeric``
(:mod:`.builtin`), ``integer`` (:mod:`.integer`) and ``datetime`` (:mod:`.datetime`). See :mod:`.base` for what a kind
declares and who reads it.
"""

from __future__ import annotations

from . import builtin, datetime, integer  # noqa: F401  (imported to register the built-in kinds)
from .base import (
    DISTANCES,
    FIDELITY,
    HEADS,
    MAX_CATEGORIES,
    MISSING_LABEL,
    NUMERIC_LOOKING,
    PLOTS,
    ColumnKind,
    category_labels,
    get_kind,
    infer_kind,
    is_number_dtype,
    kinds_in_order,
)

__all__ = [
    "DISTANCES", "FIDELITY", "HEADS", "MAX_CATEGORIES", "MISSING_LABEL", "NUMERIC_LOOKING", "PLOTS",
    "ColumnKind", "category_labels", "get_kind", "infer_kind", "is_number_dtype", "kinds_in_order",
]
