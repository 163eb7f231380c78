"""MLP generator and discriminator for tables (flat vectors with a column layout).

The generator's output layer follows ``data_spec.columns``: one Dense block per
column, concatenated in column order, so categorical columns come out as proper
one-hot-like probability vectors (softmax) instead of free numbers the data
transformer would have to guess back into categories.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers

from ..data_spec import Column, DataSpec
from ..errors import ModelError
from ..registry import DISCRIMINATORS, GENERATORS
from ._checks import (
    bounded,
    positive_int,
    positive_ints,
    rate,
    require_kind,
    require_vector,
    value_range,
)
from .layers import BatchNormalization

_KINDS = ("tabular", "toy")
_ACTIVATIONS = ("relu", "leaky_relu")


def _columns(data_spec: DataSpec, n: int) -> tuple[Column, ...]:
    """The column layout, or one numeric block of all features when the spec has none."""
    if not data_spec.columns:
        return (Column("x", "numeric", n),)
    for col in data_spec.columns:
        if col.kind not in ("numeric", "categorical") or col.width < 1:
            raise ModelError(
                f"column {col.name!r} has kind {col.kind!r} and width {col.width}; "
                "expected 'numeric' or 'categorical' with width >= 1"
            )
    return tuple(data_spec.columns)


def _activation(name: str, factory: str) -> layers.Layer:
    if name == "relu":
        return layers.ReLU()
    if name == "leaky_relu":
        return layers.LeakyReLU(negative_slope=0.2)
    raise ModelError(f"{factory} activation must be one of {', '.join(_ACTIVATIONS)}, got {name!r}")


@GENERATORS.register("mlp_generator")
def mlp_generator(
    data_spec: DataSpec,
    latent_dim: int = 64,
    hidden: Sequence[int] = (128, 128),
    activation: str = "relu",
    batchnorm: bool = True,
) -> keras.Model:
    """Column-aware MLP generator for tables: Dense+BN+ReLU -> one block per column (softmax for categoricals).

    Numeric blocks are linear, or tanh (rescaled) when the spec has a value
    range; categorical blocks are a softmax over the column's categories.
    Also accepts 'toy' specs (a single numeric block).
    """
    name = "mlp_generator"
    require_kind(data_spec, _KINDS, name)
    n = require_vector(data_spec, name)
    latent_dim = positive_int("latent_dim", latent_dim, name)
    hidden = positive_ints("hidden", hidden, name)
    vr = value_range(data_spec, name)
    columns = _columns(data_spec, n)
    _activation(activation, name)  # validate before building anything

    z = keras.Input((latent_dim,), name="z")
    x = z
    for units in hidden:
        x = layers.Dense(units, use_bias=not batchnorm)(x)
        if batchnorm:
            x = BatchNormalization()(x)
        x = _activation(activation, name)(x)
    blocks = []
    for i, col in enumerate(columns):
        block = f"col{i}_{col.kind}"
        if col.kind == "categorical":
            blocks.append(layers.Dense(col.width, activation="softmax", name=block)(x))
        else:
            blocks.append(bounded(layers.Dense(col.width, name=block)(x), vr, block))
    out = blocks[0] if len(blocks) == 1 else layers.Concatenate(name="columns")(blocks)
    return keras.Model(z, out, name="generator_mlp")


@DISCRIMINATORS.register("mlp_discriminator")
def mlp_discriminator(
    data_spec: DataSpec,
    hidden: Sequence[int] = (128, 128),
    dropout: float = 0.2,
) -> keras.Model:
    """MLP discriminator for tables: Dense+LeakyReLU(0.2)+Dropout layers -> Dense(1) logit.

    Also accepts 'toy' specs.
    """
    name = "mlp_discriminator"
    require_kind(data_spec, _KINDS, name)
    n = require_vector(data_spec, name)
    hidden = positive_ints("hidden", hidden, name)
    dropout = rate("dropout", dropout, name)

    inp = keras.Input((n,), name="x")
    x = inp
    for units in hidden:
        x = layers.Dense(units)(x)
        x = layers.LeakyReLU(negative_slope=0.2)(x)
        if dropout:
            x = layers.Dropout(dropout)(x)
    logit = layers.Dense(1, name="logit")(x)
    return keras.Model(inp, logit, name="discriminator_mlp")
