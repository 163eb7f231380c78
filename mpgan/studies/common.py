"""What every study shares: its command line, its output folder, training one run,
fanning runs out over processes, and writing results (CSV + markdown)."""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..io import atomic_save, atomic_write_text

DEFAULT_ROOT = Path("runs") / "studies"


def study_parser(name: str, description: str, seeds: int = 3, settings: Sequence[str] = (),
                 default_settings: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The options every study takes: --quick, --seeds, --out, --jobs, and --settings when
    the study has ``settings`` to choose from (default: ``default_settings``, else all)."""
    p = argparse.ArgumentParser(prog=f"mpgan experiment {name}", description=description)
    p.add_argument("--quick", action="store_true",
                   help="a small, fast version (about a minute) to check that everything runs")
    p.add_argument("--seeds", type=int, default=None,
                   help=f"number of seeds per setting (default {seeds}; 1 with --quick)")
    p.add_argument("--out", help=f"output folder (default {DEFAULT_ROOT}/{name}, numbered if taken)")
    p.add_argument("--jobs", type=int, default=1,
                   help="independent runs trained in parallel worker processes (default 1)")
    p.set_defaults(default_seeds=seeds)
    if settings:
        default = list(default_settings or settings)
        p.add_argument("--settings", nargs="+", choices=list(settings), default=default,
                       help=f"only these settings (default {' '.join(default)})")
    return p


def n_seeds(args: argparse.Namespace) -> int:
    check_jobs(args.jobs)  # before any training starts
    n = args.seeds if args.seeds is not None else (1 if args.quick else args.default_seeds)
    if n < 1:
        raise ConfigError(f"--seeds must be a positive integer, got {n}")
    return n


def check_jobs(jobs: int) -> int:
    if jobs < 1:
        raise ConfigError(f"--jobs must be a positive integer, got {jobs}")
    return jobs


@contextmanager
def output_dir(name: str, out: str | Path | None):
    """The study's output folder: created on entry, removed again if the study fails
    (a study's results are all or nothing)."""
    from ..training.run_dir import next_run_dir

    path = Path(out) if out else next_run_dir(DEFAULT_ROOT / name)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise ConfigError(f"output folder {path} already exists and is not empty; choose another --out "
                          "(a study never mixes its runs with an earlier one's)")
    created = not path.exists()
    path.mkdir(parents=True, exist_ok=True)
    try:
        yield path
    except BaseException:
        if created:
            shutil.rmtree(path, ignore_errors=True)
        raise


def run_tasks(fn: Callable[..., Any], tasks: Sequence[dict[str, Any]], jobs: int = 1) -> list[Any]:
    """``[fn(**task) for task in tasks]``, in ``jobs`` worker processes when ``jobs > 1``.

    Workers are spawned (TensorFlow does not survive fork) and each run is seeded by its
    task, so the results do not depend on ``jobs``. ``fn`` must be importable (a module-level
    function) and tasks must pickle.
    """
    import sys
    import time

    jobs = check_jobs(jobs)
    t0, n = time.perf_counter(), len(tasks)

    def done(i: int, task: dict[str, Any]) -> None:
        what = ", ".join(f"{k}={v}" for k, v in task.items() if not isinstance(v, str) or len(v) < 20)
        print(f"[{i}/{n}] {what} ({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)

    if jobs == 1 or n <= 1:
        out = []
        for i, task in enumerate(tasks, 1):
            out.append(fn(**task))
            done(i, task)
        return out
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(jobs, n), mp_context=ctx, initializer=_quiet_worker) as pool:
        futures = [pool.submit(fn, **task) for task in tasks]
        out = []
        try:
            for i, (f, task) in enumerate(zip(futures, tasks, strict=True), 1):
                out.append(f.result())
                done(i, task)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)  # don't train the rest of a failed study
            raise
        return out


def run_settings(fn: Callable[..., Any], folder: Path, settings: Iterable[str], seeds: int, jobs: int = 1,
                 **common: Any) -> dict[tuple[str, int], Any]:
    """``fn(setting=..., seed=..., run_dir=FOLDER/runs/SETTING_seedK, **common)`` for every
    setting (repeats dropped) and seed, through :func:`run_tasks`; keyed by (setting, seed)."""
    tasks = [{"setting": s, "seed": k, "run_dir": str(folder / "runs" / f"{s}_seed{k}"), **common}
             for s in unique(settings) for k in range(seeds)]
    outs = run_tasks(fn, tasks, jobs)
    return {(t["setting"], t["seed"]): o for t, o in zip(tasks, outs, strict=True)}


def _quiet_worker() -> None:
    import os
    import threading

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()


def _exit_with_parent(parent: int, every: float = 1.0) -> None:
    """End this worker when the study process is gone (killed, say): a worker busy
    training would otherwise go on as an orphan, using the cores and writing into run
    folders a restarted study is using."""
    import os
    import time

    while os.getppid() == parent:
        time.sleep(every)
    os._exit(1)


def train_run(config: str | Path, overrides: Sequence[str], run_dir: Path, callbacks=()):
    """Train one run of a study (quietly: no progress bar, no TensorBoard; metrics as its ``eval``
    section asks) and return its trainer."""
    import tensorflow as tf

    from ..config import load_config
    from ..training import Trainer

    tf.get_logger().setLevel("ERROR")  # each run's first trace is expected, not a retracing problem
    cfg = load_config(str(config), ["train.tensorboard=false", *overrides])
    trainer = Trainer.from_config(cfg, run_dir=run_dir, callbacks=list(callbacks),
                                  progress=False)
    trainer.fit()
    return trainer


def config_path(name: str) -> Path:
    """The study config ``NAME``: from ``$MPGAN_CONFIGS`` if set, else the one that ships
    with mpgan (package data, so studies work from an installed wheel)."""
    import os

    from ..config import resolve_config

    root = os.environ.get("MPGAN_CONFIGS")
    if root:
        path = Path(root) / f"{name}.yaml"
        if not path.is_file():
            raise ConfigError(f"study config {path} not found in $MPGAN_CONFIGS ({root})")
        return path
    return resolve_config(name)


# -------------------------------------------------------------------------- results


def _fmt(v: Any, digits: int) -> str:
    if isinstance(v, (float, np.floating)):
        if not np.isfinite(v):
            return "—"
        return f"{v:.{digits}f}"
    return str(v)


def markdown_table(df: pd.DataFrame, digits: int = 4) -> str:
    """A GitHub markdown table of ``df`` (floats to ``digits`` decimals)."""
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(_fmt(v, digits) for v in row) + " |")
    return "\n".join(lines) + "\n"


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


def unique(values: Iterable[Any]) -> list[Any]:
    """``values`` without repeats, in order (a repeated setting would share a run folder)."""
    return list(dict.fromkeys(values))


def write_results(out: Path, results: pd.DataFrame, summary: pd.DataFrame | None = None,
                  title: str = "", notes: str = "", digits: int = 4) -> None:
    """``results.csv`` (every row) and ``results.md`` (the summary table, or every row)."""
    atomic_save(out / "results.csv", lambda p: results.to_csv(p, index=False))
    md = f"# {title}\n\n" if title else ""
    md += markdown_table(summary if summary is not None else results, digits)
    if notes:
        md += "\n" + notes.strip() + "\n"
    atomic_write_text(out / "results.md", md)


def report(folder: Path) -> int:
    """Print a finished study's results.md and where it is (the end of every study's main)."""
    print((folder / "results.md").read_text())
    print(f"wrote {folder}")
    return 0
