"""TensorBoard logging: per-step and per-epoch scalars, and the sample grid as an image."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf

from ..io import atomic_save
from .callbacks import Callback, Trainer


def trim_events(folder: Path, last_step: int) -> None:
    """Drop events after ``last_step`` from the event files in ``folder``.

    A run killed after its last checkpoint logged steps that the resume trains again;
    without this TensorBoard would draw that stretch twice. A record cut short by the
    kill ends the file's readable part.
    """
    for path in sorted(folder.glob("*tfevents*")):
        kept, dropped = [], False
        try:
            for record in tf.data.TFRecordDataset(str(path)):
                raw = record.numpy()
                if tf.compat.v1.Event.FromString(raw).step <= last_step:
                    kept.append(raw)
                else:
                    dropped = True
        except tf.errors.DataLossError:
            dropped = True
        if dropped:
            atomic_save(path, lambda p, kept=kept: _write_records(p, kept))


def _write_records(path: Path, records: list[bytes]) -> None:
    with tf.io.TFRecordWriter(str(path)) as writer:
        for raw in records:
            writer.write(raw)


class TensorBoard(Callback):
    """Writes ``RUN/tensorboard/``: every history column per step (``step/...``), the
    epoch means and callback metrics (``epoch/...``), and a sample grid image whenever
    the trainer saves one."""

    def __init__(self, subdir: str = "tensorboard"):
        self.subdir = subdir
        self.writer = None

    def on_train_begin(self, trainer: Trainer) -> None:
        folder = trainer.run_dir / self.subdir
        if trainer.resumed and folder.is_dir():  # continuing from a checkpoint: each step is shown once
            trim_events(folder, int(trainer.step.numpy()))
        self.writer = tf.summary.create_file_writer(str(folder))

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, Any]) -> None:
        if self.writer is None:
            return
        hist = trainer.last_epoch_history
        with self.writer.as_default():
            if hist is not None:
                for col in trainer.metric_names:
                    for step, value in zip(hist["step"].to_numpy(), hist[col].to_numpy(), strict=True):
                        tf.summary.scalar(f"step/{col}", float(value), step=int(step))
            for key, value in logs.items():
                if isinstance(value, (int, float, np.floating, np.integer)) and key not in ("epoch", "step"):
                    tf.summary.scalar(f"epoch/{key}", float(value), step=int(logs["step"]))
            t = trainer.train_config
            due = epoch == trainer.total_epochs or (t.sample_every and epoch % t.sample_every == 0)
            if due:
                from ..modalities import modality_of

                image = modality_of(trainer.dataset).tensorboard_image(
                    trainer.dataset, trainer.generate(trainer.fixed_latents[:64]))
                if image is not None:
                    tf.summary.image("samples", image, step=int(logs["step"]))
        self.writer.flush()

    def on_train_end(self, trainer: Trainer) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
