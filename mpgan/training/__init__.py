"""Training: the compiled-step trainer, optimizers, callbacks."""

from .callbacks import Callback, ProgressBar
from .optimizers import build_optimizer
from .trainer import Trainer

__all__ = ["Callback", "ProgressBar", "Trainer", "build_optimizer"]
