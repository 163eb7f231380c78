"""The pieces studies build with: the output folder and its cells, training one run,
and writing results (CSV + markdown). The skeleton that puts them together is
:class:`mpgan.studies.base.Study`."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from ..io import atomic_save, atomic_write_text
from ..report.machine import write_machine_record
from ..report.markdown import markdown_table as _markdown_table
from ..sweeps.execution import (  # noqa: F401  (the studies' names for them)
    DEFAULT_ROOT,
    Execution,
    StudyFolder,
    add_execution_options,
    as_execution,
    config_path,
    config_texts,
    execution,
    output_dir,
    unique,
)
from ..training.from_config import train_run  # noqa: F401

# -------------------------------------------------------------------------- results


def markdown_table(df: pd.DataFrame, digits: int = 4) -> str:
    """A markdown table of ``df`` (floats to ``digits`` decimals), ending in a newline."""
    return _markdown_table(df, digits=digits, na="—") + "\n"


def mean_std(df: pd.DataFrame, by: str | list[str], columns: Iterable[str], digits: int = 4,
             sort: bool = False) -> pd.DataFrame:
    """Per group (in order of appearance, or sorted): ``mean ± std`` strings over the non-missing
    values (std with ddof=1; just the mean for one value; "—" for none); ``seeds`` counts rows."""
    columns = list(columns)
    groups = df.groupby(by, sort=sort)
    mean, std, count = groups[columns].mean(), groups[columns].std(ddof=1), groups[columns].count()
    out = mean.copy().astype(object)
    for c in columns:
        out[c] = ["—" if k == 0 else f"{m:.{digits}f} ± {s:.{digits}f}" if k > 1 else f"{m:.{digits}f}"
                  for m, s, k in zip(mean[c], std[c], count[c], strict=True)]
    out.insert(0, "seeds", groups.size().to_numpy())
    return out.reset_index()


def write_results(out: Path, results: pd.DataFrame, summary: pd.DataFrame | None = None,
                  title: str = "", notes: str = "", digits: int = 4) -> None:
    """``results.csv`` (every row) and ``results.md`` (the summary table, or every row)."""
    atomic_save(out / "results.csv", lambda p: results.to_csv(p, index=False))
    md = f"# {title}\n\n" if title else ""
    md += markdown_table(summary if summary is not None else results, digits)
    if notes:
        md += "\n" + notes.strip() + "\n"
    atomic_write_text(out / "results.md", md)
    write_machine_record(out)


def report(folder: Path) -> int:
    """Print a finished study's results.md and where it is (the end of every study's main)."""
    print((folder / "results.md").read_text())
    print(f"wrote {folder}")
    return 0
