"""Tables for GANs: a reversible DataFrame <-> float32 matrix transformer and table datasets.

:class:`TabularTransformer` gives every column one small encoder object, so a richer
scheme is one more encoder class:

A column's kind (:mod:`mpgan.column_kinds`, given by the one rule of
:mod:`mpgan.data.schema`; ``max_categories_int`` is its distinct-value threshold and
``kinds=`` forces kinds) decides its encoder through the kind's ``head``:

- **numeric-head** kinds (numeric, integer, ...) -> the kind's ``encode`` then
  ``"standard"`` (z-score, the default), ``"minmax"`` (to [-1, 1]) or ``"mode"`` (CTGAN's
  mode-specific normalisation: a variational Gaussian mixture per column; a one-hot mode
  block plus the value within the mode). The inverse undoes the scaling, then the kind's
  ``decode`` (numeric: clip to the fitted min/max; integer: round, then clip), rounds
  what an integer dtype must hold and restores the dtype.
- **categorical-head** kinds -> a one-hot block; the inverse takes the argmax and restores values and dtype.

Each encoder reports its model-side layout as ``Column`` blocks whose ``kind`` is the
block's head (numeric value blocks, categorical blocks); they drive the tabular
generator's output heads.

Missing values: a numeric column with missing values gets a two-way ``"<name>.missing"``
block (present / missing) after its value, the value slot holding the median; the
generator learns where values are missing and the inverse puts NaN there. A categorical
NaN becomes its own category, shown as ``"<NA>"`` (the schema's ``MISSING_LABEL``), restored as the column's missing
value. Inf is refused. Constant columns are kept with a warning (they cost one feature
and round-trip exactly); all-missing columns, stray text in a numeric-looking column,
and one-hot columns wider than ``max_categories`` are refused with a DataError.

Table datasets (:func:`table_dataset`) also drop columns that look like unique row IDs
(with a warning), may hold rows out of training (``holdout``), and take ``limit=N``: a
seeded random subset of N rows, kept in order.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..column_kinds import ColumnKind, category_labels, get_kind, infer_kind, is_number_dtype
from ..column_kinds.base import first_bad
from ..data_spec import Column, Dataset, DataSpec
from ..errors import DataError
from ..registry import DATASETS
from ._checks import positive_int, resolve_path, subset_indices
from .schema import MISSING_LABEL, NUMERIC_LOOKING, ColumnSchema, TableSchema, as_names, check_table

NA_LABEL = MISSING_LABEL  # the one missing-value label, from the schema


def _plain(value: Any) -> Any:
    """numpy scalars -> Python scalars, so categories serialise cleanly."""
    return value.item() if isinstance(value, np.generic) else value


def moments(v: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation of finite ``v``, computed on ``v`` divided by its largest
    magnitude, so values near 1e300 do not overflow (or near 1e-300 underflow) when squared."""
    m = float(np.max(np.abs(v))) if v.size else 0.0
    if not m > 0:
        return 0.0, 0.0
    u = v / m
    return float(u.mean()) * m, float(u.std()) * m


# --------------------------------------------------------------------------- encoders


class ColumnEncoder:
    """Encodes one DataFrame column of one kind into ``width`` features and back.

    Subclasses implement :meth:`fit`, :meth:`transform`, :meth:`inverse` and
    :meth:`blocks` (the column's model-side layout, one or more ``Column`` blocks whose
    widths sum to ``width``); the transformer only concatenates them. ``kind`` is the
    column kind's name, ``column_kind`` the kind object whose functions the encoder calls.
    """

    def __init__(self, name: Any, dtype: Any, kind: ColumnKind | str):
        self.name = name
        self.dtype = dtype
        self.column_kind = get_kind(kind) if isinstance(kind, str) else kind
        self.kind = self.column_kind.name
        self.width = 1

    def fit(self, s: pd.Series) -> ColumnEncoder:
        raise NotImplementedError

    def transform(self, s: pd.Series) -> np.ndarray:
        raise NotImplementedError

    def inverse(self, block: np.ndarray) -> pd.Series:
        raise NotImplementedError

    def blocks(self) -> tuple[Column, ...]:
        return (Column(str(self.name), self.column_kind.head, self.width),)  # type: ignore[arg-type]

    def _restore(self, values: Any) -> pd.Series:
        """``values`` as a Series of the fitted dtype and name."""
        return pd.Series(values, dtype=self.dtype, name=self.name)


class NumericEncoder(ColumnEncoder):
    """A column of a numeric-head kind: the kind's ``encode``, then one scaled feature,
    z-score (``"standard"``) or [-1, 1] (``"minmax"``).

    When the fitted column has missing values, a two-way categorical block
    ``"<name>.missing"`` (present / missing) follows the value, so the generator learns
    where values are missing and the inverse puts them back; the value itself is then
    filled with the median.
    """

    def __init__(self, name: Any, dtype: Any, kind: ColumnKind | str = "numeric", scaling: str = "standard"):
        super().__init__(name, dtype, kind)
        self.scaling = scaling

    def _values(self, s: pd.Series) -> np.ndarray:
        return self.column_kind.numbers(s)

    def _check_finite(self, s: pd.Series, v: np.ndarray) -> None:
        inf = np.isinf(v)
        if inf.any():
            row, val = first_bad(s, inf)
            raise DataError(
                f"column '{self.name}' holds {val} at row {row}; replace infinite values "
                "(e.g. with NaN, which is filled with the median) before training"
            )

    def _kind_encode(self, s: pd.Series, v: np.ndarray) -> np.ndarray:
        """The kind's ``encode`` of finite values ``v``, refusing what it cannot encode."""
        out = np.asarray(self.column_kind.encode(v), dtype=np.float64)
        bad = ~np.isfinite(out)
        if bad.any():
            val = v[int(np.flatnonzero(bad)[0])]
            raise DataError(f"column '{self.name}' holds {val!r}, which its kind '{self.kind}' cannot encode; "
                            "fix the value or give the column another kind")
        return out

    def fit(self, s: pd.Series) -> NumericEncoder:
        v = self._values(s)
        self._check_finite(s, v)
        raw = v[~np.isnan(v)]
        self.is_integer = pd.api.types.is_integer_dtype(self.dtype)
        self.min, self.max = float(raw.min()), float(raw.max())
        self.median = float(np.median(raw))
        ok = self._kind_encode(s, raw)
        self.mean, self.std = moments(ok)
        self.missing = int(np.isnan(v).sum())
        self.layout = self.column_kind.layout(s)
        self._fit_values(ok)
        self.value_width = self.width
        self.width = self.value_width + (2 if self.missing else 0)
        return self

    def fit_schema(self, col: ColumnSchema, s: pd.Series) -> NumericEncoder:
        """Fit from the schema's bounds alone, no statistic of the rows (private tables):
        [-1, 1] between the bounds (in the kind's encoded units), a missing block when the
        schema's column has missing values, missing values at the middle. Only the
        column's form (e.g. a date format) is read from ``s``."""
        if type(self)._fit_values is not NumericEncoder._fit_values:
            raise DataError(f"column '{self.name}': the {self.scaling!r} scaling fits a model to the rows, "
                            "so it cannot be fitted from bounds alone; use standard or minmax")
        lo, hi = col.bounds
        self.is_integer = pd.api.types.is_integer_dtype(self.dtype)
        self.min, self.max, self.median = float(lo), float(hi), float(lo) / 2 + float(hi) / 2
        e = self._kind_encode(s, np.array([self.min, self.max]))
        self.scaling, self.shift, self.scale = "minmax", e[1] / 2 + e[0] / 2, e[1] / 2 - e[0] / 2
        if not self.scale > 0:
            self.scale = 1.0
        self.mean, self.std = self.shift, self.scale
        self.missing = int(col.missing)
        self.layout = self.column_kind.layout(s)
        self.value_width, self.width = 1, 1 + (2 if self.missing else 0)
        return self

    def _fit_values(self, ok: np.ndarray) -> None:
        if self.scaling == "minmax":
            lo, hi = float(ok.min()), float(ok.max())  # in the kind's encoded units, as transform scales them
            self.shift, self.scale = hi / 2 + lo / 2, hi / 2 - lo / 2  # halves: no overflow
        else:
            self.shift, self.scale = self.mean, self.std
        if not self.scale > 0:
            self.scale = 1.0

    def _encode(self, v: np.ndarray) -> np.ndarray:
        return ((v / 2 - self.shift / 2) / (self.scale / 2))[:, None]  # halves: no overflow near 1.8e308

    def _decode(self, block: np.ndarray) -> np.ndarray:
        return (block[:, 0] * (self.scale / 2) + self.shift / 2) * 2

    def transform(self, s: pd.Series) -> np.ndarray:
        v = self._values(s)
        self._check_finite(s, v)
        nan = np.isnan(v)
        out = self._encode(self._kind_encode(s, np.where(nan, self.median, v)))
        if self.missing:
            out = np.concatenate([out, np.eye(2)[nan.astype(int)]], axis=1)
        return out

    def inverse(self, block: np.ndarray) -> pd.Series:
        block = np.asarray(block, dtype=np.float64)
        v = self._decode(np.nan_to_num(block[:, :self.value_width]))
        v = np.asarray(self.column_kind.decode(v, self.min, self.max), dtype=np.float64)
        if self.is_integer:  # an integer dtype holds whole numbers, whatever the kind
            v = np.rint(v)
        if self.missing:
            v = np.where(np.argmax(block[:, self.value_width:], axis=1) == 1, np.nan, v)
        return self._restore(self.column_kind.restore(v, self.layout))

    def _value_blocks(self) -> tuple[Column, ...]:
        return (Column(str(self.name), self.column_kind.head, self.value_width),)  # type: ignore[arg-type]

    def blocks(self) -> tuple[Column, ...]:
        extra = (Column(f"{self.name}.missing", "categorical", 2, ("present", "missing")),) if self.missing else ()
        return self._value_blocks() + extra


class ModeEncoder(NumericEncoder):
    """CTGAN's mode-specific normalisation: a variational Gaussian mixture per column.

    A value ``x`` (as a z-score of its column) is encoded as its most likely mode ``k`` (a one-hot block
    ``"<name>.mode"``) and ``(x - mu_k) / (4 sigma_k)`` clipped to [-1, 1] (a numeric
    block). Modes with less than ``min_weight`` of the mass are dropped. Unlike CTGAN,
    the mode is the arg-max, not a draw, so ``transform`` is a function of the data.
    """

    def __init__(self, name: Any, dtype: Any, kind: ColumnKind | str = "numeric", max_modes: int = 10,
                 min_weight: float = 0.005, seed: int = 0):
        super().__init__(name, dtype, kind, "mode")
        self.max_modes, self.min_weight, self.seed = int(max_modes), float(min_weight), int(seed)

    def _z(self, v: np.ndarray) -> np.ndarray:
        """Values as z-scores: the mixture is fitted and applied there, so its variances
        neither overflow (values near 1e300) nor underflow (near 1e-300)."""
        return (v / 2 - self.mean / 2) / (self._unit / 2)

    def _fit_values(self, ok: np.ndarray) -> None:
        from sklearn.mixture import BayesianGaussianMixture

        self._unit = self.std if self.std > 0 else 1.0
        z = self._z(ok)
        distinct = np.unique(z)
        if distinct.size < 2:
            self._zm, self._zs = np.array([distinct[0]]), np.array([1.0])
        else:
            gm = BayesianGaussianMixture(
                n_components=min(self.max_modes, distinct.size), weight_concentration_prior_type="dirichlet_process",
                weight_concentration_prior=1e-3, max_iter=200, random_state=self.seed)
            with warnings.catch_warnings():  # a few iterations short of tolerance is fine here
                warnings.simplefilter("ignore")
                gm.fit(z[:, None])
            keep = gm.weights_ > self.min_weight
            self._zm = gm.means_[keep, 0]
            self._zs = np.sqrt(gm.covariances_[keep].reshape(-1))
            self._gm, self._keep = gm, keep
        self._zs = np.maximum(self._zs, 1e-3)  # in standard deviations of the column
        self.means = (self._zm * (self._unit / 2) + self.mean / 2) * 2  # the modes in the column's units
        self.stds = self._zs * self._unit
        self.width = 1 + (len(self.means) if len(self.means) > 1 else 0)  # one mode: no mode block

    def _encode(self, v: np.ndarray) -> np.ndarray:
        z = self._z(v)
        if len(self.means) == 1:
            mode = np.zeros(len(z), dtype=int)
        else:
            prob = self._gm.predict_proba(z[:, None])[:, self._keep]
            mode = np.argmax(prob, axis=1)
        value = np.clip((z - self._zm[mode]) / (4 * self._zs[mode]), -1, 1)
        if len(self.means) == 1:
            return value[:, None]
        return np.concatenate([value[:, None], np.eye(len(self.means))[mode]], axis=1)

    def _decode(self, block: np.ndarray) -> np.ndarray:
        mode = np.argmax(block[:, 1:], axis=1) if block.shape[1] > 1 else np.zeros(len(block), dtype=int)
        z = np.clip(block[:, 0], -1, 1) * 4 * self._zs[mode] + self._zm[mode]
        return (z * (self._unit / 2) + self.mean / 2) * 2

    def _value_blocks(self) -> tuple[Column, ...]:
        value = (Column(str(self.name), self.column_kind.head, 1),)  # type: ignore[arg-type]
        if len(self.means) == 1:
            return value
        return value + (Column(f"{self.name}.mode", "categorical", len(self.means), tuple(range(len(self.means)))),)


class CategoricalEncoder(ColumnEncoder):
    """A column of a categorical-head kind: a one-hot block over the fitted categories (plus
    ``"<NA>"`` if values were missing)."""

    def __init__(self, name: Any, dtype: Any, kind: ColumnKind | str = "categorical"):
        super().__init__(name, dtype, kind)

    def fit(self, s: pd.Series) -> CategoricalEncoder:
        missing = s.isna().to_numpy()
        self.na_value = s[missing].iloc[0] if missing.any() else None
        if isinstance(self.dtype, pd.CategoricalDtype):
            cats = list(self.dtype.categories)
        else:
            uniq = pd.unique(s[~missing].to_numpy(dtype=object))
            try:
                cats = sorted(uniq)
            except TypeError:  # mixed types: a stable, readable order
                cats = sorted(uniq, key=lambda c: (type(c).__name__, str(c)))
        self.categories = [_plain(c) for c in cats]
        self.has_na = bool(missing.any())
        self._index = pd.Index(self.categories, dtype=object)
        self.width = len(self.categories) + int(self.has_na)
        return self

    def fit_schema(self, col: ColumnSchema, s: pd.Series) -> CategoricalEncoder:
        """Fit from the schema's category labels alone (private tables): the values of ``s``
        give each label its value and type; a label no row holds is read as a number in a
        number column, else kept as text."""
        missing = s.isna().to_numpy()
        self.na_value = s[missing].iloc[0] if missing.any() else None
        labels = [c for c in col.categories if c != NA_LABEL]
        present = s[~missing]
        by_label = dict(zip(category_labels(present), (_plain(v) for v in present.to_numpy(dtype=object)),
                            strict=True))
        values = [_label_value(c, self.dtype, by_label) for c in labels]
        try:
            self.categories = sorted(values)
        except TypeError:
            self.categories = sorted(values, key=lambda c: (type(c).__name__, str(c)))
        self.has_na = NA_LABEL in col.categories
        self._index = pd.Index(self.categories, dtype=object)
        self.width = len(self.categories) + int(self.has_na)
        return self

    def codes(self, s: pd.Series) -> np.ndarray:
        """Category index per row (the ``"<NA>"`` slot is the last one)."""
        missing = s.isna().to_numpy()
        values = np.array([_plain(v) for v in s.to_numpy(dtype=object)], dtype=object)
        codes = self._index.get_indexer(values)
        if self.has_na:
            codes[missing] = len(self.categories)
        bad = codes < 0
        if bad.any():
            row, val = first_bad(s, bad)
            what = "a missing value" if pd.isna(val) else f"the unseen category {val!r}"
            raise DataError(
                f"column '{self.name}' holds {what} at row {row}; the transformer was fitted "
                f"on {self.categories[:10]}{'...' if len(self.categories) > 10 else ''}, so refit on data including it"
            )
        return codes

    def transform(self, s: pd.Series) -> np.ndarray:
        return np.eye(self.width, dtype=np.float32)[self.codes(s)]

    def inverse(self, block: np.ndarray) -> pd.Series:
        idx = np.argmax(np.nan_to_num(np.asarray(block, dtype=np.float64), nan=-np.inf), axis=1)
        lookup = np.empty(self.width, dtype=object)
        lookup[: len(self.categories)] = self.categories
        if self.has_na:
            lookup[-1] = self.na_value
        return self._restore(lookup[idx])

    def blocks(self) -> tuple[Column, ...]:
        cats = tuple(self.categories) + ((NA_LABEL,) if self.has_na else ())
        return (Column(str(self.name), "categorical", self.width, cats),)


def _label_value(label: str, dtype: Any, by_label: Mapping[str, Any]) -> Any:
    """A category's value from its label, by the column's dtype alone where the dtype says
    (numbers, bools), so the values do not tell which labels the rows hold; text columns
    take the rows' own value (a label no row holds stays text)."""
    if isinstance(dtype, pd.CategoricalDtype):
        dtype = dtype.categories.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return label == "True"
    if is_number_dtype(dtype):
        v = float(label)
        return int(v) if v.is_integer() and pd.api.types.is_integer_dtype(dtype) else v
    return by_label.get(label, label)


#: Numeric scaling name -> encoder factory ``(name, dtype, kind) -> ColumnEncoder`` for the
#: columns of numeric-head kinds; extend to add schemes.
NUMERIC_ENCODERS: dict[str, Callable[[Any, Any, ColumnKind], ColumnEncoder]] = {
    "standard": lambda name, dtype, kind: NumericEncoder(name, dtype, kind, "standard"),
    "minmax": lambda name, dtype, kind: NumericEncoder(name, dtype, kind, "minmax"),
    "mode": lambda name, dtype, kind: ModeEncoder(name, dtype, kind),
}


# --------------------------------------------------------------------------- transformer


class TabularTransformer:
    """Reversible DataFrame <-> float32 matrix encoding with a ``Column`` layout.

    ``fit(df)`` chooses and fits one encoder per column, ``transform(df)`` returns
    ``(n, sum(widths))`` float32, ``inverse_transform(x)`` returns a DataFrame with the
    original column names, order and dtypes. See the module docstring for the rules.
    """

    def __init__(self, numeric: str = "standard", max_categories_int: int = 10,
                 categorical: Sequence[str] = (), max_categories: int = 200,
                 kinds: Mapping[Any, str] | None = None):
        if numeric not in NUMERIC_ENCODERS:
            raise DataError(f"numeric scaling must be one of {sorted(NUMERIC_ENCODERS)}, got {numeric!r}")
        self.numeric = numeric
        self.max_categories_int = int(max_categories_int)
        self.categorical = (categorical,) if isinstance(categorical, str) else tuple(categorical)
        self.kinds = dict(kinds or {})
        self.max_categories = positive_int(max_categories, "max_categories", "tabular")
        self.encoders: list[ColumnEncoder] = []
        self.schema_: TableSchema | None = None
        self.feature_names_in_: list[Any] = []

    # -- fitting
    def _encoder_for(self, col: ColumnSchema, dtype: Any) -> ColumnEncoder:
        kind = get_kind(col.kind)
        if kind.head == "categorical":
            return CategoricalEncoder(col.name, dtype, kind)
        return NUMERIC_ENCODERS[self.numeric](col.name, dtype, kind)

    def fit(self, df: pd.DataFrame, schema: TableSchema | None = None) -> TabularTransformer:
        """Choose and fit one encoder per column of ``df``, by the column's kind. With
        ``schema`` (a private table's: bounds and categories that are public or estimated
        under differential privacy) the encoders are fitted from it, not from the rows."""
        self.schema_ = schema or TableSchema.infer(df, categorical=self.categorical, kinds=self.kinds,
                                                   max_categories=self.max_categories_int)
        encoders = []
        for col in self.schema_:
            name = col.name
            enc = self._encoder_for(col, df[name].dtype)
            enc = enc.fit_schema(col, df[name]) if schema is not None else enc.fit(df[name])
            if enc.width > self.max_categories:
                raise DataError(
                    f"column '{name}' has {enc.width} distinct values, too many for a one-hot block "
                    f"(max_categories={self.max_categories}); drop it, convert it to numbers, or raise max_categories"
                )
            constant = (isinstance(enc, CategoricalEncoder) and enc.width == 1) or (
                isinstance(enc, NumericEncoder) and enc.min == enc.max)
            if constant:
                warnings.warn(f"column '{name}' is constant; it is kept but carries no information",
                              UserWarning, stacklevel=2)
            encoders.append(enc)
        self.encoders = encoders
        self.feature_names_in_ = list(df.columns)
        return self

    # -- transforming
    def _check_fitted(self) -> None:
        if not self.encoders:
            raise DataError("the TabularTransformer is not fitted; call fit(df) first")

    @property
    def columns(self) -> tuple[Column, ...]:
        """The model-side layout: each original column's ``Column`` blocks, in order."""
        self._check_fitted()
        return tuple(b for e in self.encoders for b in e.blocks())

    @property
    def output_dim(self) -> int:
        """Number of features ``transform`` produces (sum of column widths)."""
        self._check_fitted()
        return sum(e.width for e in self.encoders)

    def transform(self, df: pd.DataFrame) -> np.ndarray:
        """Encode ``df`` (same columns as fitted; extra columns are ignored) as float32."""
        self._check_fitted()
        missing = [c for c in self.feature_names_in_ if c not in df.columns]
        if missing:
            raise DataError(f"the table lacks the fitted columns {missing}; its columns are {list(df.columns)}")
        blocks = [np.asarray(e.transform(df[e.name]), dtype=np.float32) for e in self.encoders]
        return np.concatenate(blocks, axis=1)

    def fit_transform(self, df: pd.DataFrame) -> np.ndarray:
        """``fit(df)`` then ``transform(df)``."""
        return self.fit(df).transform(df)

    def inverse_transform(self, x: np.ndarray) -> pd.DataFrame:
        """Decode model-space rows ``(n, output_dim)`` into a DataFrame like the fitted one."""
        self._check_fitted()
        x = np.asarray(x)
        if x.ndim == 1:
            x = x[None]
        if x.ndim != 2 or x.shape[1] != self.output_dim:
            raise DataError(
                f"cannot decode an array of shape {x.shape}; expected (n, {self.output_dim}) for this table"
            )
        out: dict[Any, pd.Series] = {}
        start = 0
        for e in self.encoders:
            out[e.name] = e.inverse(x[:, start:start + e.width])
            start += e.width
        return pd.DataFrame(out, columns=self.feature_names_in_)

    # -- saving: JSON, so a shared synthesizer needs no pickle and no rows
    def to_dict(self) -> dict[str, Any]:
        """The fitted encoders as JSON-ready values (standard and minmax scalings)."""
        self._check_fitted()
        return {"numeric": self.numeric, "columns": [_encoder_state(e) for e in self.encoders],
                "schema": self.schema_.to_dict()}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TabularTransformer:
        """The transformer :meth:`to_dict` saved, ready to ``inverse_transform``."""
        tr = cls(numeric=d["numeric"])
        tr.encoders = [_encoder_from_state(c) for c in d["columns"]]
        tr.schema_ = TableSchema.from_dict(d["schema"])
        tr.feature_names_in_ = [e.name for e in tr.encoders]
        return tr

    def __repr__(self) -> str:
        fitted = f", {len(self.encoders)} columns -> {self.output_dim} features" if self.encoders else ""
        return f"TabularTransformer(numeric={self.numeric!r}{fitted})"


_NUMERIC_STATE = ("scaling", "min", "max", "median", "shift", "scale", "mean", "std", "is_integer", "missing",
                  "layout", "value_width", "width")


def _dtype_state(dtype: Any, categorical: bool) -> Any:
    """A dtype as JSON: its name, or for a category dtype whether it is ordered (its categories
    are the encoder's); a number column of category dtype is saved as float64."""
    if isinstance(dtype, pd.CategoricalDtype):
        return {"category": True, "ordered": bool(dtype.ordered)} if categorical else "float64"
    return str(dtype)


def _encoder_state(e: ColumnEncoder) -> dict[str, Any]:
    categorical = isinstance(e, CategoricalEncoder)
    base = {"name": _plain(e.name), "dtype": _dtype_state(e.dtype, categorical), "kind": e.kind}
    if categorical:
        return {**base, "type": "categorical", "categories": [_plain(c) for c in e.categories],
                "has_na": e.has_na, "na_value": None}  # restored as the dtype's own missing value
    if type(e) is not NumericEncoder:
        raise DataError(f"column '{e.name}' uses the {getattr(e, 'scaling', type(e).__name__)!r} encoding, "
                        "which cannot be saved without its fitted model; use the standard or minmax scaling")
    return {**base, "type": "numeric", **{k: _plain(getattr(e, k)) for k in _NUMERIC_STATE}}


def _encoder_from_state(c: Mapping[str, Any]) -> ColumnEncoder:
    cats = c.get("categories") or []
    d = c["dtype"]
    dtype = pd.CategoricalDtype(cats, ordered=d["ordered"]) if isinstance(d, dict) else pd.api.types.pandas_dtype(d)
    if c["type"] == "categorical":
        e: ColumnEncoder = CategoricalEncoder(c["name"], dtype, c["kind"])
        e.categories, e.has_na, e.na_value = list(cats), bool(c["has_na"]), c["na_value"]
        e._index = pd.Index(e.categories, dtype=object)
        e.width = len(cats) + int(e.has_na)
        return e
    e = NumericEncoder(c["name"], dtype, c["kind"], c["scaling"])
    for k in _NUMERIC_STATE:
        setattr(e, k, c[k])
    return e


# --------------------------------------------------------------------------- datasets


def id_columns(df: pd.DataFrame, exclude: Sequence[Any] = ()) -> dict[Any, str]:
    """Columns that look like unique row IDs: ``{name: "text" | "integer"}``.

    A text column whose values are all distinct (and not mostly numbers written as
    text, nor values another kind claims, such as ISO dates), or an integer column whose values are all distinct and consecutive (max - min = rows - 1). Needs at least 20 rows, so a tiny
    table of distinct labels is not mistaken for IDs.
    """
    out: dict[Any, str] = {}
    if len(df) < 20:
        return out
    for name in df.columns:
        if name in exclude:
            continue
        s = df[name]
        if s.isna().any() or s.nunique() != len(s):
            continue
        if pd.api.types.is_integer_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
            if int(s.max()) - int(s.min()) == len(s) - 1:
                out[name] = "integer"
        elif pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype):
            numbers = pd.to_numeric(s.astype(str).str.strip(), errors="coerce").notna().mean()
            # numbers written as text are values, not IDs, and so is text another kind claims (dates)
            if numbers < NUMERIC_LOOKING and infer_kind(name, s) == "categorical":
                out[name] = "text"
    return out


def _holdout_split(df: pd.DataFrame, holdout: float, target: str | None, seed: int, name: str
                   ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    if not holdout:
        return df, None
    if not 0 < holdout < 1:
        raise DataError(f"dataset '{name}': holdout must be a fraction between 0 and 1, got {holdout!r}")
    from sklearn.model_selection import train_test_split

    strat = df[target] if target is not None else None
    try:
        train, test = train_test_split(df, test_size=holdout, random_state=seed, stratify=strat)
    except ValueError as exc:
        raise DataError(f"dataset '{name}': cannot hold out {holdout:.0%} of {len(df)} rows"
                        + (f" stratified by '{target}'" if target is not None else "")
                        + f" ({exc}); use a larger table or a different holdout") from None
    return train.sort_index(), test.sort_index()


def check_class_target(df: pd.DataFrame, target: str, name: str, kinds: Mapping[Any, str],
                  categorical: Sequence[Any] = (), max_categories_int: int = 10) -> None:
    """A class column that exists, has no missing labels, at least two classes and a kind of
    labels (forced, or by the one rule: a continuous number column is not silently made
    into classes, one per distinct value)."""
    if target not in df.columns:
        raise DataError(f"dataset '{name}': target column '{target}' does not exist; the columns are {list(df.columns)}")
    if target in kinds and get_kind(kinds[target]).head != "categorical":
        raise DataError(f"dataset '{name}': the target column '{target}' holds class labels, so its kind must "
                        f"have a categorical head, not '{kinds[target]}'; drop it from kinds=")
    if target not in kinds and target not in categorical and df[target].notna().any():
        kind = get_kind(infer_kind(target, df[target], max_categories=max_categories_int))
        if kind.head != "categorical":
            raise DataError(
                f"dataset '{name}': target column '{target}' holds {df[target].nunique()} distinct numbers, so it "
                f"is a {kind.name} column, not classes; a target is a class column: model '{target}' as a "
                "feature (no target), bin it into classes first (e.g. pandas.cut), or list it as categorical "
                "(categorical=, --categorical) if its numbers are class codes")
    n_missing = int(df[target].isna().sum())
    if n_missing:
        raise DataError(f"dataset '{name}': target column '{target}' has {n_missing} missing labels; drop those rows")
    classes = df[target].unique()
    if len(classes) < 2:
        raise DataError(f"dataset '{name}': target column '{target}' has a single class ({classes[0]!r}); "
                        "a class target needs at least two classes")


def _drop_ids(df: pd.DataFrame, keep: tuple[Any, ...], name: str) -> tuple[pd.DataFrame, dict[Any, str]]:
    """``df`` without the columns that look like row IDs (warned about), and those columns."""
    ids = id_columns(df, exclude=keep)
    if ids:
        warnings.warn(f"dataset '{name}': {', '.join(repr(str(c)) for c in ids)} "
                      f"{'looks' if len(ids) == 1 else 'look'} like unique row IDs (all values distinct) "
                      f"and {'carries' if len(ids) == 1 else 'carry'} nothing a model can learn; dropped (list a column in categorical= to keep it)",
                      UserWarning, stacklevel=4)
        df = df.drop(columns=list(ids))
        if df.shape[1] == 0 and len(ids) == 1:
            raise DataError(f"dataset '{name}': the table has one column ({str(next(iter(ids)))!r}); if it was read "
                            "from a file with another separator, pass it with --sep (sep= in Python)")
        if df.shape[1] == 0:
            raise DataError(f"dataset '{name}': every column looks like a row ID; nothing is left to model")
    return df, ids


def _labels(tr: TabularTransformer, df: pd.DataFrame, target: Any) -> tuple[np.ndarray, list[Any]]:
    """The target's class index per row, and its classes (the one-hot block's slots, in order;
    a target has no missing labels, so no ``"<NA>"`` slot)."""
    enc = tr.encoders[tr.feature_names_in_.index(target)]
    assert isinstance(enc, CategoricalEncoder)
    return enc.codes(df[target]).astype(np.int64), list(enc.categories)


def table_dataset(
    df: pd.DataFrame,
    name: str,
    *,
    target: str | None = None,
    numeric: str = "standard",
    max_categories_int: int = 10,
    drop: str | Sequence[str] | None = None,
    categorical: Sequence[str] = (),
    max_categories: int = 200,
    seed: int = 0, limit: int | None = None, holdout: float = 0.0,
    class_names: Sequence[str] | None = None,
    info: dict[str, Any] | None = None,
    kinds: Mapping[str, str] | None = None,
) -> Dataset:
    """Encode ``df`` with a :class:`TabularTransformer` into a tabular Dataset.

    ``target`` names a class-label column: it stays in the table as a categorical
    block and also becomes ``y`` (and ``spec.target``). ``kinds={column: kind}`` forces
    columns' kinds (:mod:`mpgan.column_kinds`), like ``categorical=``. Columns that look like unique
    row IDs (:func:`id_columns`) are dropped with a warning and listed in
    ``info["ids"]``. ``holdout`` keeps that fraction of the rows (stratified by the
    target) out of training, in ``Dataset.holdout``, for train-on-synthetic/test-on-real
    scores; ``Dataset.frame`` holds the training rows as they were read.
    """
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"dataset '{name}' expects a pandas DataFrame, got {type(df).__name__}")
    check_table(df)
    cols = list(df.columns)
    drop_list = [drop] if isinstance(drop, str) else list(drop or [])
    unknown = [c for c in drop_list if c not in cols]
    if unknown:
        raise DataError(f"dataset '{name}': drop= names unknown columns {unknown}; the columns are {cols}")
    df = df.drop(columns=drop_list)
    kinds = dict(kinds or {})
    if target is not None:
        check_class_target(df, target, name, kinds, as_names(categorical), max_categories_int)
    forced = (categorical,) if isinstance(categorical, str) else tuple(categorical)
    labels = (target,) if target is not None and target not in kinds and target not in forced else ()
    df, ids = _drop_ids(df, forced + labels + tuple(kinds), name)
    idx = subset_indices(len(df), limit, seed, name)
    if idx is not None:
        df = df.iloc[idx]
    df, held = _holdout_split(df, float(holdout or 0.0), target, seed, name)
    tr = TabularTransformer(numeric=numeric, max_categories_int=max_categories_int, categorical=forced + labels,
                            max_categories=max_categories, kinds=kinds)
    meta = {"dropped": drop_list, "ids": {str(k): v for k, v in ids.items()}, **(info or {})}
    return encoded_dataset(df, tr.fit(df), name, target, class_names, meta, held)


def encoded_dataset(df: pd.DataFrame, tr: TabularTransformer, name: str, target: Any,
                    class_names: Sequence[str] | None, info: Mapping[str, Any], held: pd.DataFrame | None
                    ) -> Dataset:
    """The Dataset of the training rows ``df`` encoded by the fitted ``tr`` (``held``: the
    held-out rows, or None); ``info`` adds to what the dataset records about itself."""
    x = tr.transform(df)
    y = names = num_classes = classes = None
    if target is not None:
        y, classes = _labels(tr, df, target)
        num_classes = len(classes)
        names = tuple(class_names) if class_names is not None else tuple(str(c) for c in classes)
    spec = DataSpec(kind="tabular", shape=(x.shape[1],), value_range=None, columns=tr.columns,
                    num_classes=num_classes, name=name, target=None if target is None else str(target))
    meta = {"rows": len(df), "target": target, "classes": classes,
            "holdout_rows": 0 if held is None else len(held), **info, "schema": tr.schema_.to_dict()}
    return Dataset(x=x, spec=spec, y=y, class_names=names, inverse=tr.inverse_transform, info=meta,
                   frame=df, holdout=held)


def _sklearn_table(loader: Callable[..., Any], name: str, seed: int, limit: int | None,
                   numeric: str, holdout: float) -> Dataset:
    bunch = loader(as_frame=True)
    return table_dataset(bunch.frame, name, target="target", numeric=numeric, seed=seed, limit=limit,
                         holdout=holdout, class_names=[str(n) for n in bunch.target_names],
                         info={"source": f"sklearn.datasets.{loader.__name__}"})


@DATASETS.register("breast_cancer")
def breast_cancer(seed: int = 0, limit: int | None = None, numeric: str = "standard",
                  holdout: float = 0.0) -> Dataset:
    """scikit-learn's bundled Wisconsin breast-cancer table (569 x 30 + target), no download.

    The ``target`` column (0 malignant, 1 benign) is a categorical block and ``y``.
    """
    from sklearn.datasets import load_breast_cancer

    return _sklearn_table(load_breast_cancer, "breast_cancer", seed, limit, numeric, holdout)


@DATASETS.register("wine")
def wine(seed: int = 0, limit: int | None = None, numeric: str = "standard", holdout: float = 0.0) -> Dataset:
    """scikit-learn's bundled wine table (178 x 13 + target, 3 cultivars), no download.

    The ``target`` column is a categorical block and ``y``.
    """
    from sklearn.datasets import load_wine

    return _sklearn_table(load_wine, "wine", seed, limit, numeric, holdout)


def load_penguins() -> pd.DataFrame:
    """The Palmer penguins table (344 rows, 8 mixed-type columns with missing values),
    from the ``palmerpenguins`` package's bundled CSV (no download)."""
    try:
        import palmerpenguins
    except ImportError:
        raise DataError("the penguins table comes from the palmerpenguins package; "
                        "install it with `pip install palmerpenguins`") from None
    return palmerpenguins.load_penguins()


@DATASETS.register("penguins")
def penguins(seed: int = 0, limit: int | None = None, numeric: str = "standard", holdout: float = 0.0,
             target: str | None = "species") -> Dataset:
    """Palmer penguins (344 x 8: species, island, sex and year are categorical, four
    measurements numeric, some missing), bundled with the palmerpenguins package.

    ``target`` (default ``species``) is a categorical block and ``y``.
    """
    return table_dataset(load_penguins(), "penguins", target=target, numeric=numeric, seed=seed, limit=limit,
                         holdout=holdout, info={"source": "palmerpenguins.load_penguins"})


def _statsmodels_table(name: str) -> pd.DataFrame:
    try:
        from statsmodels import datasets
    except ImportError:
        raise DataError("the affairs and rand_hie tables come from the statsmodels package; "
                        "install it with `pip install statsmodels`") from None
    return getattr(datasets, name).load_pandas().data


def load_affairs() -> pd.DataFrame:
    """Fair's 1977 survey of extramarital affairs (Redbook magazine, 6,366 women), as
    statsmodels bundles it. Rating, religiousness, education and occupation codes are whole
    numbers with few values, so they encode as categorical; age, years married and
    children are numeric. The count ``affairs`` becomes the yes/no target ``affair``, as in
    statsmodels' logit example (the count itself would give the target away)."""
    df = _statsmodels_table("fair")
    df["affair"] = np.where(df.pop("affairs") > 0, "yes", "no")
    return df


def load_rand_hie() -> pd.DataFrame:
    """The RAND Health Insurance Experiment (20,190 person-years), as statsmodels bundles it.
    Its three self-rated health dummies become one categorical ``health`` (excellent, good,
    fair, poor), the target; ``idp`` (individual deductible) is categorical, the rest numeric."""
    df = _statsmodels_table("randhie")
    health = np.select([df["hlthp"] == 1, df["hlthf"] == 1, df["hlthg"] == 1], ["poor", "fair", "good"],
                       default="excellent")
    df = df.drop(columns=["hlthg", "hlthf", "hlthp"])
    df["idp"] = df["idp"].astype(np.int64)
    df["health"] = health
    return df


@DATASETS.register("affairs")
def affairs(seed: int = 0, limit: int | None = None, numeric: str = "standard", holdout: float = 0.0) -> Dataset:
    """Fair's affairs survey (6,366 x 9: five coded columns categorical, three numeric; target
    ``affair`` yes/no), bundled with statsmodels."""
    return table_dataset(load_affairs(), "affairs", target="affair", numeric=numeric, seed=seed, limit=limit,
                         holdout=holdout, info={"source": "statsmodels.datasets.fair"})


@DATASETS.register("rand_hie")
def rand_hie(seed: int = 0, limit: int | None = None, numeric: str = "standard", holdout: float = 0.0) -> Dataset:
    """The RAND Health Insurance Experiment (20,190 x 8: ``idp`` and the target ``health``
    categorical, six numeric), bundled with statsmodels."""
    return table_dataset(load_rand_hie(), "rand_hie", target="health", numeric=numeric, seed=seed, limit=limit,
                         holdout=holdout, info={"source": "statsmodels.datasets.randhie"})


def load_diamonds() -> pd.DataFrame:
    """ggplot2's diamonds (53,940 x 10: cut, color and clarity categorical; carat, price and
    five measurements numeric, price and carat right-skewed), from the CSV the ``plotnine``
    package bundles. The file is read without importing plotnine (no plotting stack)."""
    import importlib.util

    spec = importlib.util.find_spec("plotnine")
    path = Path(spec.submodule_search_locations[0]) / "data" / "diamonds.csv" if spec else None
    if path is None or not path.is_file():
        raise DataError("the diamonds table comes from the plotnine package's bundled data; "
                        "install it with `pip install plotnine` (or mpgan's `baselines` extra)")
    return pd.read_csv(path)


@DATASETS.register("diamonds")
def diamonds(seed: int = 0, limit: int | None = None, numeric: str = "standard", holdout: float = 0.0,
             target: str | None = "cut") -> Dataset:
    """ggplot2's diamonds (53,940 x 10, mixed types, skewed price and carat), bundled with
    plotnine. ``target`` (default ``cut``, five grades) is a categorical block and ``y``."""
    return table_dataset(load_diamonds(), "diamonds", target=target, numeric=numeric, seed=seed, limit=limit,
                         holdout=holdout, info={"source": "plotnine's data/diamonds.csv (ggplot2)"})


#: Table file suffixes :func:`read_table` understands.
TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".json", ".parquet", ".pkl", ".pickle")
PICKLE_SUFFIXES = (".pkl", ".pickle")


#: Separators :func:`sniff_sep` recognises.
SEPARATORS = ",;\t|"


def sniff_sep(path: str | os.PathLike[str], lines: int = 20) -> str:
    """The separator of a delimited text file, guessed by :class:`csv.Sniffer` from its first
    ``lines`` lines (one of :data:`SEPARATORS`), or ``","`` when the guess fails: European
    spreadsheets write ``;`` and would otherwise read as one column."""
    import csv as _csv
    import itertools

    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        sample = "".join(itertools.islice(f, lines))
    try:
        return _csv.Sniffer().sniff(sample, delimiters=SEPARATORS).delimiter
    except _csv.Error:
        return ","


def read_table(path: str | os.PathLike[str], sep: str | None = None, allow_pickle: bool = False) -> pd.DataFrame:
    """A table file as a DataFrame: CSV/TSV (pandas ``read_csv``; without ``sep`` the separator
    is sniffed from the first lines, falling back to ``","``), pandas' table-schema JSON
    (``df.to_json(orient="table")``), Parquet, or, only with ``allow_pickle=True``, a pickle.

    JSON and Parquet keep dtypes exactly; CSV dtypes are pandas' inference. Pickles are
    refused by default because loading one runs whatever code it holds. A relative
    ``path`` is also looked up in the data root (``$MPGAN_DATA`` or datasets/).
    """
    p = resolve_path(path, "table file")
    if p.is_dir():
        raise DataError(f"table path '{p}' is a folder; pass the file itself")
    suffix = p.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise DataError(f"table file '{p}' has the suffix {suffix!r}; expected one of {', '.join(TABLE_SUFFIXES)}")
    if suffix in PICKLE_SUFFIXES and not allow_pickle:
        raise DataError(f"table file '{p}' is a pickle, which mpgan does not load (unpickling runs the file's "
                        "code); save it as CSV, JSON (df.to_json(path, orient='table')) or Parquet, or, for a "
                        "file you trust, call read_table(path, allow_pickle=True) from Python")
    try:
        if suffix in PICKLE_SUFFIXES:
            df = pd.read_pickle(p)
        elif suffix == ".json":
            df = pd.read_json(p, orient="table")
        elif suffix == ".parquet":
            df = pd.read_parquet(p)
        else:
            df = pd.read_csv(p, sep=sep or ("\t" if suffix == ".tsv" else sniff_sep(p)))
    except pd.errors.EmptyDataError:
        raise DataError(f"table file '{p}' is empty; pass a file with a header row and data") from None
    except ImportError as exc:
        raise DataError(f"reading '{p}' needs an optional package ({exc})") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as exc:
        raise DataError(f"table file '{p}' could not be parsed ({exc}); check its format, separator (sep=) "
                        "and encoding") from None
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"table file '{p}' holds a {type(df).__name__}, not a pandas DataFrame")
    if suffix not in (".json", ".parquet", *PICKLE_SUFFIXES) and df.shape[1] == 1:
        _check_one_column(p, str(df.columns[0]), sep)
    return df


def _check_one_column(p: Any, header: str, sep: str | None) -> None:
    """Refuse a delimited file read as one column whose header holds another separator:
    the separator was wrong, and the column would otherwise be dropped as row IDs."""
    other = next((c for c in SEPARATORS if c in header and c != sep), None)
    if other is not None:
        raise DataError(f"table file '{p}' reads as one column ({header!r}) with the separator {sep or ','!r}; "
                        f"pass its separator, e.g. --sep {other!r} (sep={other!r} in Python)")


@DATASETS.register("csv")
def csv(path: str, target: str | None = None, numeric: str = "standard", max_categories_int: int = 10,
        drop: str | list[str] | None = None, categorical: str | list[str] = (),
        max_categories: int = 200, sep: str | None = None, seed: int = 0, limit: int | None = None,
        holdout: float = 0.0, kinds: dict[str, str] | None = None) -> Dataset:
    """Any table file (CSV/TSV, table-schema JSON or Parquet), encoded column by column; `target` adds class labels.

    A relative ``path`` is also looked up in the data root (``$MPGAN_DATA`` or datasets/);
    ``kinds`` forces columns' kinds, e.g. ``{age: integer}``.
    """
    df = read_table(path, sep)
    return table_dataset(df, "csv", target=target, numeric=numeric, max_categories_int=max_categories_int,
                         drop=drop, categorical=categorical, max_categories=max_categories,
                         seed=seed, limit=limit, holdout=holdout, info={"source": os.fspath(path)}, kinds=kinds)


@DATASETS.register("dataframe")
def dataframe(df: pd.DataFrame, target: str | None = None, numeric: str = "standard",
              max_categories_int: int = 10, drop: str | list[str] | None = None,
              categorical: str | list[str] = (), max_categories: int = 200, seed: int = 0,
              limit: int | None = None, holdout: float = 0.0, kinds: dict[str, str] | None = None) -> Dataset:
    """An in-memory pandas DataFrame (Python API only), encoded like `csv`."""
    return table_dataset(df, "dataframe", target=target, numeric=numeric,
                         max_categories_int=max_categories_int, drop=drop, categorical=categorical,
                         max_categories=max_categories, seed=seed, limit=limit, holdout=holdout,
                         info={"source": "in-memory DataFrame"}, kinds=kinds)
