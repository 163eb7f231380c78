"""Optimizer construction from config: sgd, adam, rmsprop, adamw, with an optional
learning-rate schedule (exponential decay, as MP-GAN uses)."""

from __future__ import annotations

from typing import Any

from ..config import OptimizerConfig
from ..errors import ConfigError, UnknownNameError
from ..lazy import lazy_module
from ..registry import OPTIMIZERS

keras = lazy_module("keras")  # registered by name without loading TensorFlow


@OPTIMIZERS.register("sgd")
def sgd(**kwargs: Any) -> Any:
    """Stochastic gradient descent (momentum, nesterov)."""
    return keras.optimizers.SGD(**kwargs)


@OPTIMIZERS.register("adam")
def adam(**kwargs: Any) -> Any:
    """Adam (beta_1 defaults to 0.5, the DCGAN / MP-GAN setting)."""
    return keras.optimizers.Adam(**kwargs)


@OPTIMIZERS.register("rmsprop")
def rmsprop(**kwargs: Any) -> Any:
    """RMSprop."""
    return keras.optimizers.RMSprop(**kwargs)


@OPTIMIZERS.register("adamw")
def adamw(**kwargs: Any) -> Any:
    """Adam with decoupled weight decay (beta_1 defaults to 0.5)."""
    return keras.optimizers.AdamW(**kwargs)


LR_SCHEDULES = ("exponential", "cosine")


def _schedule(lr: float, spec: Any, where: str) -> Any:
    if not isinstance(spec, dict) or "name" not in spec:
        raise ConfigError(f"{where}.schedule must be a mapping with a name ({', '.join(LR_SCHEDULES)})")
    spec = dict(spec)
    name = spec.pop("name")
    if name not in LR_SCHEDULES:
        raise ConfigError(f"{where}.schedule.name must be one of {', '.join(LR_SCHEDULES)}, got {name!r}")
    cls = {"exponential": keras.optimizers.schedules.ExponentialDecay,
           "cosine": keras.optimizers.schedules.CosineDecay}[name]
    try:
        return cls(initial_learning_rate=lr, **spec)
    except TypeError as exc:
        raise ConfigError(f"{where}.schedule: {exc}") from None


def build_optimizer(cfg: OptimizerConfig, where: str = "optimizer") -> Any:
    """A fresh Keras optimizer for ``cfg``; unknown names or arguments are a ConfigError."""
    name = cfg.name.lower()
    try:
        factory = OPTIMIZERS.get(name)
    except UnknownNameError as exc:
        raise ConfigError(f"{where}.name: {exc}") from None
    params = dict(cfg.params)
    if name in ("adam", "adamw"):
        params.setdefault("beta_1", 0.5)  # the DCGAN / MP-GAN setting, not Keras' 0.9
    lr: Any = cfg.learning_rate
    if "schedule" in params:
        lr = _schedule(cfg.learning_rate, params.pop("schedule"), where)
    try:
        return factory(learning_rate=lr, **params)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: bad arguments for {name}: {exc}") from None
