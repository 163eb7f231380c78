"""What every study shares: its command line, its output folder, training one run,
fanning runs out over processes, and writing results (CSV + markdown)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..io import atomic_save, atomic_write_text
from ..report.machine import write_machine_record
from ..sweeps.backends import check_jobs

DEFAULT_ROOT = Path("runs") / "studies"


def study_parser(name: str, description: str, seeds: int = 3, settings: Sequence[str] = (),
                 default_settings: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The options every study takes: --quick, --seeds, --out, --jobs, and --settings when
    the study has ``settings`` to choose from (default: ``default_settings``, else all)."""
    p = argparse.ArgumentParser(prog=f"mpgan experiment {name}", description=description)
    p.add_argument("--quick", action="store_true",
                   help="a small, fast version (what the tests run) to check that everything runs")
    p.add_argument("--seeds", type=int, default=None,
                   help=f"number of seeds per setting (default {seeds}; 1 with --quick)")
    p.add_argument("--out", help=f"output folder (default {DEFAULT_ROOT}/{name}); running the same command "
                   "again resumes it")
    p.add_argument("--jobs", type=int, default=1,
                   help="independent runs trained in parallel worker processes (default 1)")
    add_execution_options(p)
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


@dataclass
class Execution:
    """How a study's cells run: ``backend`` local (``jobs`` worker processes) or ray (at
    ``address``; None starts a private cluster of ``jobs`` CPUs), ``cpus`` per cell, run
    folders under ``storage`` (a path every node sees) instead of the output folder, and
    ``fresh`` to start over instead of resuming."""

    jobs: int = 1
    backend: str = "local"
    address: str | None = None
    storage: str | None = None
    cpus: float = 1
    gpus: float = 0
    fresh: bool = False

    def make_backend(self) -> Any:
        from ..sweeps.backends import make_backend

        return make_backend(self.backend, check_jobs(self.jobs), self.address, self.cpus, self.gpus)


def add_execution_options(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """--backend, --address, --storage, --cpus-per-cell, --gpus-per-cell, --fresh."""
    g = p.add_argument_group("where cells run, and resuming")
    g.add_argument("--backend", choices=["local", "ray"], default="local",
                   help="local: this machine's processes (--jobs); ray: a Ray cluster (pip install -e \".[ray]\")")
    g.add_argument("--address", help="Ray cluster to join: auto, or HOST:PORT from `ray start --head` "
                   "(default: a private cluster on this machine)")
    g.add_argument("--storage", help="put run folders here instead of under --out (a path every Ray node sees)")
    g.add_argument("--cpus-per-cell", type=float, default=1, help="CPUs each cell asks Ray for (default 1)")
    g.add_argument("--gpus-per-cell", type=float, default=0, help="GPUs each cell asks Ray for (default 0)")
    g.add_argument("--fresh", action="store_true",
                   help="start over: delete the cells an earlier run of this command left in --out")
    return p


def execution(args: argparse.Namespace) -> Execution:
    if not args.cpus_per_cell > 0:
        raise ConfigError(f"--cpus-per-cell must be greater than 0, got {args.cpus_per_cell}")
    if args.gpus_per_cell < 0:
        raise ConfigError(f"--gpus-per-cell must be 0 or more, got {args.gpus_per_cell}")
    return Execution(jobs=check_jobs(args.jobs), backend=args.backend, address=args.address, storage=args.storage,
                     cpus=args.cpus_per_cell, gpus=args.gpus_per_cell, fresh=args.fresh)


def as_execution(jobs: int | Execution) -> Execution:
    return jobs if isinstance(jobs, Execution) else Execution(jobs=check_jobs(jobs))


class StudyFolder:
    """A study's output folder and the cells it runs there: a cell finished by an earlier,
    interrupted run of the same command is read back instead of trained again."""

    def __init__(self, name: str, path: Path, runner: Any, execution: Execution,
                 configs: Sequence[str] | None = None):
        self.name, self.path, self.runner, self.execution = name, path, runner, execution
        self.extra = {"configs": config_texts(configs)}
        root = Path(execution.storage) / path.resolve().name if execution.storage else path
        self.runs = (root / "runs").resolve()  # absolute: workers may start elsewhere
        self.runs.mkdir(parents=True, exist_ok=True)  # Ray nodes that do not see it send their runs back

    def run(self, fn: Callable[..., Any], tasks: Sequence[dict[str, Any]],
            identities: Sequence[dict[str, Any]] | None = None) -> list[Any]:
        """``[fn(**task) for task in tasks]`` as cells (resumable; on the study's backend).
        A cell is identified by ``fn``, its task and the study configs' text, or by
        ``identities`` (one per task) when given."""
        return self.runner.run(fn, self.cells(fn, tasks, identities))

    def cells(self, fn: Callable[..., Any], tasks: Sequence[dict[str, Any]],
              identities: Sequence[dict[str, Any]] | None = None) -> list[Any]:
        tasks = [dict(t) for t in tasks]
        return self.runner.cells(fn, tasks, self.extra if identities is None else None, identities)

    def run_settings(self, fn: Callable[..., Any], settings: Iterable[str], seeds: int,
                     **common: Any) -> dict[tuple[str, int], Any]:
        """``fn(setting=..., seed=..., run_dir=RUNS/SETTING_seedK, **common)`` for every
        setting (repeats dropped) and seed; keyed by (setting, seed)."""
        tasks = [{"setting": s, "seed": k, "run_dir": str(self.runs / f"{s}_seed{k}"), **common}
                 for s in unique(settings) for k in range(seeds)]
        outs = self.run(fn, tasks)
        return {(t["setting"], t["seed"]): o for t, o in zip(tasks, outs, strict=True)}


def config_texts(names: Sequence[str] | None = None) -> dict[str, str]:
    """The text of the study configs ``names`` (None: every one): a cell's identity
    includes them, so editing a config a study reads makes new cells rather than mixing
    runs of two versions (and editing another one does not)."""
    import os

    from ..config import packaged_configs

    if names is not None:
        return {n: Path(config_path(n)).read_text() for n in sorted(names)}
    root = os.environ.get("MPGAN_CONFIGS")
    files = {p.stem: p for p in Path(root).glob("*.yaml")} if root else packaged_configs()
    return {name: f.read_text() for name, f in sorted(files.items())}


@contextmanager
def output_dir(name: str, out: str | Path | None, jobs: int | Execution = 1, configs: Sequence[str] | None = None):
    """The study's output folder (default ``runs/studies/NAME``) as a :class:`StudyFolder`.

    Running the same command again resumes: finished cells are read back, the rest run.
    ``fresh`` starts over; a folder of another study or of files mpgan did not write is
    refused. results.csv, results.md and figures are written at the end, so a study that
    fails part-way leaves only its finished cells (and no folder when none finished).
    ``configs`` names the study configs its cells read (part of each cell's identity).
    """
    from ..sweeps.cells import CellRunner, cell_folder

    ex = as_execution(jobs)
    path = Path(out) if out else DEFAULT_ROOT / name
    backend = ex.make_backend()
    with cell_folder(path, name, fresh=ex.fresh) as manifest:
        yield StudyFolder(name, path, CellRunner(path, manifest, backend), ex, configs)


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
    write_machine_record(out)


def report(folder: Path) -> int:
    """Print a finished study's results.md and where it is (the end of every study's main)."""
    print((folder / "results.md").read_text())
    print(f"wrote {folder}")
    return 0
