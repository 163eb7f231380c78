"""Checkpoint and resume: the whole trainer state in one ``tf.train.Checkpoint``.

What is saved: the generator (and its EMA copy), every discriminator, every phase's
optimizers, the step / epoch / phase counters, the seeded random generator, the state
of the step's parts (ADA's probability, lazy-regularization values, LeCam averages),
and Keras' per-layer seed states, which ``tf.train.Checkpoint`` does not track by
itself. Plain ``.weights.h5`` files are exported beside each checkpoint for Keras users.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import MpganError
from ..io import atomic_save
from ..lazy import lazy_module

tf = lazy_module("tensorflow")


def untracked_state(models: Sequence[Any]) -> list[Any]:
    """Model variables that are not weights (random-seed states), as plain tf.Variables."""
    out = []
    for model in models:
        weight_ids = {id(w) for w in model.weights}
        out += [getattr(v, "value", v) for v in model.variables if id(v) not in weight_ids]
    return out


class TrainerState:
    """The objects a checkpoint holds, by name, and the manager that writes them."""

    def __init__(self, tracked: dict[str, Any], keep: int):
        self.tracked = tracked
        self.checkpoint = tf.train.Checkpoint(**tracked)
        self.keep = keep
        self._manager = None
        self._folder: Path | None = None

    def attach(self, folder: Path) -> None:
        """Write checkpoints under ``folder`` (``RUN/checkpoints``)."""
        if self._folder != folder:
            self._folder, self._manager = folder, None

    @property
    def manager(self):
        if self._folder is None:
            raise MpganError("this trainer has no run directory; pass run_dir to save checkpoints")
        if self._manager is None:
            self._manager = tf.train.CheckpointManager(self.checkpoint, str(self._folder),
                                                       max_to_keep=self.keep, checkpoint_name="ckpt")
        return self._manager

    @property
    def latest(self) -> str | None:
        return self.manager.latest_checkpoint if self._folder is not None else None

    def save(self, step: int, exports: dict[Path, Any]) -> str:
        """Save a checkpoint numbered ``step``, then each model's ``.weights.h5`` atomically."""
        path = self.manager.save(checkpoint_number=step)
        for target, model in exports.items():
            atomic_save(target, model.save_weights, suffix=".weights.h5")
        return path

    def restore(self, path: str | None = None) -> bool:
        """Restore ``path`` or the latest checkpoint; False when there is none."""
        path = path or self.latest
        if not path:
            return False
        self.checkpoint.read(path).assert_existing_objects_matched().expect_partial()
        return True


__all__ = ["TrainerState", "untracked_state"]
