"""Training: the compiled-step trainer, optimizers, callbacks.

``Trainer`` and ``build_optimizer`` load TensorFlow, so they are imported on first use:
``from mpgan.training import Callback`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import aggregators, augment, optimizers, regularizers, schedules  # noqa: F401  (register the step's parts; no TensorFlow yet)
from .callbacks import Callback, ProgressBar

if TYPE_CHECKING:
    from .optimizers import build_optimizer
    from .trainer import Trainer

_LAZY = {"Trainer": ".trainer", "build_optimizer": ".optimizers"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Callback", "ProgressBar", "Trainer", "build_optimizer"]
