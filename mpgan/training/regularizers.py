"""Regularizers: terms added to a discriminator's (or the generator's) loss.

Each is built from the registry by a config entry::

    train:
      regularizers:
        - {name: r1, weight: 10, every: 16}     # lazy: every 16th step, weighted x16
        - {name: lecam, weight: 0.3}

A regularizer contributes to the real-side update (``real_loss``), the fake-side update
(``fake_loss``) or the generator's (``g_loss``); under the ``joint`` schedule the real
and fake sides share one update. Each trained discriminator has its own copy, so a
generator term is added to the generator's loss once per trained discriminator (after
the aggregator combines the objective's losses). ``every=k`` applies a term on every
k-th step only, multiplied by k (lazy regularization, Karras et al. 2020); the step logs
the last raw value of the discriminator's sides under the name, the generator's as
``g_NAME``. A fork adds one with a decorated factory::

    @REGULARIZERS.register("logit_l2")
    def logit_l2(weight=0.01, every=1):
        \"\"\"Penalise large real logits.\"\"\"
        return Regularizer.from_fn("logit_l2", weight, every,
                                   real=lambda u: tf.reduce_mean(tf.square(u.real_logits)))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import ConfigError, UnknownNameError
from ..lazy import lazy_module
from ..registry import REGULARIZERS

tf = lazy_module("tensorflow")


class Regularizer:
    """A term added to a loss inside the compiled step, every ``every`` steps, times ``weight``.
    Each method takes ``u``, the update in progress, and returns a scalar tensor.

    For ``real_loss`` / ``fake_loss``, ``u`` is the discriminator update (``step.DUpdate``):

    - ``real``, ``fake``: the batches D trains on (model space, augmented when augmentation
      is on), and ``real_labels`` / ``fake_labels`` (one-hot, or None when unconditional);
    - ``real_logits`` / ``fake_logits``: D's logits on them, once computed;
    - ``eps``: per-sample mixing weights in [0, 1) for interpolating real and fake;
    - ``discriminate(x, labels)``: D's logits on any batch, with gradients.

    For ``g_loss``, ``u`` is the generator update as this discriminator sees it
    (``step.GUpdate``): ``z``, ``generated`` (G(z)), ``fake`` (what D sees: augmented),
    ``fake_labels``, ``fake_logits`` and ``discriminate``; the term's gradient reaches the
    generator's weights. The step is traced with AutoGraph off: branch with ``tf.cond``."""

    def __init__(self, name: str, weight: float = 1.0, every: int = 1):
        where = f"train.regularizers ({name})"
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0:
            raise ConfigError(f"{where}: weight must be a number >= 0, got {weight!r}")
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ConfigError(f"{where}: every must be an integer >= 1, got {every!r}")
        self.name, self.weight, self.every = name, float(weight), int(every)
        self.last: dict[str, Any] = {}  # side -> tf.Variable with the last raw value (build())

    #: whether the step must draw per-sample mixing weights ``u.eps`` for this term
    needs_eps = False

    # -- what a subclass overrides -------------------------------------------------------
    def real_loss(self, u: Any) -> Any:
        return None

    def fake_loss(self, u: Any) -> Any:
        return None

    def g_loss(self, u: Any) -> Any:
        return None

    def observe(self, u: Any) -> None:
        """Called after each discriminator update (e.g. to update moving averages)."""

    def build(self) -> None:
        """Create state variables (under the trainer's strategy scope)."""
        self.last = {side: _state(f"{self.name}_{side}") for side in ("real", "fake", "g")}

    def state(self) -> dict[str, Any]:
        """Variables the checkpoint must hold."""
        return {f"last_{side}": v for side, v in self.last.items()}

    def has(self, side: str) -> bool:
        """Whether this term contributes to ``side`` ("real", "fake" or "g")."""
        method = f"{side}_loss"
        return method in self.__dict__ or getattr(type(self), method) is not getattr(Regularizer, method)

    def term(self, u: Any, side: str, step: Any) -> Any:
        """The weighted term of ``side`` for this step: every step, or (lazy) weight x every
        on steps divisible by ``every`` and nothing in between."""
        fn, last = getattr(self, f"{side}_loss"), self.last[side]
        if self.every == 1:
            value = tf.cast(fn(u), tf.float32)
            last.assign(value)
            return self.weight * value
        due = tf.equal(step % self.every, 0)
        value = tf.cond(due, lambda: tf.cast(fn(u), tf.float32), lambda: tf.zeros([]))
        last.assign(tf.where(due, value, last))
        return (self.weight * self.every) * value

    def value(self, sides: tuple[str, ...] = ("real", "fake")) -> Any:
        """The last raw value of those of ``sides`` it has, summed: what the history logs
        (the discriminator's sides under the name, the generator's as ``g_NAME``)."""
        return tf.add_n([tf.identity(self.last[side]) for side in sides if self.has(side)])

    # -- helpers -----------------------------------------------------------------------
    @classmethod
    def from_fn(cls, name: str, weight: float = 1.0, every: int = 1, *, real: Callable | None = None,
                fake: Callable | None = None, g: Callable | None = None) -> Regularizer:
        """A regularizer from plain functions of the update ``u``."""
        reg = cls(name, weight, every)
        if real is not None:
            reg.real_loss = real  # type: ignore[method-assign]
        if fake is not None:
            reg.fake_loss = fake  # type: ignore[method-assign]
        if g is not None:
            reg.g_loss = g  # type: ignore[method-assign]
        return reg


def _state(name: str, value: float = 0.0) -> Any:
    # MEAN aggregation: assigning in a replica context all-reduces (several devices).
    return tf.Variable(value, trainable=False, dtype=tf.float32, name=name,
                       aggregation=tf.VariableAggregation.MEAN)


def input_gradient_sq(u: Any, x: Any, labels: Any) -> Any:
    """Per-sample ``||grad_x D(x)||^2``, float32, shape ``(n,)``."""
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = tf.reduce_sum(tf.cast(u.discriminate(x, labels), tf.float32))
    grads = tf.cast(tape.gradient(out, x), tf.float32)
    return tf.reduce_sum(tf.square(tf.reshape(grads, [tf.shape(x)[0], -1])), axis=1)


class GradientNorm(Regularizer):
    """``0.5 * E||grad_x D(x)||^2`` on real (R1) or generated (R2) samples."""

    def __init__(self, name: str, weight: float, every: int, side: str):
        super().__init__(name, weight, every)
        self.side = side

    def has(self, side):
        return side == self.side

    def real_loss(self, u):
        return 0.5 * tf.reduce_mean(input_gradient_sq(u, u.real, u.real_labels)) if self.side == "real" else None

    def fake_loss(self, u):
        if self.side != "fake":
            return None
        return 0.5 * tf.reduce_mean(input_gradient_sq(u, tf.stop_gradient(u.fake), u.fake_labels))


class GradientPenalty(Regularizer):
    """WGAN-GP: ``E(||grad D(x_hat)|| - 1)^2`` at ``x_hat = eps real + (1 - eps) fake``."""

    needs_eps = True

    def fake_loss(self, u):
        n = tf.minimum(tf.shape(u.real)[0], tf.shape(u.fake)[0])
        real, fake = u.real[:n], tf.cast(tf.stop_gradient(u.fake[:n]), u.real.dtype)
        shape = tf.concat([[n], tf.ones([tf.rank(real) - 1], tf.int32)], 0)
        eps = tf.reshape(tf.cast(u.eps[:n], real.dtype), shape)
        labels = None if u.real_labels is None else u.real_labels[:n]
        norm = tf.sqrt(input_gradient_sq(u, eps * real + (1.0 - eps) * fake, labels) + 1e-12)
        return tf.reduce_mean(tf.square(norm - 1.0))


class LeCam(Regularizer):
    """LeCam (Tseng et al. 2021): ``E(D(x) - a_F)^2 + E(D(G(z)) - a_R)^2`` with ``a_R``,
    ``a_F`` exponential moving averages of D's logits on real and generated samples."""

    def __init__(self, name: str, weight: float, every: int, decay: float):
        super().__init__(name, weight, every)
        if not 0 <= decay < 1:
            raise ConfigError(f"train.regularizers ({name}): decay must be in [0, 1), got {decay!r}")
        self.decay = float(decay)

    def build(self):
        super().build()
        self.ema_real, self.ema_fake = _state("lecam_ema_real"), _state("lecam_ema_fake")

    def state(self):
        return {**super().state(), "ema_real": self.ema_real, "ema_fake": self.ema_fake}

    def real_loss(self, u):
        return tf.reduce_mean(tf.square(tf.cast(u.real_logits, tf.float32) - self.ema_fake))

    def fake_loss(self, u):
        return tf.reduce_mean(tf.square(tf.cast(u.fake_logits, tf.float32) - self.ema_real))

    def observe(self, u):
        for ema, logits in ((self.ema_real, u.real_logits), (self.ema_fake, u.fake_logits)):
            mean = tf.reduce_mean(tf.cast(tf.stop_gradient(logits), tf.float32))
            ema.assign(self.decay * ema + (1.0 - self.decay) * mean)


@REGULARIZERS.register("r1")
def r1(weight: float = 10.0, every: int = 1) -> Regularizer:
    """R1 penalty on real data, weight/2 E|grad D(x)|^2 (Mescheder et al. 2018); lazy with every > 1."""
    return GradientNorm("r1", weight, every, "real")


@REGULARIZERS.register("r2")
def r2(weight: float = 10.0, every: int = 1) -> Regularizer:
    """R2 penalty on generated data, weight/2 E|grad D(G(z))|^2 (Mescheder et al. 2018)."""
    return GradientNorm("r2", weight, every, "fake")


@REGULARIZERS.register("gradient_penalty")
def gradient_penalty(weight: float = 10.0, every: int = 1) -> Regularizer:
    """WGAN-GP two-sided penalty on real/fake interpolates (Gulrajani et al. 2017)."""
    return GradientPenalty("gradient_penalty", weight, every)


@REGULARIZERS.register("lecam")
def lecam(weight: float = 0.3, every: int = 1, decay: float = 0.99) -> Regularizer:
    """LeCam regularization toward moving averages of D's logits (Tseng et al. 2021)."""
    return LeCam("lecam", weight, every, decay)


def build_regularizers(entries: list[Any]) -> list[Regularizer]:
    """Config entries (names or ``{name, weight, every, params}``) -> Regularizer objects."""
    out = []
    for i, entry in enumerate(entries):
        where = f"train.regularizers[{i}]"
        if isinstance(entry, str):
            entry = {"name": entry}
        if not isinstance(entry, dict) or "name" not in entry:
            raise ConfigError(f"{where} must be a name or a mapping with a name, got {entry!r}")
        extra = set(entry) - {"name", "weight", "every", "params"}
        if extra:
            raise ConfigError(f"{where} has unknown keys {sorted(extra)}; use name, weight, every, params")
        kwargs = {k: entry[k] for k in ("weight", "every") if k in entry}
        w, k = kwargs.get("weight", 0), kwargs.get("every", 1)
        if isinstance(w, bool) or not isinstance(w, (int, float)) or w < 0:
            raise ConfigError(f"{where}.weight must be a number >= 0, got {w!r}")
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ConfigError(f"{where}.every must be an integer >= 1 (apply every k-th step), got {k!r}")
        try:
            reg = REGULARIZERS.build(entry["name"], **kwargs, **dict(entry.get("params") or {}))
        except UnknownNameError as exc:
            raise ConfigError(f"{where}.name: {exc}") from None
        if not isinstance(reg, Regularizer):
            raise ConfigError(f"{where}: regularizer '{entry['name']}' returned {type(reg).__name__}, "
                              "not a Regularizer")
        out.append(reg)
    names = [r.name for r in out]
    if len(set(names)) != len(names):
        raise ConfigError(f"train.regularizers names each term once; got {names}")
    return out


__all__ = ["GradientNorm", "GradientPenalty", "LeCam", "Regularizer", "build_regularizers",
           "input_gradient_sq"]
