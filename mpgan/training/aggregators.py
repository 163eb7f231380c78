"""Aggregators: how the generator combines its losses against several discriminators.

Each is an :class:`Aggregator` subclass registered in ``AGGREGATORS`` under its config
name (``train.aggregate``); its constructor takes ``train.aggregate_params`` and checks
them without TensorFlow, so ``mpgan list aggregators`` and config validation stay light:
the config calls ``AGGREGATORS.get(name).check(params)``. A fork adds one::

    @AGGREGATORS.register("worst")
    class Worst(Aggregator):
        \"\"\"The largest loss: train against the hardest discriminator only.\"\"\"

        def __call__(self, losses: Sequence[Any]) -> Any:
            return tf.reduce_max(tf.stack(losses))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from ..errors import ConfigError, UnknownNameError
from ..lazy import lazy_module
from ..registry import AGGREGATORS

tf = lazy_module("tensorflow")  # registered by name without loading TensorFlow

WHERE = "train.aggregate_params"


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{WHERE}.{name} must be a number, got {value!r}")
    return float(value)


class Aggregator:
    """Base: ``aggregator(losses) -> loss``. ``params`` names what the config may set;
    the constructor refuses bad values (a ConfigError naming the key)."""

    name: ClassVar[str] = "aggregator"  # its registered name, for errors
    params: ClassVar[tuple[str, ...]] = ()

    def __call__(self, losses: Sequence[Any]) -> Any:
        raise NotImplementedError

    @classmethod
    def check(cls, params: Mapping[str, Any]) -> None:
        """Refuse params this aggregator does not take, or bad values, before TensorFlow
        loads: what config validation calls (``AGGREGATORS.get(name).check(params)``)."""
        cls.from_params(params)

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Aggregator:
        """The aggregator for ``train.aggregate_params`` (unknown keys are a ConfigError)."""
        extra = set(params) - set(cls.params)
        if extra:
            raise ConfigError(f"{WHERE} for {cls.name} take {sorted(cls.params) or 'nothing'}, got {sorted(params)}")
        return cls(**params)


@AGGREGATORS.register("mean")
class Mean(Aggregator):
    """The mean of the losses (the default)."""

    name = "mean"

    def __call__(self, losses: Sequence[Any]) -> Any:
        return tf.add_n(list(losses)) / len(losses)


@AGGREGATORS.register("gman")
class GMAN(Aggregator):
    """GMAN's softmax weights (Durugkar et al. 2016): temperature 0 is the mean, large the max."""

    name = "gman"
    params = ("temperature",)

    def __init__(self, temperature: float = 1.0):
        self.temperature = _number("temperature", temperature)

    def __call__(self, losses: Sequence[Any]) -> Any:
        stacked = tf.stack(losses)
        return tf.reduce_sum(tf.stop_gradient(tf.nn.softmax(self.temperature * stacked)) * stacked)


@AGGREGATORS.register("hypervolume")
class Hypervolume(Aggregator):
    """Hypervolume maximisation (Albuquerque et al. 2019): -sum log(eta - l_k), eta = delta max l (delta > 1)."""

    name = "hypervolume"
    params = ("delta",)

    def __init__(self, delta: float = 1.5):
        self.delta = _number("delta", delta)
        if not self.delta > 1:
            raise ConfigError(f"{WHERE}.delta must be > 1, got {delta}")

    def __call__(self, losses: Sequence[Any]) -> Any:
        stacked = tf.stack(losses)
        return -tf.reduce_sum(tf.math.log(tf.stop_gradient(self.delta * tf.reduce_max(stacked)) - stacked))


def build_aggregator(name: str, params: Mapping[str, Any]) -> Aggregator:
    """``train.aggregate`` and its params -> the registered Aggregator; errors name the key."""
    try:
        factory = AGGREGATORS.get(name)
    except UnknownNameError as exc:
        raise ConfigError(f"train.aggregate: {exc}") from None
    if not (isinstance(factory, type) and issubclass(factory, Aggregator)):
        raise ConfigError(f"train.aggregate '{name}' is registered as {factory!r}, not an Aggregator subclass")
    return factory.from_params(params)


__all__ = ["GMAN", "Aggregator", "Hypervolume", "Mean", "build_aggregator"]
