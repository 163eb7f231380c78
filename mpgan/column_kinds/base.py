"""What a table column kind declares, and the one rule that gives a column its kind.

A kind is the one thing that decides, for a table column, how it is encoded for the GAN
(``head`` and the pure ``encode``/``decode`` functions), which output head the generator
gives it, which statistic compares its real and synthetic values (``fidelity``), how it
counts in row distances (``distance``) and how plots draw it (``plot``). Kinds sit below
everything that reads them: they declare names and numpy/pandas functions, and the
transformer, the generator (through the blocks' heads), the metrics and the plots read
the declarations. A fork adds a kind with one registered class::

    @COLUMN_KINDS.register("amount")
    class Amount(ColumnKind):
        \"\"\"Positive amounts, modelled on a log scale.\"\"\"
        def encode(self, v): return np.log(v)
        def decode(self, v, low, high): return np.clip(np.exp(v), low, high)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError, MpganError
from ..registry import COLUMN_KINDS

MISSING_LABEL = "<NA>"
#: Number columns with at most this many distinct whole values are categorical codes.
MAX_CATEGORIES = 10
#: A text column with at least this share of numbers (but not all) is refused as a data error.
NUMERIC_LOOKING = 0.9

#: The generator's output heads: "numeric" value blocks (linear, or tanh in a value range)
#: and "categorical" blocks (one softmax over the block).
HEADS = ("numeric", "categorical")
#: How a column counts in row distances: "scaled" (its encoded value as a z-score) or
#: "mismatch" (one-hot over the real categories: √2 when two rows differ).
DISTANCES = ("scaled", "mismatch")
#: How plots draw a column: "histogram" (even bins), "integer" (one bin per whole number,
#: or whole-number-wide bins) or "bars" (category shares).
PLOTS = ("histogram", "integer", "bars")
#: The column report's built-in statistics: "ks" (two-sample Kolmogorov-Smirnov), "tvd"
#: (total-variation distance of category shares) and "wasserstein" (earth mover's distance
#: in real standard deviations). A kind that names another statistic computes it itself
#: (:meth:`ColumnKind.statistic`).
FIDELITY = ("ks", "tvd", "wasserstein")


def is_number_dtype(dtype: Any) -> bool:
    """A real number dtype (bool and complex are not numbers here)."""
    return (pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
            and not pd.api.types.is_complex_dtype(dtype))


def category_labels(s: pd.Series) -> np.ndarray:
    """Canonical category labels (text): numbers by value (1 and 1.0 -> "1"), missing as
    :data:`MISSING_LABEL`; the form categories are compared, saved and drawn in."""
    missing = s.isna().to_numpy()
    if is_number_dtype(s.dtype):
        v = s.to_numpy(dtype=np.float64, na_value=np.nan)
        out = np.array([str(int(x)) if np.isfinite(x) and x.is_integer() else repr(float(x)) for x in v],
                       dtype=object)
    else:
        out = np.array([str(x) for x in s.to_numpy(dtype=object)], dtype=object)
    out[missing] = MISSING_LABEL
    return out


def first_bad(s: pd.Series, bad: np.ndarray) -> tuple[Any, Any]:
    """Index label and value (a plain Python one) of the first True in ``bad``, for error messages."""
    i = int(np.flatnonzero(bad)[0])
    value = s.iloc[i]
    return s.index[i], value.item() if isinstance(value, np.generic) else value


class ColumnKind:
    """One kind of table column: what it declares (class attributes) and its pure functions.

    ``head`` picks the encoder: "numeric" kinds are numbers (bounds, the ``numeric=``
    scaling of :mod:`mpgan.data.tabular`, correlations, numeric classifier features),
    "categorical" kinds are labels (a one-hot block). ``fidelity`` names a built-in
    statistic (:data:`FIDELITY`) or the column the kind's own :meth:`statistic` fills in
    the column report. ``priority`` orders the kinds inference asks (lower first; the first
    whose :meth:`detect` says yes wins).
    """

    name: str = ""
    head: str = "numeric"
    fidelity: str = "ks"
    distance: str = "scaled"
    plot: str = "histogram"
    priority: int = 50

    def detect(self, name: Any, present: pd.Series, max_categories: int) -> bool:
        """Whether inference gives this kind to a column whose non-missing values are
        ``present``; by default never (the kind is only used when a column is forced to it)."""
        return False

    def check(self, name: Any, present: pd.Series) -> None:
        """Refuse a column forced to this kind that cannot be it (numeric heads need numbers)."""
        if self.head != "numeric":
            return
        bad = np.isnan(self.numbers(present))
        if bad.any():
            raise DataError(f"column '{name}' is listed as {self.name} but holds values that are not numbers "
                            f"(e.g. {first_bad(present, bad)[1]!r})")

    def numbers(self, s: pd.Series) -> np.ndarray:
        """A numeric-head column as float64 (NaN where missing or not a number): the values
        bounds, encoders and baselines work on. Dates, say, become seconds."""
        return pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)

    def layout(self, s: pd.Series) -> Any:
        """What :meth:`restore` needs, besides the dtype, to give numbers back in the
        column's form (e.g. a date format); by default nothing."""
        return None

    def restore(self, v: np.ndarray, layout: Any) -> Any:
        """Decoded numbers (:meth:`numbers`' units) -> the column's values; by default the numbers."""
        return v

    def encode(self, v: np.ndarray) -> np.ndarray:
        """Finite values (float64) -> the floats the numeric scaling and distances see."""
        return v

    def decode(self, v: np.ndarray, low: float, high: float) -> np.ndarray:
        """Floats back from the numeric scaling -> values inside the training bounds."""
        return np.clip(v, low, high)

    def statistic(self, real: np.ndarray, fake: np.ndarray) -> float:
        """The kind's own fidelity statistic (when ``fidelity`` is not a built-in one) of the
        real and synthetic values: finite numbers (numeric head) or canonical labels."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<column kind {self.name!r}>"


def _checked(name: str, kind: Any) -> ColumnKind:
    def bad(what: str, value: Any, allowed: tuple[str, ...]) -> MpganError:
        return MpganError(f"column kind '{name}' declares {what} {value!r}; expected one of {', '.join(allowed)}")

    if not isinstance(kind, ColumnKind):
        raise MpganError(f"column kind '{name}' is a {type(kind).__name__}; register a ColumnKind subclass")
    if kind.head not in HEADS:
        raise bad("head", kind.head, HEADS)
    if kind.distance not in DISTANCES:
        raise bad("distance", kind.distance, DISTANCES)
    if kind.plot not in PLOTS:
        raise bad("plot", kind.plot, PLOTS)
    own = type(kind).statistic is not ColumnKind.statistic
    if not (isinstance(kind.fidelity, str) and kind.fidelity) or (kind.fidelity not in FIDELITY and not own):
        raise MpganError(f"column kind '{name}' declares fidelity {kind.fidelity!r}; expected one of "
                         f"{', '.join(FIDELITY)}, or another name with the kind's own statistic(real, fake) method")
    if kind.head == "categorical" and (kind.distance == "scaled" or kind.fidelity in ("ks", "wasserstein")
                                       or kind.plot != "bars"):
        raise MpganError(f"column kind '{name}' has a categorical head, so it holds labels: it needs "
                         "distance 'mismatch', plot 'bars' and a fidelity that compares labels ('tvd' or its own)")
    return kind


def get_kind(name: str) -> ColumnKind:
    """The registered kind ``name``, checked; an unknown name lists the known ones."""
    kind = COLUMN_KINDS.get(name)()
    kind.name = name
    return _checked(name, kind)


def kinds_in_order() -> list[ColumnKind]:
    """Every registered kind, in the order inference asks them."""
    kinds = [get_kind(n) for n in COLUMN_KINDS.names()]
    return sorted(kinds, key=lambda k: (k.priority, k.name))


def infer_kind(name: Any, s: pd.Series, *, forced: str | None = None,
               max_categories: int = MAX_CATEGORIES) -> str:
    """The kind of one column: ``forced`` if given (and the column can be it), else the first
    kind in priority order whose :meth:`ColumnKind.detect` says yes."""
    missing = s.isna()
    if missing.all():
        raise DataError(f"column '{name}' has no values (all {len(s)} are missing); drop it or fill it in")
    present = s[~missing]
    if forced is not None:
        get_kind(forced).check(name, present)
        return forced
    for kind in kinds_in_order():
        if kind.detect(name, present, max_categories):
            return kind.name
    raise DataError(f"column '{name}' has dtype {s.dtype}, which mpgan cannot model; convert it to numbers "
                    "or strings, or drop it")
