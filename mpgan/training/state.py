"""Checkpoint and resume: the whole trainer state in one ``tf.train.Checkpoint``.

What is saved: the generator (and its EMA copy), every discriminator, every phase's
optimizers, the step / epoch / phase counters, the seeded random generator, the state
of the step's parts (ADA's probability, lazy-regularization values, LeCam averages),
and Keras' per-layer seed states, which ``tf.train.Checkpoint`` does not track by
itself. Plain ``.weights.h5`` files are exported beside each checkpoint for Keras users.

Each checkpoint ``ckpt-N`` gets a ``ckpt-N.files.json`` listing its files' sizes and
SHA-256, written after it: a file cut short or changed by a crash, a full disk or a
copy is found before TensorFlow reads it, and restoring falls back to the newest intact
checkpoint. Checkpoints are found by listing ``ckpt-N.index`` files, not through
TensorFlow's ``checkpoint`` state file, which can itself be damaged or stale.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import MpganError
from ..io import atomic_save, atomic_write_text
from ..lazy import lazy_module

tf = lazy_module("tensorflow")

_INDEX = re.compile(r"^ckpt-(\d+)\.index$")
_SHARDS = re.compile(r"\.data-\d+-of-(\d+)$")


class DamagedCheckpointWarning(UserWarning):
    """A damaged checkpoint was skipped in favour of an older, intact one."""


def untracked_state(models: Sequence[Any]) -> list[Any]:
    """Model variables that are not weights (random-seed states), as plain tf.Variables."""
    out = []
    for model in models:
        weight_ids = {id(w) for w in model.weights}
        out += [getattr(v, "value", v) for v in model.variables if id(v) not in weight_ids]
    return out


def checkpoints_on_disk(folder: str | Path) -> list[tuple[int, str]]:
    """``(step, prefix)`` of every ``ckpt-N`` in ``folder``, newest first."""
    folder = Path(folder)
    found = [(int(m.group(1)), str(folder / f"ckpt-{m.group(1)}"))
             for m in (_INDEX.match(p.name) for p in folder.glob("ckpt-*.index")) if m]
    return sorted(found, reverse=True)


def checkpoint_files(prefix: str) -> list[Path]:
    """The files of the checkpoint ``prefix``: its ``.index`` and ``.data-*`` shards."""
    p = Path(prefix)
    return [p.with_name(p.name + ".index"), *sorted(p.parent.glob(p.name + ".data-*"))]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_file_list(prefix: str) -> None:
    """Record the checkpoint's files, sizes and SHA-256 in ``<prefix>.files.json``."""
    files = {f.name: {"bytes": f.stat().st_size, "sha256": _sha256(f)} for f in checkpoint_files(prefix)}
    atomic_write_text(prefix + ".files.json", json.dumps({"files": files}, indent=1))


def damage(prefix: str) -> str | None:
    """Why the checkpoint's files cannot be what was written (None: they look intact).

    With a file list, sizes and checksums are compared to it; without one (older runs,
    or a crash between the checkpoint and its list) only missing shards are found, and
    the read itself is the check.
    """
    try:
        listed = json.loads(Path(prefix + ".files.json").read_text())["files"]
    except (OSError, ValueError, KeyError, TypeError):
        listed = None
    if listed is None:
        shards = checkpoint_files(prefix)[1:]
        m = _SHARDS.search(shards[0].name) if shards else None
        if m is None or len(shards) != int(m.group(1)):
            return f"{Path(prefix).name}.data-* is missing"
        return None
    folder = Path(prefix).parent
    for name, want in listed.items():
        path = folder / name
        if not path.is_file():
            return f"{name} is missing"
        size = path.stat().st_size
        if size != want["bytes"]:
            return f"{name} has {size} bytes, {want['bytes']} were written"
        if _sha256(path) != want["sha256"]:
            return f"{name} differs from what was written (SHA-256)"
    return None


class TrainerState:
    """The objects a checkpoint holds, by name, and the manager that writes them."""

    def __init__(self, tracked: dict[str, Any], keep: int):
        self.tracked = tracked
        self.checkpoint = tf.train.Checkpoint(**tracked)
        self.keep = keep
        self._manager = None
        self._folder: Path | None = None
        self.skipped: list[str] = []  # damaged checkpoints newer than the one restored

    def attach(self, folder: Path) -> None:
        """Write checkpoints under ``folder`` (``RUN/checkpoints``)."""
        if self._folder != folder:
            self._folder, self._manager, self.skipped = folder, None, []

    @property
    def manager(self):
        if self._folder is None:
            raise MpganError("this trainer has no run directory; pass run_dir to save checkpoints")
        if self._manager is None:
            self._prepare_folder()
            self._manager = tf.train.CheckpointManager(self.checkpoint, str(self._folder),
                                                       max_to_keep=self.keep, checkpoint_name="ckpt")
        return self._manager

    def _prepare_folder(self) -> None:
        """Before the first save: drop the damaged checkpoints skipped at restore (training
        rewrites their steps) and rebuild TensorFlow's state file from the files on disk,
        so the manager keeps and deletes the right ones."""
        for prefix in self.skipped:
            for f in [*checkpoint_files(prefix), Path(prefix + ".files.json")]:
                f.unlink(missing_ok=True)
        self.skipped = []
        found = sorted(checkpoints_on_disk(self._folder))
        if not found:
            (self._folder / "checkpoint").unlink(missing_ok=True)
            return
        names = [Path(p).name for _, p in found]
        stamps = [os.path.getmtime(p + ".index") for _, p in found]
        lines = [f'model_checkpoint_path: "{names[-1]}"', *(f'all_model_checkpoint_paths: "{n}"' for n in names),
                 *(f"all_model_checkpoint_timestamps: {t!r}" for t in stamps),
                 f"last_preserved_timestamp: {min(stamps) - 1.0!r}"]
        atomic_write_text(self._folder / "checkpoint", "\n".join(lines) + "\n")

    @property
    def latest(self) -> str | None:
        """The newest checkpoint on disk (its prefix), intact or not; None when there is none."""
        found = checkpoints_on_disk(self._folder) if self._folder is not None else []
        return found[0][1] if found else None

    def save(self, step: int, exports: dict[Path, Any]) -> str:
        """Save a checkpoint numbered ``step`` and its file list, then each export atomically
        (``.weights.h5`` through ``save_weights``, ``.keras`` through ``save``)."""
        path = self.manager.save(checkpoint_number=step)
        write_file_list(path)
        for stale in Path(path).parent.glob("ckpt-*.files.json"):
            if not Path(str(stale)[:-len(".files.json")] + ".index").exists():
                stale.unlink(missing_ok=True)  # the manager deleted that checkpoint
        for target, model in exports.items():
            if target.name.endswith(".weights.h5"):
                atomic_save(target, model.save_weights, suffix=".weights.h5")
            else:
                atomic_save(target, model.save, suffix=".keras")
        return path

    def _read(self, path: str) -> str | None:
        """Restore ``path``; the reason it failed, or None."""
        reason = damage(path)
        if reason is not None:
            return reason
        try:
            self.checkpoint.read(path).assert_existing_objects_matched().expect_partial()
        except (tf.errors.OpError, IndexError, ValueError, KeyError, AssertionError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return f"could not be read: {first}"
        return None

    def restore(self, path: str | None = None) -> bool:
        """Restore ``path``, or the newest intact checkpoint on disk; False when there is none.

        Damaged checkpoints are skipped with a :class:`DamagedCheckpointWarning` naming them
        and the steps lost; when none is intact, an MpganError names each one's files.
        """
        candidates = [(-1, path)] if path else checkpoints_on_disk(self._folder) if self._folder else []
        failed: list[tuple[int, str, str]] = []
        for step, prefix in candidates:
            reason = self._read(prefix)
            if reason is None:
                break
            failed.append((step, prefix, reason))
        else:
            if failed:
                listed = "; ".join(f"{Path(p).name} ({r})" for _, p, r in failed)
                raise MpganError(f"no intact checkpoint in {Path(failed[0][1]).parent}: {listed}; "
                                 "the run cannot be loaded from these files")
            return False
        if failed:
            self.skipped = [p for _, p, _ in failed]
            names = ", ".join(f"{Path(p).name} ({r})" for _, p, r in failed)
            warnings.warn(f"damaged checkpoint skipped: {names}; using {Path(prefix).name} instead, "
                          f"{failed[0][0] - step} steps earlier", DamagedCheckpointWarning, stacklevel=2)
        return True


__all__ = ["DamagedCheckpointWarning", "TrainerState", "checkpoint_files", "checkpoints_on_disk", "damage",
           "untracked_state", "write_file_list"]
