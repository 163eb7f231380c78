"""GAN objectives as small pure functions of discriminator logits.

An objective splits the discriminator loss into a real and a fake term (the MP-GAN
schedule updates on each separately) and gives the generator's loss on fake logits.
``objective(real_logits, fake_logits) -> (d_loss, g_loss)`` is the combined form.
Losses are means over the batch, computed in float32.
"""

from __future__ import annotations

from dataclasses import dataclass

import tensorflow as tf

from .registry import OBJECTIVES


def _f32(x: tf.Tensor) -> tf.Tensor:
    return tf.cast(x, tf.float32)


def bce_with_logits(logits: tf.Tensor, target: float) -> tf.Tensor:
    """Mean binary cross-entropy of sigmoid(logits) against a constant target."""
    logits = _f32(logits)
    labels = tf.fill(tf.shape(logits), tf.constant(target, tf.float32))
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))


@dataclass(frozen=True)
class Objective:
    """Base: subclasses define the three terms."""

    name: str = "objective"

    def d_real(self, logits: tf.Tensor, smoothing: float = 0.0) -> tf.Tensor:
        raise NotImplementedError

    def d_fake(self, logits: tf.Tensor) -> tf.Tensor:
        raise NotImplementedError

    def g(self, fake_logits: tf.Tensor) -> tf.Tensor:
        raise NotImplementedError

    def __call__(self, real_logits: tf.Tensor, fake_logits: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        return self.d_real(real_logits) + self.d_fake(fake_logits), self.g(fake_logits)


@dataclass(frozen=True)
class NonSaturating(Objective):
    name: str = "non_saturating"

    def d_real(self, logits, smoothing=0.0):
        return bce_with_logits(logits, 1.0 - smoothing)

    def d_fake(self, logits):
        return bce_with_logits(logits, 0.0)

    def g(self, fake_logits):
        return bce_with_logits(fake_logits, 1.0)


@dataclass(frozen=True)
class Minimax(NonSaturating):
    """The original saturating loss: G minimises log(1 - D(G(z)))."""

    name: str = "minimax"

    def g(self, fake_logits):
        # log(1 - sigmoid(l)) = -softplus(l)
        return -tf.reduce_mean(tf.nn.softplus(_f32(fake_logits)))


@dataclass(frozen=True)
class LeastSquares(Objective):
    name: str = "least_squares"

    def d_real(self, logits, smoothing=0.0):
        return 0.5 * tf.reduce_mean(tf.square(_f32(logits) - (1.0 - smoothing)))

    def d_fake(self, logits):
        return 0.5 * tf.reduce_mean(tf.square(_f32(logits)))

    def g(self, fake_logits):
        return 0.5 * tf.reduce_mean(tf.square(_f32(fake_logits) - 1.0))


@dataclass(frozen=True)
class Hinge(Objective):
    name: str = "hinge"

    def d_real(self, logits, smoothing=0.0):
        return tf.reduce_mean(tf.nn.relu(1.0 - smoothing - _f32(logits)))

    def d_fake(self, logits):
        return tf.reduce_mean(tf.nn.relu(1.0 + _f32(logits)))

    def g(self, fake_logits):
        return -tf.reduce_mean(_f32(fake_logits))


@OBJECTIVES.register("non_saturating")
def non_saturating() -> Objective:
    """Non-saturating BCE on logits (Goodfellow et al. 2014, the MP-GAN default)."""
    return NonSaturating()


@OBJECTIVES.register("minimax")
def minimax() -> Objective:
    """Saturating minimax BCE: the generator minimises log(1 - D(G(z)))."""
    return Minimax()


@OBJECTIVES.register("least_squares")
def least_squares() -> Objective:
    """Least-squares GAN (Mao et al. 2017) with targets 1 (real) and 0 (fake)."""
    return LeastSquares()


@OBJECTIVES.register("hinge")
def hinge() -> Objective:
    """Hinge loss (Lim & Ye 2017; Miyato et al. 2018)."""
    return Hinge()


def build_objective(name: str, **params) -> Objective:
    return OBJECTIVES.build(name, **params)
