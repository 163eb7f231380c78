"""Where and how the cells of a study or sweep run, and the folder that records them.

:class:`Execution` holds the command-line choices (local processes or Ray, resources,
``--fresh``); :func:`output_dir` opens a study's or sweep's output folder as a
:class:`StudyFolder` whose cells resume; :func:`config_path` finds a study config.
Studies and ``mpgan sweep`` both sit on this layer.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .backends import check_jobs, make_backend
from .cells import CellRunner, cell_folder

DEFAULT_ROOT = Path("runs") / "studies"


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
    from ..checks import writable_path

    ex = as_execution(jobs)
    path = writable_path(Path(out) if out else DEFAULT_ROOT / name, folder=True, what="output folder")
    if ex.storage:
        writable_path(ex.storage, folder=True, what="--storage")
    backend = ex.make_backend()
    with cell_folder(path, name, fresh=ex.fresh) as manifest:
        yield StudyFolder(name, path, CellRunner(path, manifest, backend), ex, configs)


def unique(values: Iterable[Any]) -> list[Any]:
    """``values`` without repeats, in order (a repeated setting would share a run folder)."""
    return list(dict.fromkeys(values))


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
