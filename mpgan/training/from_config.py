"""Train one run from a config, quietly: what every cell of a study or sweep does."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def train_run(config: str | Path, overrides: Sequence[str], run_dir: Path, callbacks=()):
    """Train one run of a study (quietly: no progress bar, no TensorBoard; metrics as its ``eval``
    section asks) and return its trainer."""
    import tensorflow as tf

    from ..config import load_config
    from .trainer import Trainer

    tf.get_logger().setLevel("ERROR")  # each run's first trace is expected, not a retracing problem
    cfg = load_config(str(config), ["train.tensorboard=false", *overrides])
    trainer = Trainer.from_config(cfg, run_dir=run_dir, callbacks=list(callbacks),
                                  progress=False)
    trainer.fit()
    return trainer
