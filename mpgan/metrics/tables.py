"""Score a synthetic table from any synthesizer against the real rows it was fitted on and
real rows it never saw, and read the scores against a ladder of known tables.

The ladder is to tables what the FID calibration ladder is to images: the same scores for
tables whose quality is known, computed on the same splits.

- ``holdout``: unseen real rows as the "synthetic" table (half the holdout, scored against
  the other half): the floor, what a perfect synthesizer scores at this size;
- ``marginals``: each column drawn on its own from the training rows: right shapes, no
  relations between columns;
- ``noisy_copy``: training rows plus noise of 0.05 × each numeric column's std: a leak;
- ``identity``: the training rows themselves: the worst leak.

:func:`evaluate_tables` is the one call (``mpgan evaluate --synthetic S --train T --holdout H``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError

#: The headline scores of one table: (key, label, goal) — goal ``lower``/``higher`` is better,
#: ``ideal`` is best at the floor's value.
HEADLINE: tuple[tuple[str, str, str], ...] = (
    ("column_shapes", "column shapes (1 − mean KS/TVD)", "higher"),
    ("pair_trends", "pair trends (1 − mean |Δ correlation|)", "higher"),
    ("tstr_trtr_logistic_regression", "TSTR/TRTR accuracy, logistic regression", "higher"),
    ("tstr_trtr_random_forest", "TSTR/TRTR accuracy, random forest", "higher"),
    ("closer_to_train", "share of rows nearer to train than to holdout", "ideal"),
    ("exact_copies", "share of rows copying a training row", "ideal"),
    ("mia_auc", "membership-inference AUC (the stronger attack)", "ideal"),
    ("privacy_warnings", "privacy warnings (of 5)", "lower"),
)


@dataclass(frozen=True)
class TableRung:
    """One rung of the table ladder: a name, a label for reports, and how its table is made."""

    name: str
    label: str
    noise: float | None = None  # a copy of the training rows with this noise; None: not a copy


TABLE_LADDER: tuple[TableRung, ...] = (
    TableRung("holdout", "unseen real rows (floor)"),
    TableRung("marginals", "independent marginals (no relations)"),
    TableRung("noisy_copy", "training rows + noise 0.05 σ (leak)", noise=0.05),
    TableRung("identity", "training rows copied (leak)", noise=0.0),
)


def read_tables(synthetic: Any, train: Any, holdout: Any, sep: str | None = None) -> dict[str, pd.DataFrame]:
    """The three tables (DataFrames, or paths :func:`mpgan.data.tabular.read_table` reads),
    checked to hold the same columns; keyed ``synthetic``, ``train``, ``holdout``."""
    from ..data.schema import check_table
    from ..data.tabular import read_table

    frames = {}
    for what, table in (("synthetic", synthetic), ("train", train), ("holdout", holdout)):
        df = read_table(table, sep=sep) if isinstance(table, (str, Path)) else table
        if not isinstance(df, pd.DataFrame):
            raise DataError(f"--{what} must be a table (a file path or a pandas DataFrame), got {type(df).__name__}")
        check_table(df, f"the --{what}")
        frames[what] = df
    check_same_columns(frames)
    return frames


def check_same_columns(frames: Mapping[str, pd.DataFrame]) -> None:
    """The tables hold the same columns (in any order), or one error naming the differences."""
    names = list(frames)
    want = [str(c) for c in frames["train"].columns]
    problems = []
    for what in names:
        have = [str(c) for c in frames[what].columns]
        missing = [c for c in want if c not in have]
        extra = [c for c in have if c not in want]
        if missing:
            problems.append(f"--{what} lacks {', '.join(missing)}")
        if extra:
            problems.append(f"--{what} has {', '.join(extra)} that --train does not")
    if problems:
        raise DataError("the tables must hold the same columns: " + "; ".join(problems))


def _headline(report: dict[str, Any], privacy: dict[str, Any]) -> dict[str, float]:
    cols = report["columns"]
    shape_stats = [v for k, v in cols.items() if k.startswith("mean_") and k[5:] in ("ks", "tvd")
                   and v == v]
    out = {"column_shapes": 1.0 - float(np.mean(shape_stats)) if shape_stats else float("nan"),
           "pair_trends": 1.0 - float(report["correlation"]["mean_abs_diff"])}
    for name, row in report.get("utility", {}).items():
        out[f"tstr_trtr_{name}"] = float(row["accuracy_ratio"])
    out.update(closer_to_train=privacy["closer_to_train"], exact_copies=privacy["exact_copies_synthetic"],
               mia_auc=max(privacy["mia_distance_auc"], privacy["mia_density_auc"]),
               privacy_warnings=float(sum(v.startswith("warning") for v in privacy["readings"].values())))
    return out


def score_table(train: pd.DataFrame, holdout: pd.DataFrame, synthetic: pd.DataFrame, target: Any,
                kinds: Mapping[Any, str], seed: int = 0, out_dir: Path | None = None) -> dict[str, Any]:
    """The table report (fidelity, utility) and the privacy report of ``synthetic``, and the
    headline scores read from them."""
    from .privacy import privacy_report
    from .tabular import tabular_report

    report = tabular_report(train, holdout, synthetic, target=target, out_dir=out_dir, kinds=kinds, seed=seed,
                            note=f"TSTR/TRTR are scored on the {len(holdout)} holdout rows.")
    privacy = privacy_report(train, holdout, synthetic, kinds=kinds, seed=seed)
    return {"headline": _headline(report, privacy), "tabular": report, "privacy": privacy}


def _rung_tables(rung: TableRung, train: pd.DataFrame, holdout: pd.DataFrame, n: int, kinds: Mapping[Any, str],
                 seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the rung's "synthetic" table, the holdout it is scored against)."""
    from ..baselines import CopyRows, IndependentMarginals

    if rung.name == "holdout":
        order = np.random.default_rng(seed).permutation(len(holdout))
        half = len(holdout) // 2
        return holdout.iloc[np.sort(order[:half])], holdout.iloc[np.sort(order[half:])]
    if rung.noise is not None:
        return CopyRows(noise=rung.noise).fit(train, kinds=dict(kinds)).sample(n, seed=seed), holdout
    return IndependentMarginals().fit(train).sample(n, seed=seed), holdout


def table_ladder(train: pd.DataFrame, holdout: pd.DataFrame, n: int, target: Any, kinds: Mapping[Any, str],
                 seed: int = 0) -> dict[str, dict[str, Any]]:
    """The headline scores of every :data:`TABLE_LADDER` rung, ``n`` rows each (the floor: half
    the holdout)."""
    out = {}
    for rung in TABLE_LADDER:
        fake, hold = _rung_tables(rung, train, holdout, n, kinds, seed)
        scores = score_table(train, hold, fake, target, kinds, seed)
        out[rung.name] = {"label": rung.label, "n": int(len(fake)), "n_holdout": int(len(hold)), **scores["headline"]}
    return out


def read_against(key: str, goal: str, value: float, ladder: dict[str, dict[str, Any]]) -> str:
    """Which rungs ``value`` of score ``key`` lies between, in words (as :func:`~.calibration.place`)."""
    if value != value:
        return "not scored"
    steps = sorted((r[key], r["label"]) for r in ladder.values() if key in r and r[key] == r[key])
    if not steps:
        return "no ladder"
    if goal == "ideal":  # best at the floor's value: which known table it is most like
        near, label = min(steps, key=lambda s: abs(s[0] - value))
        return f"nearest {label} ({near:.3g})"
    if value <= steps[0][0]:
        return f"at or below {steps[0][1]} ({steps[0][0]:.3g})"
    for (lo, lo_name), (hi, hi_name) in zip(steps, steps[1:], strict=False):
        if value <= hi:
            return f"between {lo_name} ({lo:.3g}) and {hi_name} ({hi:.3g})"
    return f"above {steps[-1][1]} ({steps[-1][0]:.3g})"


def table_kinds(train: pd.DataFrame, target: Any = None, kinds: Mapping[Any, str] | None = None,
                name: str = "train") -> dict[Any, str]:
    """Every column's kind, decided once on the training rows (``kinds`` force some); a target
    must be a class column."""
    from ..data.schema import TableSchema
    from ..data.tabular import check_class_target

    kinds = dict(kinds or {})
    unknown = [c for c in kinds if c not in train.columns]
    if unknown:
        raise DataError(f"--kind names {', '.join(map(str, unknown))}, not a column of the tables; the columns are "
                        f"{', '.join(map(str, train.columns))}")
    if target is not None:
        check_class_target(train, target, name, kinds)
    return TableSchema.infer(train, kinds=kinds, categorical=[target] if target is not None else None).kinds


def evaluate_tables(synthetic: Any, train: Any, holdout: Any, target: Any = None, *,
                    kinds: Mapping[Any, str] | None = None, seed: int = 0, out_dir: str | Path | None = None,
                    ladder: bool = True, sep: str | None = None) -> dict[str, Any]:
    """Fidelity, utility (TSTR beside TRTR and the majority floor, with ``target``) and privacy of
    any synthesizer's ``synthetic`` rows, fitted on ``train``, against unseen ``holdout`` rows;
    with ``ladder``, the same scores for :data:`TABLE_LADDER`'s known tables and where the
    synthetic table reads among them. Tables are DataFrames or file paths. With ``out_dir``
    writes ``metrics.json``, ``metrics.csv``, ``ladder.csv`` and the table report's files.
    """
    from .evaluate import write_results

    frames = read_tables(synthetic, train, holdout, sep=sep)
    tr, ho = frames["train"], frames["holdout"]
    syn = frames["synthetic"][list(tr.columns)]
    ho = ho[list(tr.columns)]
    by_column = table_kinds(tr, target, kinds, name=str(train) if isinstance(train, (str, Path)) else "train")
    out = Path(out_dir) if out_dir is not None else None
    scores = score_table(tr, ho, syn, target, by_column, seed, out)
    result: dict[str, Any] = {
        "kind": "tabular", "synthetic": _name(synthetic), "train": _name(train), "holdout": _name(holdout),
        "n_synthetic": int(len(syn)), "n_train": int(len(tr)), "n_holdout": int(len(ho)), "seed": int(seed),
        "target": None if target is None else str(target), "headline": scores["headline"],
        "tabular": scores["tabular"], "privacy": scores["privacy"],
    }
    if target is not None:
        majority = tr[target].value_counts().index[0]
        result["majority_accuracy"] = float((ho[target] == majority).mean())
    if ladder:
        rungs = table_ladder(tr, ho, len(syn), target, by_column, seed)
        result["ladder"] = rungs
        result["reads_as"] = {key: read_against(key, goal, scores["headline"][key], rungs)
                              for key, _, goal in HEADLINE if key in scores["headline"]}
    if out is not None:
        write_results(result, out)
        if ladder:
            from ..io import atomic_save

            table = ladder_frame(result)
            atomic_save(out / "ladder.csv", lambda p: table.to_csv(p, index=False), suffix=".csv")
    return result


def _name(table: Any) -> str:
    return str(table) if isinstance(table, (str, Path)) else f"DataFrame ({len(table)} rows)"


def ladder_frame(result: dict[str, Any]) -> pd.DataFrame:
    """The synthetic table's headline scores beside the ladder's, one row per table."""
    rows = [{"table": "synthetic (scored)", "n": result["n_synthetic"], **result["headline"]}]
    for rung in result.get("ladder", {}).values():
        rows.append({"table": rung["label"], "n": rung["n"],
                     **{k: rung[k] for k in result["headline"] if k in rung}})
    return pd.DataFrame(rows)


def summary_lines(result: dict[str, Any]) -> list[str]:
    """Readable lines: each headline score, its value, and where it reads on the ladder."""
    lines = [f"{len(result['headline'])} scores of {result['n_synthetic']} synthetic rows "
             f"(train {result['n_train']}, holdout {result['n_holdout']} rows)"]
    if "majority_accuracy" in result:
        lines.append(f"  majority-class accuracy on the holdout (the floor a classifier must beat): "
                     f"{result['majority_accuracy']:.3f}")
    for key, label, _ in HEADLINE:
        if key in result["headline"]:
            value = result["headline"][key]
            where = result.get("reads_as", {}).get(key)
            lines.append(f"  {label}: {value:.3g}" + (f"  — {where}" if where else ""))
    for name, text in result["privacy"]["readings"].items():
        lines.append(f"  privacy, {name.replace('_', ' ')}: {text}")
    return lines


__all__ = ["HEADLINE", "TABLE_LADDER", "TableRung", "check_same_columns", "evaluate_tables", "ladder_frame",
           "read_against", "read_tables", "score_table", "summary_lines", "table_kinds", "table_ladder"]
