"""The run directory: its name, its manifest and its history files.

Layout::

    RUN/manifest.json       format version, mpgan version, data source, (DP budget, ...)
    RUN/config.yaml         resolved config
    RUN/data_spec.json      what one sample looks like, and where the data came from
    RUN/history.csv         one row per step (appended, never rewritten)
    RUN/epochs.csv          one row per epoch
    RUN/samples/            sample grids
    RUN/checkpoints/        trainer state and each checkpoint's file list (see state.py)
    RUN/generator.keras     the sampling generator (EMA when on) for Keras, and *.weights.h5
    RUN/tensorboard/        event files, trimmed to the checkpoint on resume

Studies and synthesizers name and read runs through this module too.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import MpganError
from ..io import atomic_save, atomic_write_text

#: Bumped when the layout changes in a way older code cannot read.
FORMAT_VERSION = 2


def next_run_dir(base: str | Path) -> Path:
    """``base`` if it is free, else ``base-2``, ``base-3``... (never reuse a run)."""
    base = Path(base)
    if not base.exists():
        return base
    i = 2
    while Path(f"{base}-{i}").exists():
        i += 1
    return Path(f"{base}-{i}")


class RunDirectory:
    """One run's folder: created once everything is built, removed again if the run
    fails before its first checkpoint."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.created = False

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    def check_format(self) -> None:
        """Refuse a run written by a newer mpgan (older runs, with no manifest, still load)."""
        manifest = self.read_manifest()
        version = int(manifest.get("format", 1))
        if version > FORMAT_VERSION:
            raise MpganError(f"run {self.path} has run-directory format {version}, newer than this mpgan "
                             f"reads ({FORMAT_VERSION}); upgrade mpgan to load it")

    def create(self, config_yaml: str, spec: dict[str, Any], manifest: dict[str, Any]) -> None:
        from ..version import __version__

        if not self.path.exists():
            self.created = True
        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / "samples").mkdir(exist_ok=True)
        atomic_write_text(self.path / "config.yaml", config_yaml)
        atomic_write_text(self.path / "data_spec.json", json.dumps(spec, indent=1))
        old = self.read_manifest()
        merged = {"format": FORMAT_VERSION, "mpgan": __version__,
                  "created": old.get("created", time.strftime("%Y-%m-%d %H:%M:%S")), **manifest}
        atomic_write_text(self.path / "manifest.json", json.dumps(merged, indent=1))

    def read_manifest(self) -> dict[str, Any]:
        try:
            return json.loads((self.path / "manifest.json").read_text())
        except (OSError, ValueError):
            return {}

    def private_statistics(self) -> dict[str, Any] | None:
        """A private table run's statistics (public or DP: ``mpgan.data.private``), saved so a
        resumed or reloaded run reuses them rather than spending ε again; None if not saved."""
        return self.read_manifest().get("private_statistics")

    def update_manifest(self, **fields: Any) -> None:
        atomic_write_text(self.path / "manifest.json", json.dumps({**self.read_manifest(), **fields}, indent=1))

    # -- history files -----------------------------------------------------------------
    def append_csv(self, name: str, df: pd.DataFrame) -> None:
        """Append rows; the file is rewritten only when new columns appear (e.g. a metric
        first computed at epoch 5), so a long run's cost stays linear."""
        path = self.path / name
        if path.exists():
            header = pd.read_csv(path, nrows=0).columns.tolist()
            if list(df.columns) == header:
                df.to_csv(path, mode="a", header=False, index=False)
                return
            if set(df.columns) <= set(header):
                df.reindex(columns=header).to_csv(path, mode="a", header=False, index=False)
                return
            df = pd.concat([pd.read_csv(path), df], ignore_index=True)
        atomic_save(path, lambda p: df.to_csv(p, index=False), suffix=".csv")

    def read_csv(self, name: str) -> pd.DataFrame | None:
        path = self.path / name
        return pd.read_csv(path) if path.exists() else None

    def truncate(self, step: int, epoch: int) -> None:
        """Drop history rows after the restored checkpoint (a run killed after it)."""
        for fname, key, last in (("history.csv", "step", step), ("epochs.csv", "epoch", epoch)):
            df = self.read_csv(fname)
            if df is not None:
                df = df[df[key].notna() & (df[key] <= last)]
                atomic_save(self.path / fname, lambda p, df=df: df.to_csv(p, index=False), suffix=".csv")

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


__all__ = ["FORMAT_VERSION", "RunDirectory", "next_run_dir"]
