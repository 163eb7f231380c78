"""Callback interface: hooks the trainer calls at the start, after every epoch and
at the end. Metrics (computed every K epochs) and TensorBoard plug in here."""

from __future__ import annotations

import sys
from typing import Any

#: The trainer passed to callbacks (typed loosely: callbacks must not import the trainer).
Trainer = Any


class Callback:
    """Subclass and override what you need; ``logs`` is the epoch's summary row,
    and anything a callback adds to it lands in ``epochs.csv``."""

    def on_train_begin(self, trainer: Trainer) -> None: ...

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, Any]) -> None: ...

    def on_train_end(self, trainer: Trainer) -> None: ...


class ProgressBar(Callback):
    """A tqdm bar over steps on a terminal; silent when stderr is not a TTY."""

    def __init__(self, enabled: bool | None = None):
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.bar = None

    def on_train_begin(self, trainer: Trainer) -> None:
        if not self.enabled:
            return
        from tqdm.auto import tqdm

        total = trainer.total_epochs * trainer.steps_per_epoch
        self.bar = tqdm(total=total, initial=int(trainer.step.numpy()), unit="step",
                        desc=trainer.config.name, dynamic_ncols=True, leave=True)

    def update(self, n: int, logs: dict[str, float]) -> None:
        if self.bar is not None:
            self.bar.update(n)
            self.bar.set_postfix({k: f"{v:.3f}" for k, v in logs.items() if k in ("d_loss_real", "d_loss_fake", "g_loss")},
                                 refresh=False)

    def on_train_end(self, trainer: Trainer) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
