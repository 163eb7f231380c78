"""Table rows as vectors, and distances between them: the row encoding and nearest-neighbour
search shared by the fidelity and privacy metrics.

Rows are encoded with statistics of the real (training) table only, each column as its
kind declares (``ColumnKind.distance``): "scaled" columns (numeric, integer) as z-scores
of the kind's ``encode`` of their values (missing values at the median), "mismatch"
columns (categorical) one-hot over the real table's categories (so two rows differing in
one category are √2 apart; an unseen category is all zeros). Distances are Euclidean in
that space.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..column_kinds import get_kind
from ..data.schema import category_labels, check_table
from ..errors import DataError


def aligned(real: pd.DataFrame, other: Any, what: str, real_what: str = "real") -> pd.DataFrame:
    """``other`` with ``real``'s columns in ``real``'s order, or a DataError naming the difference."""
    check_table(other, f"the {what}")
    missing = [c for c in real.columns if c not in other.columns]
    extra = [c for c in other.columns if c not in real.columns]
    if missing or extra:
        parts = ([f"lacks the columns {missing}"] if missing else []) + (
            [f"has the columns {extra} that the {real_what} table lacks"] if extra else [])
        raise DataError(f"the {what} table {' and '.join(parts)}; both tables need the same columns")
    return other[list(real.columns)]


def numbers(s: pd.Series, kind: Any = None) -> np.ndarray:
    """Finite float values of a column as its kind reads them (dates: seconds; missing, text
    and infinite values dropped)."""
    v = kind.numbers(s) if kind is not None else pd.to_numeric(s, errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan)
    return v[np.isfinite(v)]


class RowEncoder:
    """Rows -> vectors for distances, each column by its kind's ``distance``: z-scores
    ("scaled") and one-hot categories ("mismatch"), fitted on the real table."""

    def __init__(self, real: pd.DataFrame, kinds: dict[Any, str]):
        self.kinds = kinds
        self.column_kinds = {c: get_kind(kinds[c]) for c in real.columns}
        self.num = [c for c in real.columns if self.column_kinds[c].distance == "scaled"]
        self.cat = [c for c in real.columns if self.column_kinds[c].distance == "mismatch"]
        self.stats = {}
        for c in self.num:
            v = self._scaled(c, real[c])
            v = v[np.isfinite(v)]
            med = float(np.median(v)) if v.size else 0.0
            mean, std = (float(v.mean()), float(v.std())) if v.size else (0.0, 1.0)
            self.stats[c] = (med, mean, std if std > 0 else 1.0)
        self.categories = {c: pd.Index(pd.unique(category_labels(real[c]))) for c in self.cat}

    def _scaled(self, c: Any, s: pd.Series) -> np.ndarray:
        """The kind's ``encode`` of a column's numbers (NaN where missing or not encodable)."""
        v = self.column_kinds[c].numbers(s)
        ok = np.isfinite(v)
        out = np.full(len(v), np.nan)
        with np.errstate(all="ignore"):
            out[ok] = self.column_kinds[c].encode(v[ok])
        return out

    def __call__(self, df: pd.DataFrame) -> np.ndarray:
        blocks = []
        for c in self.num:
            med, mean, std = self.stats[c]
            v = self._scaled(c, df[c])
            v = np.where(np.isfinite(v), v, med)
            blocks.append(((v - mean) / std)[:, None])
        for c in self.cat:
            idx = self.categories[c].get_indexer(category_labels(df[c]))
            block = np.zeros((len(df), len(self.categories[c])))
            hit = idx >= 0
            block[np.flatnonzero(hit), idx[hit]] = 1.0  # unseen categories: all zeros
            blocks.append(block)
        return np.concatenate(blocks, axis=1) if blocks else np.zeros((len(df), 0))


def nearest(reference: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """Euclidean distance from each query row to its nearest reference row.

    The neighbour is found by sklearn's brute search; its distance is then recomputed
    directly, since the dot-product formula leaves ~1e-8 round-off on exact copies.
    """
    from sklearn.neighbors import NearestNeighbors

    nn = NearestNeighbors(n_neighbors=1, algorithm="brute").fit(reference)
    idx = nn.kneighbors(queries, return_distance=False)[:, 0]
    return np.sqrt(((queries - reference[idx]) ** 2).sum(axis=1))


def subsample(df: pd.DataFrame, n_max: int, rng: np.random.Generator) -> pd.DataFrame:
    if len(df) <= n_max:
        return df
    return df.iloc[np.sort(rng.choice(len(df), n_max, replace=False))]


def nearest_k(reference: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """``(n, k)`` Euclidean distances from each query row to its k nearest reference rows,
    ascending (recomputed directly, like :func:`nearest`)."""
    from sklearn.neighbors import NearestNeighbors

    nn = NearestNeighbors(n_neighbors=k, algorithm="brute").fit(reference)
    idx = nn.kneighbors(queries, return_distance=False)
    d = np.sqrt(((queries[:, None, :] - reference[idx]) ** 2).sum(axis=2))
    return np.sort(d, axis=1)
