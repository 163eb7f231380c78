"""MLP generator and discriminator for tables (flat vectors with a column layout).

The generator's output layer follows ``data_spec.columns``: one Dense block per
column, concatenated in column order, each block given the head its table column's kind
chose (``Column.kind``, one of :data:`mpgan.column_kinds.HEADS`): numeric blocks are
linear, categorical blocks come out as proper one-hot-like probability vectors (softmax
or Gumbel-softmax) instead of free numbers the data transformer would have to guess back
into categories. The model reads only the heads, never the column kinds themselves.

A *conditional* generator (``conditional=True``, for tables with a class target) takes
``latent_dim + K`` inputs: the noise, then a one-hot class (K = the target's width). The
hidden layers see both, and the target's output block *is* the input class, so the
discriminator, which sees whole rows, judges each row together with its class: a
conditional GAN in which the discriminator needs no extra input. The model carries
``condition_dim = K``; the trainer then draws the class part of each latent from the
data's class frequencies, and sampling can ask for given classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..column_kinds import HEADS
from ..data_spec import Column, DataSpec
from ..errors import ModelError
from ..lazy import lazy_module
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

keras = lazy_module("keras")
layers = lazy_module("keras.layers")
mlayers = lazy_module("mpgan.models.layers")  # Keras subclasses: import on first use

_KINDS = ("tabular", "toy")
_ACTIVATIONS = ("relu", "leaky_relu")
_CATEGORICAL = ("softmax", "gumbel")


def _columns(data_spec: DataSpec, n: int) -> tuple[Column, ...]:
    """The column layout, or one numeric block of all features when the spec has none."""
    if not data_spec.columns:
        return (Column("x", "numeric", n),)
    for col in data_spec.columns:
        if col.kind not in HEADS or col.width < 1:
            raise ModelError(
                f"column {col.name!r} has head {col.kind!r} and width {col.width}; "
                f"expected one of {', '.join(repr(h) for h in HEADS)} with width >= 1"
            )
    return tuple(data_spec.columns)


def _activation(name: str, factory: str) -> layers.Layer:
    if name == "relu":
        return layers.ReLU()
    if name == "leaky_relu":
        return layers.LeakyReLU(negative_slope=0.2)
    raise ModelError(f"{factory} activation must be one of {', '.join(_ACTIVATIONS)}, got {name!r}")


def _target_index(data_spec: DataSpec, columns: Sequence[Any], name: str) -> int:
    names = [c.name for c in columns]
    if data_spec.target is None or data_spec.target not in names:
        raise ModelError(f"{name} conditional=true needs a table with a class target "
                         "(data.params.target); this dataset has none")
    return names.index(data_spec.target)


def _column_heads(x: Any, condition: Any, columns: Sequence[Any], target: int | None,
                  vr: tuple[float, float] | None, categorical: str, tau: float) -> Any:
    """The generator's output: every column's block from the hidden features ``x``.

    One Dense for every generated feature and one BlockSoftmax over the categorical
    blocks (instead of a head per column); the target block of a conditional
    generator is the input class itself."""
    generated = [c for i, c in enumerate(columns) if i != target]
    blocks, start = [], 0
    for col in generated:
        if col.kind == "categorical":
            blocks.append((start, col.width))
        start += col.width
    out = layers.Dense(start, name="features")(x)
    if blocks:
        out = mlayers.BlockSoftmax(blocks, tau=tau if categorical == "gumbel" else 1.0,
                                   gumbel=categorical == "gumbel", name="categories")(out)
    if vr is not None:  # numeric features in the value range; softmax blocks as they are
        numeric = bounded(out, vr, "features")
        is_cat = np.zeros(start, dtype=bool)
        for s, w in blocks:
            is_cat[s:s + w] = True
        out = keras.ops.where(is_cat, out, numeric) if blocks else numeric
    if target is None:
        return out
    offset = sum(c.width for c in columns[:target])
    parts = [out[:, :offset]] if offset else []
    parts.append(condition)
    if offset < start:
        parts.append(out[:, offset:])
    return layers.Concatenate(name="columns")(parts) if len(parts) > 1 else parts[0]


@GENERATORS.register("mlp_generator")
def mlp_generator(
    data_spec: DataSpec,
    latent_dim: int = 64,
    hidden: Sequence[int] = (128, 128),
    activation: str = "relu",
    batchnorm: bool = True,
    categorical: str = "softmax",
    tau: float = 0.2,
    conditional: bool = False,
) -> keras.Model:
    """Column-aware MLP generator for tables: Dense+BN+ReLU -> one block per column (softmax for categoricals).

    Numeric blocks are linear, or tanh (rescaled) when the spec has a value range;
    categorical blocks are a softmax, or a Gumbel-softmax with temperature ``tau``
    (``categorical: gumbel``). ``conditional: true`` conditions on the table's target
    class (see the module docstring). Also accepts 'toy' specs (a single numeric block).
    """
    name = "mlp_generator"
    require_kind(data_spec, _KINDS, name)
    n = require_vector(data_spec, name)
    latent_dim = positive_int(latent_dim, "latent_dim", name)
    hidden = positive_ints("hidden", hidden, name)
    vr = value_range(data_spec, name)
    columns = _columns(data_spec, n)
    _activation(activation, name)  # validate before building anything
    if categorical not in _CATEGORICAL:
        raise ModelError(f"{name} categorical must be one of {', '.join(_CATEGORICAL)}, got {categorical!r}")
    if not (isinstance(tau, int | float) and tau > 0):
        raise ModelError(f"{name} tau must be a positive number, got {tau!r}")
    target = _target_index(data_spec, columns, name) if conditional else None
    cond_dim = columns[target].width if target is not None else 0

    z = keras.Input((latent_dim + cond_dim,), name="z")
    x = z
    for units in hidden:
        x = layers.Dense(units, use_bias=not batchnorm)(x)
        if batchnorm:
            x = mlayers.BatchNormalization()(x)
        x = _activation(activation, name)(x)
    out = _column_heads(x, z[:, latent_dim:], columns, target, vr, categorical, tau)
    model = keras.Model(z, out, name="generator_mlp")
    model.condition_dim = cond_dim
    return model


@DISCRIMINATORS.register("mlp_discriminator")
def mlp_discriminator(
    data_spec: DataSpec,
    hidden: Sequence[int] = (128, 128),
    dropout: float = 0.2,
    pac: int = 1,
) -> keras.Model:
    """MLP discriminator for tables: Dense+LeakyReLU(0.2)+Dropout layers -> Dense(1) logit.

    ``pac > 1`` packs that many rows into one input (PacGAN) and gives one logit per
    pack; batches (and the MP-GAN half batches) must then be multiples of ``pac``.
    Also accepts 'toy' specs.
    """
    name = "mlp_discriminator"
    require_kind(data_spec, _KINDS, name)
    n = require_vector(data_spec, name)
    hidden = positive_ints("hidden", hidden, name)
    dropout = rate("dropout", dropout, name)
    pac = positive_int(pac, "pac", name)

    inp = keras.Input((n,), name="x")
    x = mlayers.Pack(pac, name="pack")(inp) if pac > 1 else inp
    for units in hidden:
        x = layers.Dense(units)(x)
        x = layers.LeakyReLU(negative_slope=0.2)(x)
        if dropout:
            x = layers.Dropout(dropout)(x)
    logit = layers.Dense(1, name="logit")(x)
    model = keras.Model(inp, logit, name="discriminator_mlp")
    model.pac = pac
    return model
