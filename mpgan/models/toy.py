"""Small MLPs for 1-D toy distributions (Gaussian mixtures, Rayleigh vectors).

Sized after the seed articles: the discriminator is the aylien/"interestedintech"
one (three tanh hidden layers, the sigmoid left to the objective), the generator
a small ReLU MLP with a low-dimensional latent.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..data_spec import DataSpec
from ..errors import ModelError
from ..lazy import lazy_module
from ..registry import DISCRIMINATORS, GENERATORS
from ._checks import bounded, positive_int, positive_ints, require_kind, require_vector, value_range

keras = lazy_module("keras")
layers = lazy_module("keras.layers")
mlayers = lazy_module("mpgan.models.layers")  # Keras subclasses: import on first use


def _check_activation(activation: str, factory: str) -> str:
    try:
        keras.activations.get(activation)
    except (ValueError, TypeError):
        raise ModelError(
            f"{factory} activation {activation!r} is not a Keras activation "
            "(e.g. 'relu', 'tanh', 'softplus', 'leaky_relu')"
        ) from None
    return activation


@GENERATORS.register("toy_generator")
def toy_generator(
    data_spec: DataSpec,
    latent_dim: int = 5,
    hidden: Sequence[int] = (16, 16),
    activation: str = "relu",
) -> keras.Model:
    """Small MLP generator for 1-D toys: latent (default 5) -> Dense(16)x2 ReLU -> n linear outputs.

    Two hidden layers because the seed toy study found that dropping one slowed
    convergence several-fold; the output is linear (tanh rescaled when the spec
    has a value range).
    """
    name = "toy_generator"
    require_kind(data_spec, "toy", name)
    n = require_vector(data_spec, name)
    latent_dim = positive_int(latent_dim, "latent_dim", name)
    hidden = positive_ints("hidden", hidden, name)
    activation = _check_activation(activation, name)
    vr = value_range(data_spec, name)

    z = keras.Input((latent_dim,), name="z")
    x = z
    for units in hidden:
        x = layers.Dense(units, activation=activation)(x)
    out = bounded(layers.Dense(n, name="out")(x), vr, "out")
    return keras.Model(z, out, name="generator_toy")


@DISCRIMINATORS.register("toy_discriminator")
def toy_discriminator(
    data_spec: DataSpec,
    hidden: Sequence[int] = (16, 16, 16),
    activation: str = "tanh",
) -> keras.Model:
    """Small MLP discriminator for 1-D toys: three tanh hidden layers -> Dense(1) logit.

    The seed article's discriminator, minus its sigmoid (the objective applies it).
    ``hidden=[]`` gives logistic regression, seed 003's discriminator.
    """
    name = "toy_discriminator"
    require_kind(data_spec, "toy", name)
    n = require_vector(data_spec, name)
    hidden = positive_ints("hidden", hidden, name)  # empty: logistic regression (seed 003's)
    activation = _check_activation(activation, name)

    inp = keras.Input((n,), name="x")
    x = inp
    for units in hidden:
        x = layers.Dense(units, activation=activation)(x)
    logit = layers.Dense(1, name="logit")(x)
    return keras.Model(inp, logit, name="discriminator_toy")


@GENERATORS.register("iid_generator")
def iid_generator(
    data_spec: DataSpec,
    noise_per_feature: int = 1,
    hidden: Sequence[int] = (32, 32),
    activation: str = "relu",
    output: str = "linear",
) -> keras.Model:
    """Generator for vectors of i.i.d. values: one small MLP shared by every feature.

    Each of the n output features is ``f(z_i)`` with its own ``noise_per_feature``
    latent values, so the features come out independent and identically distributed,
    like the samples of the Rayleigh study (3600 vectors of 1000 i.i.d. draws). The
    latent size is ``n * noise_per_feature``. With n = 1 it is a plain MLP. ``output``:
    ``linear`` (default) or ``abs`` (non-negative values that can come arbitrarily close
    to 0, e.g. magnitudes).
    """
    name = "iid_generator"
    if output not in ("linear", "abs"):
        raise ModelError(f"{name} output must be 'linear' or 'abs', got {output!r}")
    require_kind(data_spec, "toy", name)
    n = require_vector(data_spec, name)
    k = positive_int(noise_per_feature, "noise_per_feature", name)
    hidden = positive_ints("hidden", hidden, name)
    activation = _check_activation(activation, name)
    vr = value_range(data_spec, name)

    z = keras.Input((n * k,), name="z")
    x = layers.Reshape((n, k))(z)
    for units in hidden:  # Dense on the last axis: the same weights for every feature
        x = layers.Dense(units, activation=activation)(x)
    x = layers.Reshape((n,))(layers.Dense(1)(x))
    if output == "abs":
        x = mlayers.Abs(name="abs")(x)
    out = bounded(x, vr, "out")
    return keras.Model(z, out, name="generator_iid")


@DISCRIMINATORS.register("set_discriminator")
def set_discriminator(
    data_spec: DataSpec,
    hidden: Sequence[int] = (32, 32),
    head: Sequence[int] = (32,),
    activation: str = "tanh",
) -> keras.Model:
    """Discriminator for vectors of i.i.d. values: a shared per-value MLP, averaged, then a head.

    Treats a sample's n features as a set (Deep Sets, Zaheer et al. 2017): the mean of
    learned functions of the values compares the sample's empirical distribution with
    the real one, which is what a vector of i.i.d. draws carries.
    """
    name = "set_discriminator"
    require_kind(data_spec, "toy", name)
    n = require_vector(data_spec, name)
    hidden = positive_ints("hidden", hidden, name)
    head = positive_ints("head", head, name)
    if not hidden:
        raise ModelError(f"{name} hidden must list at least one layer width, got {hidden!r}")
    activation = _check_activation(activation, name)

    inp = keras.Input((n,), name="x")
    x = layers.Reshape((n, 1))(inp)
    for units in hidden:
        x = layers.Dense(units, activation=activation)(x)
    x = layers.GlobalAveragePooling1D()(x)
    for units in head:
        x = layers.Dense(units, activation=activation)(x)
    logit = layers.Dense(1, name="logit")(x)
    return keras.Model(inp, logit, name="discriminator_set")
