"""A table's statistics under differential privacy, or declared public.

A GAN's encoding reads statistics of the rows: each number column's bounds, each label
column's categories, the class frequencies a conditional generator draws from. In a
private run (a config with a ``privacy`` block) none of them is read from the rows
as-is. Each is either

- **declared public** in ``privacy.public`` (``bounds: {col: [low, high]}``,
  ``categories: {col: [labels]}``, ``missing: [cols]``): known without the data (a
  codebook, a form's allowed answers). Public values are not protected: they are
  published as given. Rows outside them are refused, naming the column and the count;
- or **estimated under DP** from ``privacy.statistics_epsilon``, split evenly over the
  statistics that need it:

  - *bounds*: a Laplace histogram over bins fixed in advance (powers of two of either
    sign, a zero bin and a missing bin); the outermost bins whose noisy count clears a
    threshold give the bounds, so they are coarse (a doubling wide), and a tail too thin
    to clear it is clipped into them. Pure ε.
  - *categories*: a Laplace count per label the rows hold, kept above the threshold
    ``1 + ln(1 / (2 δ)) / ε`` (the stability histogram), which makes it (ε, δ)-DP; rows of
    a label that is not kept are left out of training.
  - *class frequencies* of the target: its noisy counts (over the public classes when
    they are declared, pure ε).

The schema (column names, kinds, dtypes, date formats and steps, which columns are row
IDs) and the number of rows are treated as public, as DP-SGD's sampling rate assumes:
force kinds (``kinds=``, ``categorical=``) rather than let them be read from the values
where that matters. The statistics' ε adds to DP-SGD's (basic composition), and their δ
(half the run's δ when a category list is estimated) is taken from DP-SGD's;
:func:`private_dataset` records the split. The noise is drawn from fresh entropy unless
``privacy.statistics_seed`` pins it (for tests; a known seed lets anyone remove it), and
the run saves the statistics, so a resumed or reloaded run reuses them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from ..column_kinds import MISSING_LABEL, category_labels, get_kind
from ..data_spec import Dataset
from ..errors import DataError
from .schema import ColumnSchema, TableSchema
from .tabular import TabularTransformer, encoded_dataset

#: Bins of the bounds histogram: [2^k, 2^(k+1)) for k in OCTAVES, their negatives, and a
#: zero bin for |x| < 2^OCTAVES[0] (values beyond the top octave fall in the outermost bins).
OCTAVES = range(-30, 61)
#: Chance that some empty bin's noise clears the bounds threshold (accuracy, not privacy).
EMPTY_BIN_RISK = 0.01
#: ε for the statistics when a noise multiplier (not a target ε) is given.
STATISTICS_EPSILON = 0.1


def default_delta(n_rows: int) -> float:
    """δ when none is given: min(1e-5, 1 / (10 n))."""
    return min(1e-5, 1.0 / (10 * n_rows))


# -- the mechanisms (pure functions of the values and a seeded generator) -------------------

def _edges() -> np.ndarray:
    pos = np.array([2.0 ** k for k in OCTAVES])
    return np.concatenate([-pos[::-1], pos])  # zero bin: (-2^k0, 2^k0)


def dp_bounds(values: np.ndarray, epsilon: float, rng: np.random.Generator) -> tuple[float, float, bool] | None:
    """ε-DP bounds of ``values`` (NaN: missing) and whether missing values are common enough
    to keep: a Laplace(1/ε) histogram over fixed bins, the outermost bins above the
    threshold. None when no bin of values clears it."""
    edges = _edges()
    v = values[~np.isnan(values)]
    counts = np.bincount(np.searchsorted(edges, v, side="right"), minlength=len(edges) + 1).astype(float)
    counts = np.append(counts, np.isnan(values).sum())  # the missing bin
    noisy = counts + rng.laplace(0.0, 1.0 / epsilon, counts.shape)
    threshold = np.log(len(noisy) / (2 * EMPTY_BIN_RISK)) / epsilon
    kept = np.flatnonzero(noisy[:-1] > threshold)
    if kept.size == 0:
        return None
    lows = np.concatenate([[-np.inf], edges])  # bin i holds [lows[i], highs[i])
    highs = np.concatenate([edges, [np.inf]])
    lo, hi = lows[kept[0]], highs[kept[-1]]
    lo = edges[0] * 2 if np.isinf(lo) else lo
    hi = edges[-1] * 2 if np.isinf(hi) else hi
    zero = len(OCTAVES)  # the bin between -2^k0 and 2^k0
    if kept[0] == zero:
        lo = 0.0
    if kept[-1] == zero:
        hi = 0.0
    return float(lo), float(hi), bool(noisy[-1] > threshold)


def dp_categories(labels: np.ndarray, epsilon: float, delta: float, rng: np.random.Generator) -> dict[str, float]:
    """(ε, δ)-DP labels and noisy counts: Laplace(1/ε) on the count of each label present,
    kept above ``1 + ln(1 / (2 δ)) / ε`` (so a label of one row shows with chance ≤ δ)."""
    values, counts = np.unique(np.asarray(labels, dtype=str), return_counts=True)
    noisy = counts + rng.laplace(0.0, 1.0 / epsilon, counts.shape)
    threshold = 1 + np.log(1 / (2 * delta)) / epsilon
    return {str(v): float(c) for v, c in zip(values, noisy, strict=True) if c > threshold}


def dp_counts(labels: np.ndarray, domain: Sequence[str], epsilon: float, rng: np.random.Generator) -> dict[str, float]:
    """ε-DP counts of each label of a public ``domain``: Laplace(1/ε) on each."""
    labels = np.asarray(labels, dtype=str)
    return {d: float((labels == d).sum() + rng.laplace(0.0, 1.0 / epsilon)) for d in domain}


# -- the settings -------------------------------------------------------------------------

@dataclass(frozen=True)
class PublicInfo:
    """What the user declares public: bounds of number columns, labels of label columns,
    number columns that may be missing."""

    bounds: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    categories: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    missing: tuple[str, ...] = ()

    @classmethod
    def of(cls, public: Any) -> PublicInfo:
        """From the config's ``privacy.public`` (a mapping or an object with those fields)."""
        if public is None:
            return cls()
        get = public.get if isinstance(public, Mapping) else (lambda k, d=None: getattr(public, k, d))
        bounds = {str(k): (float(v[0]), float(v[1])) for k, v in (get("bounds") or {}).items()}
        cats = {str(k): tuple(category_labels(pd.Series(list(v)))) for k, v in
                (get("categories") or {}).items()}
        return cls(bounds, cats, tuple(str(c) for c in get("missing") or ()))


def public_draft(df: pd.DataFrame, **schema: Any) -> dict[str, Any]:
    """A ``privacy.public`` block read from the rows themselves: each number column's min and
    max, each label column's labels, the number columns with missing values (``schema``:
    ``categorical=``/``numeric=``/``kinds=`` as for :meth:`TableSchema.infer`).

    Publishing it reveals exactly those values, so it is private only where they are known
    anyway (a codebook, a form's answers): check it, and widen or round the bounds to
    public values before use. Benchmarks use it to give every method the same bounds."""
    t = TableSchema.infer(df, **schema)
    out: dict[str, Any] = {"bounds": {}, "categories": {}, "missing": []}
    for col in t:
        if get_kind(col.kind).head == "numeric":
            out["bounds"][str(col.name)] = [col.bounds[0], col.bounds[1]]
            if col.missing:
                out["missing"].append(str(col.name))
        else:
            out["categories"][str(col.name)] = list(col.categories)
    return out


@dataclass(frozen=True)
class StatisticsBudget:
    """The ε and δ the statistics may spend (ε is split evenly over those estimated).
    ``seed`` None draws the noise from the operating system's entropy: a known seed would
    let anyone regenerate the noise and subtract it from the released counts."""

    epsilon: float
    delta: float
    seed: int | None = None


# -- the table ----------------------------------------------------------------------------

def _check_names(schema: TableSchema, public: PublicInfo) -> None:
    names = {str(c.name): c for c in schema}
    for c in public.missing:
        if c not in public.bounds:
            raise DataError(f"privacy.public.missing lists '{c}', which has no public bounds; give its bounds in "
                            "privacy.public.bounds too (an estimated column's missing share is estimated with them)")
    for what, cols in (("bounds", public.bounds), ("categories", public.categories), ("missing", public.missing)):
        for c in cols:
            if c not in names:
                raise DataError(f"privacy.public.{what} names '{c}', which is not a modelled column; the columns "
                                f"are {list(names)}")
            head = get_kind(names[c].kind).head
            if (what == "categories") != (head == "categorical"):
                raise DataError(f"privacy.public.{what} names '{c}', a {names[c].kind} column; give "
                                f"{'categories' if head == 'categorical' else 'bounds'} for it instead")


def _public_numeric(col: ColumnSchema, values: np.ndarray, public: PublicInfo) -> ColumnSchema:
    name = str(col.name)
    lo, hi = public.bounds[name]
    present = values[~np.isnan(values)]
    outside = int(((present < lo) | (present > hi)).sum())
    if outside:
        raise DataError(f"privacy.public.bounds for '{name}' are [{lo:g}, {hi:g}], but {outside} training "
                        f"rows fall outside them; widen the bounds (rows are refused, not clipped, so public "
                        "bounds stay a statement about all rows)")
    n_missing = int(np.isnan(values).sum())
    if n_missing and name not in public.missing:
        raise DataError(f"column '{name}' has {n_missing} missing values, but privacy.public.missing does not "
                        "list it; list it there, or fill the values in before training")
    return replace(col, bounds=(lo, hi), missing=int(name in public.missing))


def _public_categories(col: ColumnSchema, labels: np.ndarray, public: PublicInfo) -> ColumnSchema:
    name, allowed = str(col.name), public.categories[str(col.name)]
    outside = int((~np.isin(labels, allowed)).sum())
    if outside:
        bad = next(v for v in labels if v not in allowed)
        raise DataError(f"privacy.public.categories for '{name}' lists {list(allowed)}, but {outside} training "
                        f"rows hold other labels (e.g. {bad!r}; missing values are '{MISSING_LABEL}'); add them")
    return replace(col, categories=tuple(allowed), missing=int(MISSING_LABEL in allowed))


@dataclass
class PrivateStatistics:
    """A private table's schema, class frequencies and what each statistic cost (``record``;
    its ``rows`` is the table's public row count, before any row is left out)."""

    schema: TableSchema
    class_counts: dict[str, float] | None
    record: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"schema": self.schema.to_dict(), "class_counts": self.class_counts, "record": self.record}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PrivateStatistics:
        return cls(TableSchema.from_dict(d["schema"]), d["class_counts"], dict(d["record"]))


def private_statistics(frame: pd.DataFrame, schema: TableSchema, target: Any, public: PublicInfo,
                       budget: StatisticsBudget) -> PrivateStatistics:
    """The schema of ``frame`` with every bound and category list public or DP-estimated,
    and the target's DP class counts (``schema`` gives the kinds; its statistics are not
    read)."""
    _check_names(schema, public)
    names = [str(c.name) for c in schema]
    numeric = [c for c in schema if get_kind(c.kind).head == "numeric"]
    estimate_bounds = [str(c.name) for c in numeric if str(c.name) not in public.bounds]
    estimate_cats = [str(c.name) for c in schema if c not in numeric and str(c.name) not in public.categories]
    count_target = target is not None and str(target) in public.categories
    items = len(estimate_bounds) + len(estimate_cats) + int(count_target)
    eps = budget.epsilon / items if items else 0.0
    delta = budget.delta / len(estimate_cats) if estimate_cats else 0.0
    rng = np.random.default_rng(np.random.SeedSequence() if budget.seed is None else [budget.seed, 0xD9])
    cols, counts, how = [], None, {}
    for col in schema:
        name, s = str(col.name), frame[col.name]
        if col in numeric:
            values = get_kind(col.kind).numbers(s)
            if name in public.bounds:
                cols.append(_public_numeric(col, values, public))
                how[name] = "public"
                continue
            found = dp_bounds(values, eps, rng)
            if found is None:
                raise DataError(f"column '{name}': no value range stands out of the noise at ε = {eps:.3g} "
                                f"({len(values)} rows); declare its bounds in privacy.public.bounds, or give "
                                "privacy.statistics_epsilon more")
            lo, hi, missing = found
            if get_kind(col.kind).name == "integer" or pd.api.types.is_integer_dtype(s.dtype):
                lo, hi = float(np.floor(lo)), float(np.ceil(hi))  # whole-number bounds for whole numbers
            cols.append(replace(col, bounds=(lo, hi), missing=int(missing)))
            how[name] = f"DP bounds (ε {eps:.3g})"
            continue
        labels = category_labels(s)
        if name in public.categories:
            col = _public_categories(col, labels, public)
            if name == str(target):
                counts = dp_counts(labels, col.categories, eps, rng)
            how[name] = "public" + (f", DP class counts (ε {eps:.3g})" if name == str(target) else "")
        else:
            found = dp_categories(labels, eps, delta, rng)
            if not found:
                raise DataError(f"column '{name}': no label is common enough to show at ε = {eps:.3g}; declare "
                                "its labels in privacy.public.categories, or give privacy.statistics_epsilon more")
            col = replace(col, categories=tuple(sorted(found)), missing=int(MISSING_LABEL in found))
            counts = found if name == str(target) else counts
            how[name] = f"DP categories (ε {eps:.3g}, δ {delta:.3g})"
        cols.append(col)
    spent_delta = budget.delta if estimate_cats else 0.0
    record = {"epsilon": round(eps * items, 6), "delta": spent_delta, "statistics": items, "columns": how,
              "rows": len(frame)}
    if len(cols) != len(names):
        raise AssertionError("every column gets one statistic")
    return PrivateStatistics(TableSchema(cols), counts, record)


def _fit_rows(frame: pd.DataFrame, schema: TableSchema) -> tuple[pd.DataFrame, int]:
    """``frame`` with numbers clipped into the private bounds and without the rows whose
    labels the private lists left out (returned with how many)."""
    keep = np.ones(len(frame), dtype=bool)
    out = frame.copy()
    for col in schema:
        s = frame[col.name]
        kind = get_kind(col.kind)
        if kind.head == "numeric":
            v = kind.numbers(s)
            lo, hi = col.bounds
            clip = ~np.isnan(v) & ((v < lo) | (v > hi))
            if clip.any() and pd.api.types.is_numeric_dtype(s.dtype):
                clipped = pd.Series(np.clip(v, lo, hi), index=s.index)
                out[col.name] = s.astype("float64").where(~clip, clipped).astype(s.dtype)
            elif clip.any():
                keep &= ~clip  # dates and other kinds in their own form: leave out rather than rewrite
            if not col.missing:
                keep &= ~np.isnan(v)  # missing values too rare to show: leave the rows out, as rare labels
        else:
            keep &= np.isin(category_labels(s), col.categories)
    return out[keep], int((~keep).sum())


def statistics_budget(settings: Any, n_rows: int) -> StatisticsBudget:
    """The statistics' share of a run's privacy settings (the config's ``privacy`` block):
    ``statistics_epsilon``, else a tenth of ``target_epsilon``, else :data:`STATISTICS_EPSILON`;
    half of δ (used only when a category list is estimated); the noise seed
    ``statistics_seed`` (None: fresh entropy)."""
    eps = settings.statistics_epsilon
    if eps is None:
        eps = settings.target_epsilon / 10 if settings.target_epsilon is not None else STATISTICS_EPSILON
    delta = settings.delta if settings.delta is not None else default_delta(n_rows)
    return StatisticsBudget(float(eps), delta / 2, getattr(settings, "statistics_seed", None))


#: Left-out rows above this share of the table are warned about, naming the columns.
LEFT_OUT_WARNING = 0.05


def private_dataset(ds: Dataset, settings: Any, saved: Mapping[str, Any] | None = None) -> Dataset:
    """``ds`` (a table dataset) re-encoded from private statistics: ``saved`` ones (a resumed
    or reloaded run's, :meth:`PrivateStatistics.to_dict`), or new ones (:func:`private_statistics`
    under the ``privacy`` settings' :func:`statistics_budget` and ``public`` block). Its
    ``info`` records the split under ``"private_statistics"``, the statistics themselves
    under ``"private_state"`` and the class frequencies under ``"class_prior"``. A dataset
    already private is returned as it is."""
    if ds.info.get("private_statistics") is not None:
        return ds
    if ds.frame is None or "schema" not in ds.info:
        raise DataError("privacy needs a table dataset (one with its rows), not "
                        f"{ds.info.get('dataset', 'this dataset')!r}")
    target = ds.info.get("target")
    stats = PrivateStatistics.from_dict(saved) if saved is not None else private_statistics(
        ds.frame, TableSchema.from_dict(ds.info["schema"]), target, PublicInfo.of(settings.public),
        statistics_budget(settings, len(ds)))
    frame, left_out = _fit_rows(ds.frame, stats.schema)
    _check_left_out(ds.frame, frame, stats.schema, target)
    tr = TabularTransformer(numeric="minmax").fit(frame, schema=stats.schema)
    info = {k: v for k, v in ds.info.items() if k not in ("rows", "target", "classes", "holdout_rows", "schema")}
    same_classes = target is not None and ds.class_names is not None and len(ds.class_names) == len(
        stats.schema[target].categories)  # no class left out: the user's class names still apply, in order
    out = encoded_dataset(frame, tr, ds.spec.name, target, ds.class_names if same_classes else None, info,
                          ds.holdout)
    out.info["rows"] = int(stats.record["rows"])  # the public count, not the count after leaving rows out
    prior = None
    if stats.class_counts is not None:
        classes = [str(c) for c in category_labels(pd.Series(out.info["classes"]))]
        c = np.array([max(stats.class_counts.get(k, 0.0), 0.0) for k in classes])
        prior = (c / c.sum() if c.sum() > 0 else np.full(len(c), 1 / len(c))).tolist()
    out.info.update(private_statistics={**stats.record, "rows_left_out": left_out}, class_prior=prior,
                    private_state=stats.to_dict())
    return out


def _check_left_out(before: pd.DataFrame, after: pd.DataFrame, schema: TableSchema, target: Any) -> None:
    """Refuse a private table with too few rows or classes left; warn when many rows were left out."""
    if len(after) < 2:
        raise DataError(f"only {len(after)} rows keep labels common enough to show under DP; declare the "
                        "columns' labels in privacy.public.categories")
    if target is not None and after[target].nunique() < 2:
        raise DataError(f"under DP only the class {after[target].iloc[0]!r} of '{target}' is common enough to "
                        "show; declare the classes in privacy.public.categories")
    share = 1 - len(after) / len(before)
    if share > LEFT_OUT_WARNING:
        lost = [str(c.name) for c in schema if get_kind(c.kind).head == "categorical"
                and not np.isin(category_labels(before[c.name]), c.categories).all()]
        import warnings

        where = ", ".join(lost) or "no label column: missing values too rare to show"
        warnings.warn(f"{share:.0%} of the rows hold labels too rare to show under DP (in {where}) and are left out "
                      "of training; declare those columns' labels in privacy.public.categories to keep them",
                      UserWarning, stacklevel=3)


__all__ = ["LEFT_OUT_WARNING", "OCTAVES", "STATISTICS_EPSILON", "PrivateStatistics", "PublicInfo", "StatisticsBudget", "default_delta",
           "dp_bounds", "dp_categories", "dp_counts", "private_dataset", "public_draft", "private_statistics", "statistics_budget"]
