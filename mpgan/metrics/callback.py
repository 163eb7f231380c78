"""Metrics during training: every K epochs, score samples and add the numbers to the
epoch's logs, so they land in ``epochs.csv`` and TensorBoard (``epoch/metric.*``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..registry import RUN_CALLBACKS
from ..training.callbacks import Callback
from .evaluate import evaluate, flatten

if TYPE_CHECKING:
    from ..config import Config
    from .context import Run


class MetricsCallback(Callback):
    """Compute ``metrics`` on ``n`` samples every ``every`` epochs (and at the last epoch)."""

    def __init__(self, every: int, metrics: list[str] | None = None, n: int = 1000, seed: int = 0):
        self.every, self.metrics, self.n, self.seed = every, metrics, n, seed

    def on_epoch_end(self, trainer: Run, epoch: int, logs: dict[str, Any]) -> None:
        if epoch % self.every and epoch != trainer.total_epochs:
            return
        result = evaluate(trainer, n=self.n, metrics=self.metrics, seed=self.seed, plots=False,
                          ladder=False)
        for key, value in flatten(result).items():
            if key in ("step", "epoch", "seed", "run", "kind") or isinstance(value, (str, bool)) or value is None:
                continue
            if isinstance(value, (int, float, np.floating, np.integer)):
                logs[f"metric.{key}"] = float(value)


def metrics_callbacks(config: Config) -> list[Callback]:
    """The callbacks a config's ``eval`` section asks for (none when ``eval.every`` is 0)."""
    e = config.eval
    return [MetricsCallback(e.every, e.metrics or None, e.n, e.seed)] if e.every else []


RUN_CALLBACKS.append(metrics_callbacks)
