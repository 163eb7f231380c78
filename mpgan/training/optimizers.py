"""Optimizer construction from config: sgd, adam, rmsprop, adamw, with an optional
learning-rate schedule (exponential decay, as MP-GAN uses)."""

from __future__ import annotations

from typing import Any

import keras

from ..config import OptimizerConfig
from ..errors import ConfigError

OPTIMIZERS: dict[str, type] = {
    "sgd": keras.optimizers.SGD,
    "adam": keras.optimizers.Adam,
    "rmsprop": keras.optimizers.RMSprop,
    "adamw": keras.optimizers.AdamW,
}

LR_SCHEDULES = {
    "exponential": keras.optimizers.schedules.ExponentialDecay,
    "cosine": keras.optimizers.schedules.CosineDecay,
}


def _schedule(lr: float, spec: Any, where: str) -> Any:
    if not isinstance(spec, dict) or "name" not in spec:
        raise ConfigError(f"{where}.schedule must be a mapping with a name ({', '.join(LR_SCHEDULES)})")
    spec = dict(spec)
    name = spec.pop("name")
    if name not in LR_SCHEDULES:
        raise ConfigError(f"{where}.schedule.name must be one of {', '.join(LR_SCHEDULES)}, got {name!r}")
    try:
        if name == "exponential":
            return LR_SCHEDULES[name](initial_learning_rate=lr, **spec)
        return LR_SCHEDULES[name](initial_learning_rate=lr, **spec)
    except TypeError as exc:
        raise ConfigError(f"{where}.schedule: {exc}") from None


def build_optimizer(cfg: OptimizerConfig, where: str = "optimizer") -> keras.optimizers.Optimizer:
    """A fresh Keras optimizer for ``cfg``; unknown names or arguments are a ConfigError."""
    name = cfg.name.lower()
    if name not in OPTIMIZERS:
        raise ConfigError(f"{where}.name must be one of {', '.join(OPTIMIZERS)}, got {cfg.name!r}")
    params = dict(cfg.params)
    if name in ("adam", "adamw"):
        params.setdefault("beta_1", 0.5)  # the DCGAN / MP-GAN setting, not Keras' 0.9
    lr: Any = cfg.learning_rate
    if "schedule" in params:
        lr = _schedule(cfg.learning_rate, params.pop("schedule"), where)
    try:
        return OPTIMIZERS[name](learning_rate=lr, **params)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: bad arguments for {name}: {exc}") from None
