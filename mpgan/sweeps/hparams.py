"""TensorBoard HParams for a results table, so ``tensorboard --logdir OUT`` shows a sweep
or a study as a table and a parallel-coordinates view.

Each training cell (the rows sharing the ``hparams`` columns' values, e.g. one setting and
seed) is one HParams session: those values are its hyperparameters, and every other
numeric column a metric. A cell with several rows along a ``progress`` column (a step,
an iteration, a stage) logs each metric at each of them, so the dashboard also plots it
over the run; the table shows the last.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .cells import safe_name

FOLDER = "tensorboard"


def _hparam_value(value: Any, numeric: bool) -> Any:
    # HParams domains hold one type per column: floats for numbers, text for the rest
    return float(value) if numeric else str(value)


def _numeric(col: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)


def metric_columns(results: pd.DataFrame, hparams: Sequence[str], progress: str | None = None,
                   exclude: Sequence[str] = ()) -> list[str]:
    """The columns logged as metrics: numeric or true/false, and not a hyperparameter,
    the progress column or excluded."""
    skip = {*hparams, *exclude, *([progress] if progress else [])}
    return [c for c in results.columns if c not in skip and pd.api.types.is_numeric_dtype(results[c])]


def _steps(group: pd.DataFrame, progress: str | None) -> list[int]:
    """Where each row of a cell is logged: the progress column when it holds whole
    numbers, else the row's position in the cell (a stage name, a fractional radius)."""
    if progress and progress in group and _numeric(group[progress]):
        values = group[progress].to_numpy(dtype=float)
        if np.all(np.isfinite(values)) and np.all(values == np.round(values)):
            return [int(v) for v in values]
    return list(range(len(group)))


@contextmanager
def _writer(path: Path) -> Iterator[None]:
    import tensorflow as tf

    writer = tf.summary.create_file_writer(str(path))
    try:
        with writer.as_default():
            yield
    finally:
        writer.close()


def write_hparams(folder: str | Path, results: pd.DataFrame, hparams: Sequence[str], progress: str | None = None,
                  seed: str | None = "seed", exclude: Sequence[str] = ()) -> Path:
    """Write ``folder/tensorboard/``: the HParams experiment (each ``hparams`` column's
    values, each metric column) and one session per cell of ``results``: the rows sharing
    the ``hparams`` and ``seed`` values. Sessions that differ only in their seed form one
    group, so TensorBoard shows a setting once, with its seeds' metrics averaged (or their
    minimum or maximum). The folder is written beside and swapped in whole, so a resumed
    study never logs a cell twice. Returns the folder."""
    from tensorboard.plugins.hparams import api as hp

    folder = Path(folder)
    names = [c for c in hparams if c in results.columns and c != seed]
    seed = seed if seed in results.columns else None
    metrics = metric_columns(results, [*names, *([seed] if seed else [])], progress, exclude)
    numeric = {c: _numeric(results[c]) for c in names}
    target = folder / FOLDER
    tmp = Path(tempfile.mkdtemp(prefix=f".{FOLDER}-", dir=folder))
    try:
        domains = [hp.HParam(c, hp.Discrete(sorted({_hparam_value(v, numeric[c]) for v in results[c].dropna()})))
                   for c in names]
        with _writer(tmp):
            hp.hparams_config(hparams=domains, metrics=[hp.Metric(m) for m in metrics])
        keys = [*names, *([seed] if seed else [])]
        groups = results.groupby(keys, sort=False, dropna=False) if keys else [((), results)]
        sessions: set[str] = set()
        for key, rows in groups:
            key = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
            values = {c: _hparam_value(key[c], numeric[c]) for c in names if not pd.isna(key[c])}
            trial = safe_name(",".join(f"{c}={key[c]}" for c in names) or "all", 120)
            session = safe_name(f"{trial},{seed}={key[seed]}", 120) if seed else trial
            session = session if session not in sessions else f"{session}-{len(sessions)}"
            sessions.add(session)
            _write_session(tmp / session, values, trial, rows, metrics, _steps(rows, progress))
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _write_session(path: Path, values: dict[str, Any], trial: str, rows: pd.DataFrame, metrics: list[str],
                   steps: list[int]) -> None:
    import tensorflow as tf
    from tensorboard.plugins.hparams import api as hp

    with _writer(path):
        hp.hparams(values, trial_id=trial)  # the trial id is the session's group
        for step, (_, row) in zip(steps, rows.iterrows(), strict=True):
            for m in metrics:
                if not pd.isna(row[m]):
                    tf.summary.scalar(m, float(row[m]), step=step)


__all__ = ["FOLDER", "metric_columns", "write_hparams"]
