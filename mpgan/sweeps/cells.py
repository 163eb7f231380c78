"""Cells: the runs of a study or sweep, each recorded in a manifest when it finishes, so
that running the same command again skips what is done.

A cell is keyed by its setting, its seed and a hash of what it ran (the resolved config
or the study's task and config files). ``cells.json`` in the output folder records each
finished or failed cell; a cell's result is stored beside it (``cells/*.json`` + ``.npz``,
see :mod:`.codec`). Results are always read back from those files, so a study that was
killed and resumed tabulates exactly what an uninterrupted one would.
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import hashlib
import json
import os
import re
import shutil
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError, MpganError
from ..io import atomic_write_text
from .codec import load_result, result_exists, save_result

MANIFEST = "cells.json"
LOCK = ".cells.lock"
FORMAT = 1


class CellsFailed(MpganError):
    """Some cells raised; the others are recorded, and re-running the command retries these."""


def digest(obj: Any) -> str:
    """A stable hash of a JSON-able object (keys sorted, so dict order does not matter)."""
    text = json.dumps(obj, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def fn_name(fn: Callable[..., Any]) -> str:
    return f"{fn.__module__}:{fn.__qualname__}"


@dataclass(frozen=True)
class Cell:
    """One run: ``fn(**task)``. ``config`` is what identifies it (hashed into the key)."""

    setting: str
    seed: int | None
    task: dict[str, Any]
    config: dict[str, Any]
    config_hash: str = field(default="")

    @classmethod
    def make(cls, setting: str, seed: int | None, task: dict[str, Any], config: dict[str, Any]) -> Cell:
        return cls(setting, seed, task, config, digest(config))

    @property
    def key(self) -> str:
        return f"{self.setting}|seed={self.seed}|{self.config_hash[:12]}"

    @property
    def slug(self) -> str:
        return f"{safe_name(f'{self.setting}_seed{self.seed}', 80)}-{self.config_hash[:8]}"


def safe_name(text: str, limit: int = 100) -> str:
    """``text`` as a file name: runs of other characters than letters, digits and ``_.,=+-``
    become ``_``, cut at ``limit``."""
    return re.sub(r"[^A-Za-z0-9_.,=+-]+", "_", text)[:limit]


def task_setting(task: dict[str, Any]) -> str:
    """A readable name for a task without a ``setting``: its short scalar arguments."""
    if "setting" in task:
        return str(task["setting"])
    parts = [f"{k}={v}" for k, v in task.items()
             if k not in ("seed", "run_dir") and isinstance(v, (int, float, str, bool)) and len(str(v)) < 24]
    return ",".join(parts) or "cell"


class Manifest:
    """``cells.json``: the study it belongs to and a record per cell key, rewritten
    atomically after every cell."""

    def __init__(self, folder: Path, study: str, cells: dict[str, dict[str, Any]] | None = None):
        self.folder, self.study, self.cells = folder, study, cells or {}

    @property
    def path(self) -> Path:
        return self.folder / MANIFEST

    @classmethod
    def read(cls, folder: Path) -> Manifest | None:
        path = folder / MANIFEST
        if not path.is_file():
            return None
        try:
            doc = json.loads(path.read_text())
            return cls(folder, str(doc["study"]), dict(doc["cells"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"{path} is not an mpgan cell manifest ({exc}); use another --out, or --fresh") from None

    def done(self, cell: Cell) -> dict[str, Any] | None:
        rec = self.cells.get(cell.key)
        if rec and rec.get("status") == "done" and result_exists(self.folder / rec["result"]):
            return rec
        return None

    def record(self, cell: Cell, **fields: Any) -> None:
        rec = {"setting": cell.setting, "seed": cell.seed, "config_hash": cell.config_hash,
               "config": cell.config, "run_dir": cell.task.get("run_dir") or None,
               "finished": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"), **fields}
        self.cells[cell.key] = rec
        self.save()

    def save(self) -> None:
        doc = {"format": FORMAT, "study": self.study, "cells": self.cells}
        atomic_write_text(self.path, json.dumps(doc, indent=1, default=str))


class CellRunner:
    """Runs cells through a backend, skipping those the manifest holds as done."""

    def __init__(self, folder: Path, manifest: Manifest, backend: Any):
        self.folder, self.manifest, self.backend = folder, manifest, backend
        self.trained = 0  # cells this process ran (not read back from an earlier run)

    def cells(self, fn: Callable[..., Any], tasks: Sequence[dict[str, Any]],
              extra: dict[str, Any] | None = None,
              identities: Sequence[dict[str, Any]] | None = None) -> list[Cell]:
        """One cell per task, identified by ``fn`` and ``identities[i]`` if given, else by the
        task (but its run folder) and ``extra`` (a study passes the text of its config files)."""
        out = []
        for i, task in enumerate(tasks):
            ident = {k: v for k, v in task.items() if k != "run_dir"}
            config = {"fn": fn_name(fn), **({"task": ident, **(extra or {})} if identities is None
                                            else identities[i])}
            cell = Cell.make(task_setting(task), task.get("seed"), dict(task), config)
            out.append(self._own_run_dir(cell))
        return out

    def _own_run_dir(self, cell: Cell) -> Cell:
        """A cell whose run folder a *different* finished cell holds gets its own (suffixed)."""
        run_dir = cell.task.get("run_dir")
        if not run_dir:
            return cell
        taken = {r.get("run_dir") for k, r in self.manifest.cells.items() if k != cell.key and r.get("status") == "done"}
        if run_dir in taken:
            cell.task["run_dir"] = f"{run_dir}-{cell.config_hash[:8]}"
        return cell

    def save(self, cell: Cell, result: Any, seconds: float) -> None:
        """Store a finished cell's result, then record it as done (in that order: a cell
        is done only once its result is on disk)."""
        stem = Path("cells") / cell.slug
        save_result(self.folder / stem, result)
        self.manifest.record(cell, status="done", result=str(stem), seconds=round(seconds, 3))
        self.trained += 1

    def todo(self, cells: Sequence[Cell]) -> list[Cell]:
        """The cells not done yet, each with its run folder cleared (a cell killed mid-run
        leaves a partial one: it starts over)."""
        todo = [c for c in cells if self.manifest.done(c) is None]
        if len(todo) < len(cells):
            print(f"{len(cells) - len(todo)} of {len(cells)} cells already done in {self.folder}; running "
                  f"{len(todo)}", file=sys.stderr, flush=True)
        for c in todo:
            if c.task.get("run_dir") and Path(c.task["run_dir"]).exists():
                shutil.rmtree(c.task["run_dir"])
        return todo

    def run(self, fn: Callable[..., Any], cells: Sequence[Cell]) -> list[Any]:
        """``[fn(**cell.task) ...]``, training only cells not done; results read back from disk."""
        todo = self.todo(cells)
        failures: list[str] = []
        t0, before = time.perf_counter(), self.trained

        def finished(i: int, result: Any, seconds: float) -> None:
            try:
                self.save(todo[i], result, seconds)
            except Exception as exc:  # a result that cannot be stored fails its cell, not the study
                failed(i, error_text(exc))
                return
            print(f"[{self.trained - before}/{len(todo)}] {todo[i].setting} seed {todo[i].seed} done in {seconds:.0f} s "
                  f"({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)

        def failed(i: int, error: str) -> None:
            self.manifest.record(todo[i], status="failed", error=error[-4000:])
            failures.append(f"{todo[i].setting} seed {todo[i].seed}: {error.strip().splitlines()[-1]}")

        if todo:
            self.backend.map(fn, [c.task for c in todo], finished, failed)
        if failures:
            raise CellsFailed(f"{len(failures)} of {len(cells)} cells failed (first: {failures[0]}); the others "
                              f"are kept in {self.folder / MANIFEST}: run the same command again to retry")
        return [load_result(self.folder / self.manifest.done(c)["result"]) for c in cells]


def error_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


@contextmanager
def cell_folder(path: Path, study: str, fresh: bool = False):
    """Open ``path`` for ``study``'s cells: create it, resume it, or (``fresh``) empty it.

    Refuses a folder that holds another study's manifest (unless ``fresh``) or files that
    are not a study's (always: ``--fresh`` never deletes what mpgan did not write). Holds a
    lock, so two processes cannot write one folder. On failure, a folder this call created
    and no cell finished in is removed again.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"output folder {path} is a file; choose another --out")
    if path.is_dir() and not (path / MANIFEST).is_file() and any(p.name != LOCK for p in path.iterdir()):
        raise ConfigError(f"output folder {path} is not empty and holds no {MANIFEST}; choose another --out "
                          "(mpgan only resumes or replaces folders it wrote)")
    created = not path.exists()
    path.mkdir(parents=True, exist_ok=True)
    with _locked(path):  # the manifest is read under the lock: another process may be writing it
        try:
            manifest = _open_manifest(path, study, fresh)
        except ConfigError:
            if created:
                shutil.rmtree(path, ignore_errors=True)
            raise
        try:
            yield manifest
        except BaseException:
            if created and not any(r.get("status") == "done" for r in manifest.cells.values()):
                shutil.rmtree(path, ignore_errors=True)
            raise


# What a study or sweep writes into its folder besides the cells' run folders: ``--fresh``
# deletes these and nothing else.
OUTPUTS = (MANIFEST, "cells", "runs", "figures", "results.csv", "results.md", "summary.csv", "summary.md", "machine.json")


def _open_manifest(path: Path, study: str, fresh: bool) -> Manifest:
    manifest = Manifest.read(path)
    if manifest is not None and manifest.study != study and not fresh:
        raise ConfigError(f"output folder {path} holds cells of {manifest.study!r}, not {study!r}; choose another "
                          "--out, or pass --fresh to replace them")
    if fresh and manifest is not None:
        _clear(path, manifest)
        manifest = None
    if manifest is None:  # written at once: a run killed before its first cell ends can still resume
        manifest = Manifest(path, study)
        manifest.save()
    return manifest


def _clear(path: Path, manifest: Manifest) -> None:
    """Delete what the cells in ``manifest`` and the study wrote inside ``path``; keep anything else."""
    root = path.resolve()
    run_dirs = {Path(r["run_dir"]).resolve() for r in manifest.cells.values() if r.get("run_dir")}
    targets = [path / name for name in OUTPUTS] + [d for d in run_dirs if d.is_relative_to(root)]
    for p in targets:
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()


@contextmanager
def _locked(path: Path):
    fd = os.open(path / LOCK, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigError(f"another mpgan process is running cells in {path}; wait for it or use another "
                              "--out") from None
        yield
    finally:
        os.close(fd)
