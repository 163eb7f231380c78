"""Table metrics: how close a synthetic table is to the real one, column by column,
in its correlations, in what a classifier learns from it, and whether it copies rows.

Inputs are pandas DataFrames with the same columns (the synthetic table may order them
differently). Column kinds follow the one rule of :mod:`mpgan.data.schema` (:func:`column_kinds`),
read on the real table; ``kinds={column: kind}`` and the ``numeric=`` and ``categorical=``
lists override it. Each column is scored as its kind declares (:mod:`mpgan.column_kinds`):
its ``fidelity`` statistic (KS for numeric, earth mover's distance for integer, total
variation for categorical, or the kind's own), its ``distance`` in the row
encoding, and its ``head``: columns of numbers enter correlations and classifiers as
numbers, label columns one-hot. Categorical values are compared through the schema's
canonical text form (numbers by value, so ``1`` and ``1.0`` are the same category "1";
missing values as ``"<NA>"``, their own category). Numeric missing values are left out
of the numeric statistics (the reported ``n`` counts the values used).

Functions return JSON-serialisable dicts (or DataFrames for per-row tables), always
with sample sizes; :func:`tabular_report` runs everything and can write a report folder.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..column_kinds import ColumnKind, get_kind
from ..data.schema import (
    MAX_CATEGORIES,
    TableSchema,
    as_names,
    category_labels,
    check_table,
)
from ..errors import DataError
from ..lazy import lazy_module
from ..report.markdown import format_value, markdown_table
from .rows import RowEncoder, aligned, nearest, numbers, subsample

_st = lazy_module("scipy.stats")  # imported on first use: it costs ~1 s

__all__ = [
    "column_kinds",
    "column_report",
    "correlation_difference",
    "utility",
    "distance_to_closest_record",
    "tabular_report",
    "CLASSIFIERS",
]

#: Distance below which a synthetic row counts as an exact copy of a real row.
EXACT_COPY = 1e-8
#: Classifier names accepted by :func:`utility` (an sklearn estimator instance also works).
CLASSIFIERS = ("logistic_regression", "random_forest")


# --------------------------------------------------------------------------- checks and kinds


def _check_table(df: Any, what: str) -> None:
    check_table(df, f"the {what}")


def column_kinds(real: pd.DataFrame, numeric: str | Sequence[Any] | None = None,
                 categorical: str | Sequence[Any] | None = None,
                 max_categories: int = MAX_CATEGORIES, kinds: Mapping[Any, str] | None = None) -> dict[Any, str]:
    """``{column: kind name}`` ("numeric", "integer", "categorical", ...) by the one rule of
    :mod:`mpgan.data.schema`, with overrides."""
    _check_table(real, "real")
    return TableSchema.infer(real, numeric=numeric, categorical=categorical, kinds=kinds,
                             max_categories=max_categories).kinds


def _numbers_head(kinds: dict[Any, str], column: Any) -> bool:
    """Whether the column holds numbers (its kind has a numeric head) rather than labels."""
    return get_kind(kinds[column]).head == "numeric"


# --------------------------------------------------------------------------- per column


def _nan_stat(v: np.ndarray, fn: str) -> float:
    if fn == "std":
        return float(v.std(ddof=1)) if v.size > 1 else float("nan")
    return float(v.mean()) if v.size else float("nan")


def tvd(real_labels: np.ndarray, fake_labels: np.ndarray) -> float:
    """Total-variation distance ½·Σ|p_real(c) − p_fake(c)| between category frequencies."""
    p = pd.Series(real_labels).value_counts(normalize=True)
    q = pd.Series(fake_labels).value_counts(normalize=True)
    p, q = p.align(q, fill_value=0.0)
    return float(0.5 * np.abs(p.to_numpy() - q.to_numpy()).sum())


def wasserstein(real: np.ndarray, fake: np.ndarray) -> float:
    """Earth mover's (Wasserstein-1) distance between two samples of numbers, in standard
    deviations of ``real`` (in its own units when ``real`` is constant)."""
    sd = float(np.std(real))
    return float(_st.wasserstein_distance(real, fake)) / (sd if sd > 0 else 1.0)


def _ks(real: np.ndarray, fake: np.ndarray) -> dict[str, float]:
    res = _st.ks_2samp(real, fake)
    return {"ks": float(res.statistic), "ks_p_value": float(res.pvalue)}


#: The column report's built-in statistics (``ColumnKind.fidelity`` names): what each says
#: and ``fn(real, fake) -> {report column: value}`` on numbers ("ks", "wasserstein") or labels ("tvd").
STATISTICS: dict[str, tuple[str, Callable[[np.ndarray, np.ndarray], dict[str, float]]]] = {
    "ks": ("two-sample KS statistic", _ks),
    "wasserstein": ("earth mover's distance in real standard deviations",
                    lambda r, f: {"wasserstein": wasserstein(r, f)}),
    "tvd": ("total-variation distance of category frequencies", lambda r, f: {"tvd": tvd(r, f)}),
}


def statistic_of(kind: ColumnKind) -> tuple[str, str, Callable[[np.ndarray, np.ndarray], dict[str, float]]]:
    """``(name, description, fn)`` of the statistic a kind's ``fidelity`` names: a built-in
    one, or the kind's own :meth:`~mpgan.column_kinds.ColumnKind.statistic`, reported under that name."""
    name = kind.fidelity
    if name in STATISTICS:
        return (name, *STATISTICS[name])
    doc = (type(kind).statistic.__doc__ or "").strip().splitlines()
    text = doc[0].rstrip(".") if doc else f"the {kind.name} kind's statistic"
    return name, text, lambda r, f: {name: float(kind.statistic(r, f))}


_TAIL = ("mean_real", "mean_fake", "std_real", "std_fake", "n_real", "n_fake")


def _column_row(name: Any, kind: ColumnKind, r_col: pd.Series, f_col: pd.Series) -> dict[str, Any]:
    stat, _, fn = statistic_of(kind)
    row: dict[str, Any] = {"column": str(name), "kind": kind.name, "statistic": stat, "ks": math.nan,
                           "ks_p_value": math.nan, "tvd": math.nan, "wasserstein": math.nan}
    if kind.head == "numeric":
        r, f = numbers(r_col, kind), numbers(f_col, kind)
        if r.size and f.size:
            row.update(fn(r, f))
        row.update(mean_real=_nan_stat(r, "mean"), mean_fake=_nan_stat(f, "mean"),
                   std_real=_nan_stat(r, "std"), std_fake=_nan_stat(f, "std"), n_real=int(r.size), n_fake=int(f.size))
    else:
        row.update(fn(category_labels(r_col), category_labels(f_col)))
        row.update(mean_real=math.nan, mean_fake=math.nan, std_real=math.nan, std_fake=math.nan,
                   n_real=int(len(r_col)), n_fake=int(len(f_col)))
    return row


def column_report(real: pd.DataFrame, fake: pd.DataFrame, numeric: str | Sequence[Any] | None = None,
                  categorical: str | Sequence[Any] | None = None, max_categories: int = 10,
                  kinds: Mapping[Any, str] | None = None) -> pd.DataFrame:
    """One row per column: its kind, the ``statistic`` its kind declares and that statistic's
    value (``ks`` with ``ks_p_value`` for numeric, ``wasserstein`` for integer, ``tvd`` between
    category frequencies for categorical, or the column a kind's own statistic names),
    real/fake mean and std (columns of numbers, ``ddof=1``), and ``n_real``/``n_fake``
    (values used: columns of numbers drop missing values)."""
    _check_table(real, "real")
    fake = aligned(real, fake, "synthetic")
    by_column = column_kinds(real, numeric, categorical, max_categories, kinds)
    rows = [_column_row(name, get_kind(by_column[name]), real[name], fake[name]) for name in real.columns]
    first = ["column", "kind", "statistic", "ks", "ks_p_value", "tvd", "wasserstein"]
    own = [k for r in rows for k in r if k not in first and k not in _TAIL]
    return pd.DataFrame(rows, columns=first + list(dict.fromkeys(own)) + list(_TAIL))


# --------------------------------------------------------------------------- correlations


def _matrix(m: pd.DataFrame) -> list[list[float]]:
    return [[float(v) for v in row] for row in m.to_numpy(dtype=np.float64)]


def correlation_difference(real: pd.DataFrame, fake: pd.DataFrame, numeric: str | Sequence[Any] | None = None,
                           categorical: str | Sequence[Any] | None = None,
                           max_categories: int = 10, kinds: Mapping[Any, str] | None = None) -> dict[str, Any]:
    """How far the synthetic table's Pearson correlations between columns of numbers (kinds
    with a numeric head: numeric, integer, ...) are from the real ones.

    Over the ``n_pairs`` column pairs (upper triangle; pairs with a constant column, whose
    correlation is undefined, are left out and counted in ``n_pairs_undefined``):
    ``mean_abs_diff`` and ``max_abs_diff`` of ``corr_fake − corr_real`` and the pair
    reaching the max. ``real_corr``/``fake_corr`` are the matrices (lists of rows, in
    ``columns`` order) for :func:`mpgan.plots.plot_correlation_heatmaps`.
    """
    _check_table(real, "real")
    fake = aligned(real, fake, "synthetic")
    by_column = column_kinds(real, numeric, categorical, max_categories, kinds)
    cols = [c for c in real.columns if _numbers_head(by_column, c)]
    rn = pd.DataFrame({c: get_kind(by_column[c]).numbers(real[c]) for c in cols}, columns=cols)
    fn = pd.DataFrame({c: get_kind(by_column[c]).numbers(fake[c]) for c in cols}, columns=cols)
    rc, fc = rn.corr(method="pearson"), fn.corr(method="pearson")
    iu = np.triu_indices(len(cols), k=1)
    diff = (fc.to_numpy() - rc.to_numpy())[iu]
    ok = np.isfinite(diff)
    out: dict[str, Any] = {"mean_abs_diff": math.nan, "max_abs_diff": math.nan, "max_pair": None,
                           "n_columns": len(cols), "n_pairs": int(ok.sum()),
                           "n_pairs_undefined": int((~ok).sum()),
                           "n_real": int(len(real)), "n_fake": int(len(fake))}
    if ok.any():
        a = np.abs(np.where(ok, diff, -1.0))
        k = int(np.argmax(a))
        out.update(mean_abs_diff=float(np.abs(diff[ok]).mean()), max_abs_diff=float(a[k]),
                   max_pair=[str(cols[iu[0][k]]), str(cols[iu[1][k]])])
    out.update(columns=[str(c) for c in cols], real_corr=_matrix(rc), fake_corr=_matrix(fc))
    return out


# --------------------------------------------------------------------------- utility (TSTR)


def _classifier(spec: Any, seed: int) -> tuple[str, Any]:
    from sklearn.base import clone
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression

    if isinstance(spec, str):
        if spec == "logistic_regression":
            return spec, LogisticRegression(max_iter=2000)
        if spec == "random_forest":
            return spec, RandomForestClassifier(n_estimators=200, random_state=seed)
        raise DataError(f"unknown classifier {spec!r}; use one of {list(CLASSIFIERS)} or an sklearn estimator")
    if not (hasattr(spec, "fit") and hasattr(spec, "predict")):
        raise DataError(f"classifiers must be names {list(CLASSIFIERS)} or sklearn estimators, got {spec!r}")
    return type(spec).__name__, clone(spec)


def _design(df: pd.DataFrame, features: list[Any], kinds: dict[Any, str]) -> pd.DataFrame:
    """Feature table for sklearn: columns of numbers as floats, label columns as canonical labels."""
    return pd.DataFrame({
        str(c): get_kind(kinds[c]).numbers(df[c]) if _numbers_head(kinds, c) else category_labels(df[c])
        for c in features
    })


def _pipeline(estimator: Any, num: list[str], cat: list[str]) -> Any:
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    pre = ColumnTransformer([
        ("numeric", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), num),
        ("categorical", OneHotEncoder(handle_unknown="ignore"), cat),
    ])
    return Pipeline([("encode", pre), ("classify", estimator)])


def _check_target(tables: dict[str, pd.DataFrame], target: Any) -> None:
    first = next(iter(tables.values()))
    if target not in first.columns:
        raise DataError(f"the target column {target!r} is not in the tables; the columns are {list(first.columns)}")
    for what, df in tables.items():
        n = int(df[target].isna().sum())
        if n:
            raise DataError(f"the target column {target!r} of the {what} table has {n} missing values; drop those rows")
    s = first[target]
    if pd.api.types.is_float_dtype(s.dtype) and not np.all(np.mod(s.to_numpy(dtype=np.float64), 1) == 0):
        raise DataError(f"the target column {target!r} holds non-integer numbers, so it looks continuous; "
                        "utility scores classifiers and needs class labels")


def utility(real_train: pd.DataFrame, real_test: pd.DataFrame, synthetic: pd.DataFrame, target: Any,
            classifiers: Sequence[Any] = CLASSIFIERS, seed: int = 0,
            numeric: str | Sequence[Any] | None = None, categorical: str | Sequence[Any] | None = None,
            max_categories: int = 10, kinds: Mapping[Any, str] | None = None) -> pd.DataFrame:
    """Train-on-synthetic/test-on-real (TSTR) against train-on-real/test-on-real (TRTR).

    Each classifier is one sklearn ``Pipeline``: features of numbers median-imputed and
    standard-scaled, categorical ones one-hot encoded (``handle_unknown="ignore"``), then
    ``LogisticRegression(max_iter=2000)`` or ``RandomForestClassifier(n_estimators=200,
    random_state=seed)``. It is fitted once on ``real_train`` and once on ``synthetic`` and
    scored on ``real_test``: one row per classifier with accuracy and macro-F1 (over the
    classes seen in the test labels or predictions, ``zero_division=0``) for both, the
    ratios TSTR/TRTR, and the three sizes. The target is treated as class labels.

    A training set holding a single class cannot fit a classifier; it is scored as the
    constant predictor of that class (``DummyClassifier("most_frequent")``), and the
    ``note`` column says so. Same inputs and seed give identical numbers, so passing
    ``real_train`` as ``synthetic`` reproduces TRTR exactly.
    """
    from sklearn.dummy import DummyClassifier
    from sklearn.metrics import accuracy_score, f1_score

    _check_table(real_train, "real training")
    real_test = aligned(real_train, real_test, "real test", "real training")
    synthetic = aligned(real_train, synthetic, "synthetic", "real training")
    _check_target({"real training": real_train, "real test": real_test, "synthetic": synthetic}, target)
    kinds = column_kinds(real_train, numeric, categorical, max_categories, kinds)
    features = [c for c in real_train.columns if c != target]
    if not features:
        raise DataError(f"the tables hold only the target column {target!r}; utility needs feature columns")
    num = [str(c) for c in features if _numbers_head(kinds, c)]
    cat = [str(c) for c in features if not _numbers_head(kinds, c)]
    x_test, y_test = _design(real_test, features, kinds), category_labels(real_test[target])
    sets = {"trtr": real_train, "tstr": synthetic}
    rows = []
    for spec in classifiers:
        name, _ = _classifier(spec, seed)
        row: dict[str, Any] = {"classifier": name}
        notes = []
        for key, train in sets.items():
            y = category_labels(train[target])
            classes = np.unique(y)
            estimator = _classifier(spec, seed)[1]
            if classes.size < 2:
                estimator = DummyClassifier(strategy="most_frequent")
                which = "real training" if key == "trtr" else "synthetic"
                notes.append(f"{which} set has one class ({classes[0]}): scored as a constant predictor")
            model = _pipeline(estimator, num, cat).fit(_design(train, features, kinds), y)
            pred = model.predict(x_test)
            row[f"accuracy_{key}"] = float(accuracy_score(y_test, pred))
            row[f"macro_f1_{key}"] = float(f1_score(y_test, pred, average="macro", zero_division=0))
        for metric in ("accuracy", "macro_f1"):
            base = row[f"{metric}_trtr"]
            row[f"{metric}_ratio"] = row[f"{metric}_tstr"] / base if base > 0 else math.nan
        row.update(n_real_train=int(len(real_train)), n_synthetic=int(len(synthetic)),
                   n_real_test=int(len(real_test)), note="; ".join(notes) or None)
        rows.append(row)
    order = ["classifier", "accuracy_trtr", "accuracy_tstr", "accuracy_ratio", "macro_f1_trtr",
             "macro_f1_tstr", "macro_f1_ratio", "n_real_train", "n_synthetic", "n_real_test", "note"]
    return pd.DataFrame(rows, columns=order)


# --------------------------------------------------------------------------- distance to closest record


def _dcr_stats(d: np.ndarray, prefix: str = "") -> dict[str, float]:
    return {f"{prefix}median": float(np.median(d)), f"{prefix}p5": float(np.percentile(d, 5)),
            f"{prefix}mean": float(d.mean()), f"{prefix}exact_copy_share": float((d < EXACT_COPY).mean())}


def distance_to_closest_record(real: pd.DataFrame, fake: pd.DataFrame, holdout: pd.DataFrame | None = None,
                               n_max: int = 5000, seed: int = 0, numeric: str | Sequence[Any] | None = None,
                               categorical: str | Sequence[Any] | None = None,
                               max_categories: int = 10, kinds: Mapping[Any, str] | None = None) -> dict[str, Any]:
    """Memorisation check: distance from each synthetic row to its closest real row.

    Rows are encoded with statistics of ``real`` only, each column as its kind's
    ``distance`` says (:class:`~mpgan.metrics.rows.RowEncoder`: z-scores of numbers, missing values
    as the median; one-hot categories, so a differing category adds √2) and compared by
    Euclidean distance. Reports the ``median``, 5th percentile ``p5``, ``mean`` and the
    ``exact_copy_share`` (distance < 1e-8). With ``holdout`` (real rows not in ``real``)
    the same statistics for holdout-to-real are the baseline (``holdout_*``), and
    ``median_ratio`` = median / holdout median: well below 1 means synthetic rows sit
    closer to the training rows than fresh real rows do. The synthetic and holdout rows
    are subsampled to ``n_max`` each (seeded); the real reference is always used whole,
    as subsampling it would hide copies.
    """
    _check_table(real, "real")
    fake = aligned(real, fake, "synthetic")
    if int(n_max) < 1:
        raise DataError(f"n_max must be a positive number of rows, got {n_max}")
    encode = RowEncoder(real, column_kinds(real, numeric, categorical, max_categories, kinds))
    reference = encode(real)
    rng_fake, rng_hold = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    q = subsample(fake, int(n_max), rng_fake)
    out: dict[str, Any] = _dcr_stats(nearest(reference, encode(q)))
    out.update(n_fake=int(len(q)), n_real=int(len(real)), n_features=int(reference.shape[1]))
    if holdout is not None:
        h = subsample(aligned(real, holdout, "holdout"), int(n_max), rng_hold)
        out.update(_dcr_stats(nearest(reference, encode(h)), "holdout_"))
        out["n_holdout"] = int(len(h))
        out["median_ratio"] = out["median"] / out["holdout_median"] if out["holdout_median"] > 0 else math.nan
    return out


# --------------------------------------------------------------------------- report


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: (v.item() if isinstance(v, np.generic) else v) for k, v in r.items()}
            for r in df.to_dict(orient="records")]


def tabular_report(real_train: pd.DataFrame, real_test: pd.DataFrame | None, synthetic: pd.DataFrame,
                   target: Any = None, out_dir: str | Path | None = None, *,
                   numeric: str | Sequence[Any] | None = None, categorical: str | Sequence[Any] | None = None,
                   max_categories: int = 10, classifiers: Sequence[Any] = CLASSIFIERS, seed: int = 0,
                   n_max: int = 5000, note: str | None = None,
                   kinds: Mapping[Any, str] | None = None) -> dict[str, Any]:
    """Every table metric of ``synthetic`` against ``real_train`` in one dict (JSON-serialisable).

    - ``columns``: summary of :func:`column_report` (columns per kind ``n_<kind>``, mean/max
      of each statistic the kinds declare, e.g. ``mean_ks``, ``max_tvd``, described in
      ``statistics``) and ``per_column`` records;
    - ``correlation``: :func:`correlation_difference` without its matrices;
    - ``utility``: :func:`utility` per classifier (only with ``target`` and ``real_test``);
    - ``dcr``: :func:`distance_to_closest_record` with ``real_test`` as the holdout baseline.

    ``target`` is a class-label column and counts as categorical. With ``out_dir``, writes
    ``report.md`` (markdown tables of all four), ``columns.csv``, ``utility.csv`` (with a
    target), ``histograms.png`` and ``correlations.png`` (with ≥ 2 numeric columns), each
    atomically, and lists them in ``files``. ``note`` (e.g. where the test rows come
    from) is kept in the dict and printed under the report's title.
    """
    _check_table(real_train, "real training")
    synthetic = aligned(real_train, synthetic, "synthetic", "real training")
    if real_test is not None:
        real_test = aligned(real_train, real_test, "real test", "real training")
    if target is not None and target not in real_train.columns:
        raise DataError(f"the target column {target!r} is not in the tables; the columns are {list(real_train.columns)}")
    kinds = dict(kinds or {})
    labels = [target] if target is not None and target not in as_names(categorical) and target not in kinds else []
    cat = as_names(categorical) + labels
    num = [c for c in as_names(numeric) if c != target]
    by_column = column_kinds(real_train, numeric=num, categorical=cat, max_categories=max_categories, kinds=kinds)
    opts = {"kinds": by_column}  # every column's kind, decided once for the whole report

    cols = column_report(real_train, synthetic, **opts)
    corr = correlation_difference(real_train, synthetic, **opts)
    report: dict[str, Any] = {
        "n_real_train": int(len(real_train)),
        "n_real_test": int(len(real_test)) if real_test is not None else 0,
        "n_synthetic": int(len(synthetic)),
        "target": None if target is None else str(target),
        "note": note,
        "columns": {**_column_summary(cols, by_column), "per_column": _records(cols)},
        "correlation": {k: v for k, v in corr.items() if k not in ("real_corr", "fake_corr", "columns")},
    }
    util = None
    if target is not None and real_test is not None:
        util = utility(real_train, real_test, synthetic, target, classifiers=classifiers, seed=seed, **opts)
        report["utility"] = {r["classifier"]: {k: v for k, v in r.items() if k != "classifier"}
                             for r in _records(util)}
    report["dcr"] = distance_to_closest_record(real_train, synthetic, holdout=real_test, n_max=n_max,
                                               seed=seed, **opts)
    if out_dir is not None:
        report["files"] = _write_report(Path(out_dir), report, cols, corr, util, real_train, synthetic, by_column)
    return report


def _column_summary(cols: pd.DataFrame, kinds: dict[Any, str]) -> dict[str, Any]:
    """Columns per kind (``n_<kind>``; numeric and categorical always) and, per statistic the
    kinds declare (KS and TVD always), its mean, max and worst column, described in ``statistics``."""
    out: dict[str, Any] = {"n_numeric": 0, "n_categorical": 0}
    for kind in cols.kind:
        out[f"n_{kind}"] = out.get(f"n_{kind}", 0) + 1
    described = {}
    for name in kinds.values():
        stat, text, _ = statistic_of(get_kind(name))
        described.setdefault(stat, text)
    statistics = {}
    for stat in dict.fromkeys(["ks", "tvd", *cols.statistic]):
        rows = cols[cols.statistic == stat]
        v = rows[stat].dropna() if stat in rows else pd.Series(dtype=float)
        if v.empty:
            out.update({f"mean_{stat}": math.nan, f"max_{stat}": math.nan, f"max_{stat}_column": None})
        else:
            out.update({f"mean_{stat}": float(v.mean()), f"max_{stat}": float(v.max()),
                        f"max_{stat}_column": str(rows.loc[v.idxmax(), "column"])})
        if len(rows):
            statistics[stat] = {"description": described[stat], "kinds": sorted(set(rows.kind)),
                                "n_columns": int(len(rows))}
    out["statistics"] = statistics
    return out


def _columns_lines(c: dict[str, Any]) -> list[str]:
    """The report's column section: one line per statistic the columns' kinds declare."""
    lines = ["## Columns", "", "Each column is compared by the statistic its kind declares; 0 means identical.", ""]
    for stat, s in c["statistics"].items():
        n = s["n_columns"]
        lines.append(f"- {s['description']} (`{stat}`; {n} {', '.join(s['kinds'])} column{'s' if n != 1 else ''}): "
                     f"mean {format_value(c[f'mean_{stat}'])}, max {format_value(c[f'max_{stat}'])}")
    return lines + [""]


def _write_report(out: Path, report: dict[str, Any], cols: pd.DataFrame, corr: dict[str, Any],
                  util: pd.DataFrame | None, real: pd.DataFrame, synthetic: pd.DataFrame,
                  kinds: dict[Any, str]) -> list[str]:
    from .. import plots
    from ..io import atomic_save, atomic_write_text

    out.mkdir(parents=True, exist_ok=True)
    files = []

    def _csv(name: str, df: pd.DataFrame) -> None:
        atomic_save(out / name, lambda p: df.to_csv(p, index=False), suffix=".csv")
        files.append(name)

    _csv("columns.csv", cols)
    if util is not None:
        _csv("utility.csv", util)
    plots.plot_column_histograms(real, synthetic, out / "histograms.png",
                                 kinds={str(k): v for k, v in kinds.items()})
    files.append("histograms.png")
    if corr["n_columns"] >= 2:
        plots.plot_correlation_heatmaps(np.array(corr["real_corr"]), np.array(corr["fake_corr"]),
                                        out / "correlations.png", labels=corr["columns"])
        files.append("correlations.png")

    c = report["columns"]
    lines = [
        "# Synthetic table report", "",
        f"Real training rows: {report['n_real_train']}, real test rows: {report['n_real_test']}, "
        f"synthetic rows: {report['n_synthetic']}"
        + (f", target: `{report['target']}`." if report["target"] is not None else "."), "",
        *([report["note"], ""] if report.get("note") else []),
        *_columns_lines(c),
        markdown_table(cols), "",
        "## Correlations", "",
        f"Pearson correlations between the {corr['n_columns']} columns of numbers: over {corr['n_pairs']} pairs, "
        f"mean |synthetic − real| = {format_value(corr['mean_abs_diff'])}, max = {format_value(corr['max_abs_diff'])}"
        + (f" ({corr['max_pair'][0]} × {corr['max_pair'][1]})." if corr["max_pair"] else "."), "",
    ]
    if "correlations.png" in files:
        lines += ["![correlations](correlations.png)", ""]
    lines += ["## Utility: train on synthetic, test on real (TSTR) vs train on real (TRTR)", ""]
    if util is not None:
        lines += ["Accuracy and macro-F1 on the real test rows; ratio = TSTR / TRTR (1 = as useful as real data).",
                  "", markdown_table(util), ""]
    else:
        lines += ["Not computed: it needs a target column and a real test table.", ""]
    lines += [*_dcr_lines(report["dcr"]), "## Column histograms", "", "![histograms](histograms.png)", ""]
    atomic_write_text(out / "report.md", "\n".join(lines))
    files.append("report.md")
    return files


def _dcr_lines(d: dict[str, Any]) -> list[str]:
    """The report's distance-to-closest-record section."""
    dcr_rows = [("synthetic → real train", d["n_fake"], d["median"], d["p5"], d["exact_copy_share"])]
    if "holdout_median" in d:
        dcr_rows.append(("real test → real train (baseline)", d["n_holdout"], d["holdout_median"],
                         d["holdout_p5"], d["holdout_exact_copy_share"]))
    return [
        "## Distance to closest record", "",
        "Euclidean distance from each row to its nearest real training row (columns of numbers as z-scores, "
        "categories one-hot, fitted on the real training table). Synthetic rows much closer than the "
        "real test rows, or exact copies, suggest memorisation.", "",
        markdown_table(pd.DataFrame(dcr_rows, columns=["rows", "n", "median", "5th percentile", "exact copies"])), "",
    ]
