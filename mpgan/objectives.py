"""GAN objectives as small pure functions of discriminator logits.

An objective splits the discriminator loss into a real and a fake term (the MP-GAN
schedule updates on each separately) and gives the generator's loss on fake logits.
``objective(real_logits, fake_logits) -> (d_loss, g_loss)`` is the combined form.
Losses are means over the batch, computed in float32.

Two optional hooks serve objectives that need more than logits:

- ``regularizers``: ``(name, params)`` pairs of registered regularizers the objective
  comes with (WGAN-GP's gradient penalty); the trainer adds them to the config's own;
- ``needs_features``: ``g`` then also receives the discriminator's penultimate
  activations on a real and the fake batch (feature matching).

Weighted sums of objectives are built with ``combined``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from .errors import MpganError
from .lazy import lazy_module
from .registry import OBJECTIVES

tf = lazy_module("tensorflow")


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
    needs_features = False
    regularizers: ClassVar[tuple[tuple[str, dict[str, Any]], ...]] = ()

    def d_real(self, logits: tf.Tensor, smoothing: float = 0.0) -> tf.Tensor:
        raise NotImplementedError

    def d_fake(self, logits: tf.Tensor) -> tf.Tensor:
        raise NotImplementedError

    def g(self, fake_logits: tf.Tensor, real_features: tf.Tensor | None = None,
          fake_features: tf.Tensor | None = None) -> tf.Tensor:
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

    def g(self, fake_logits, real_features=None, fake_features=None):
        return bce_with_logits(fake_logits, 1.0)


@dataclass(frozen=True)
class Minimax(NonSaturating):
    """The original saturating loss: G minimises log(1 - D(G(z)))."""

    name: str = "minimax"

    def g(self, fake_logits, real_features=None, fake_features=None):
        # log(1 - sigmoid(l)) = -softplus(l)
        return -tf.reduce_mean(tf.nn.softplus(_f32(fake_logits)))


@dataclass(frozen=True)
class LeastSquares(Objective):
    name: str = "least_squares"

    def d_real(self, logits, smoothing=0.0):
        return 0.5 * tf.reduce_mean(tf.square(_f32(logits) - (1.0 - smoothing)))

    def d_fake(self, logits):
        return 0.5 * tf.reduce_mean(tf.square(_f32(logits)))

    def g(self, fake_logits, real_features=None, fake_features=None):
        return 0.5 * tf.reduce_mean(tf.square(_f32(fake_logits) - 1.0))


@dataclass(frozen=True)
class Hinge(Objective):
    name: str = "hinge"

    def d_real(self, logits, smoothing=0.0):
        return tf.reduce_mean(tf.nn.relu(1.0 - smoothing - _f32(logits)))

    def d_fake(self, logits):
        return tf.reduce_mean(tf.nn.relu(1.0 + _f32(logits)))

    def g(self, fake_logits, real_features=None, fake_features=None):
        return -tf.reduce_mean(_f32(fake_logits))


@dataclass(frozen=True)
class Wasserstein(Objective):
    """Critic scores real high and fake low (Arjovsky et al. 2017); needs a Lipschitz
    constraint: the gradient penalty (``wasserstein_gp``) or spectral normalization."""

    name: str = "wasserstein"

    def d_real(self, logits, smoothing=0.0):
        return -tf.reduce_mean(_f32(logits))

    def d_fake(self, logits):
        return tf.reduce_mean(_f32(logits))

    def g(self, fake_logits, real_features=None, fake_features=None):
        return -tf.reduce_mean(_f32(fake_logits))


@dataclass(frozen=True)
class WassersteinGP(Wasserstein):
    """Wasserstein critic plus the ``gradient_penalty`` regularizer (WGAN-GP)."""

    name: str = "wasserstein_gp"
    gp_weight: float = 10.0

    @property
    def regularizers(self):  # type: ignore[override]
        return (("gradient_penalty", {"weight": self.gp_weight}),)


@dataclass(frozen=True)
class FeatureMatching(Objective):
    """Generator-only term: squared distance between mean discriminator features of
    real and generated batches (Salimans et al. 2016). Adds nothing to D's loss."""

    name: str = "feature_matching"
    needs_features = True

    def d_real(self, logits, smoothing=0.0):
        return tf.constant(0.0)

    def d_fake(self, logits):
        return tf.constant(0.0)

    def g(self, fake_logits, real_features=None, fake_features=None):
        if real_features is None or fake_features is None:
            raise ValueError("feature_matching needs the discriminator's features")
        diff = tf.reduce_mean(_f32(real_features), 0) - tf.reduce_mean(_f32(fake_features), 0)
        return tf.reduce_mean(tf.square(diff))


@dataclass(frozen=True)
class Combined(Objective):
    """A weighted sum of objectives, term by term."""

    name: str = "combined"
    terms: tuple[tuple[Objective, float], ...] = ()

    @property
    def needs_features(self) -> bool:  # type: ignore[override]
        return any(t.needs_features for t, _ in self.terms)

    @property
    def regularizers(self):  # type: ignore[override]
        out = []
        for term, w in self.terms:
            out += [(name, {**p, "weight": p.get("weight", 1.0) * w}) for name, p in term.regularizers]
        return tuple(out)

    def d_real(self, logits, smoothing=0.0):
        return tf.add_n([w * t.d_real(logits, smoothing) for t, w in self.terms])

    def d_fake(self, logits):
        return tf.add_n([w * t.d_fake(logits) for t, w in self.terms])

    def g(self, fake_logits, real_features=None, fake_features=None):
        return tf.add_n([w * t.g(fake_logits, real_features, fake_features) for t, w in self.terms])


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


@OBJECTIVES.register("wasserstein")
def wasserstein() -> Objective:
    """Wasserstein critic loss (Arjovsky et al. 2017); pair it with a Lipschitz constraint."""
    return Wasserstein()


@OBJECTIVES.register("wasserstein_gp")
def wasserstein_gp(gp_weight: float = 10.0) -> Objective:
    """Wasserstein critic with the gradient_penalty regularizer (Gulrajani et al. 2017); use n_critic 5."""
    if gp_weight < 0:
        raise MpganError(f"wasserstein_gp: gp_weight must be >= 0, got {gp_weight}")
    return WassersteinGP(gp_weight=float(gp_weight))


@OBJECTIVES.register("feature_matching")
def feature_matching() -> Objective:
    """Generator term matching mean discriminator features (combine it with an adversarial loss)."""
    return FeatureMatching()


@OBJECTIVES.register("combined")
def combined(terms: list[dict[str, Any]]) -> Objective:
    """Weighted sum of objectives, e.g. terms: [{name: non_saturating}, {name: feature_matching, weight: 0.1}]."""
    if not isinstance(terms, (list, tuple)) or not terms:
        raise MpganError("objective 'combined' needs params.terms: a non-empty list of {name, weight, params}")
    built = []
    for i, term in enumerate(terms):
        if isinstance(term, str):
            term = {"name": term}
        if not isinstance(term, dict) or "name" not in term:
            raise MpganError(f"objective 'combined': terms[{i}] must be a mapping with a name, got {term!r}")
        extra = set(term) - {"name", "weight", "params"}
        if extra:
            raise MpganError(f"objective 'combined': terms[{i}] has unknown keys {sorted(extra)}; "
                             "use name, weight, params")
        if term["name"] == "combined":
            raise MpganError("objective 'combined' cannot nest another 'combined'")
        weight = term.get("weight", 1.0)
        if not isinstance(weight, (int, float)) or isinstance(weight, bool):
            raise MpganError(f"objective 'combined': terms[{i}].weight must be a number, got {weight!r}")
        built.append((OBJECTIVES.build(term["name"], **term.get("params", {})), float(weight)))
    return Combined(terms=tuple(built))
