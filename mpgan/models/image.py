"""Convolutional generators and discriminators for images of any size.

The ``mpgan_*`` pair reproduces the MP-GAN reference networks layer for layer
(at 28x28x1 with latent_dim=100: 1,183,872 and 40,705 parameters). The ``dcgan_*``
pair is a size-general DCGAN family with width/depth knobs.

Generators upsample by powers of two from ``ceil(H / 2**k) x ceil(W / 2**k)`` and
centre-crop the overshoot (``Cropping2D``, no parameters), so every H x W is
reachable exactly; the output is ``tanh`` (rescaled when the spec's value range
is not (-1, 1)). Discriminators return one linear logit per sample.
"""

from __future__ import annotations

import math

from ..data_spec import DataSpec
from ..errors import ModelError
from ..lazy import lazy_module
from ..registry import DISCRIMINATORS, GENERATORS
from ._checks import (
    CONDITIONAL_D,
    center_crop,
    concat_labels,
    conditional_logit,
    num_classes_for,
    positive_int,
    rate,
    require_image,
    rescale_from_tanh,
    value_range,
)

keras = lazy_module("keras")
layers = lazy_module("keras.layers")
mlayers = lazy_module("mpgan.models.layers")  # Keras subclasses: import on first use

_NORMS = ("none", "batch", "layer")


@GENERATORS.register("mpgan_generator")
def mpgan_generator(data_spec: DataSpec, latent_dim: int = 100, filters: int = 128,
                    conditional: bool = False) -> keras.Model:
    """MP-GAN reference generator: Dense -> 7x7x128 -> two 4x4 stride-2 deconvs -> 7x7 tanh conv.

    Kept layer for layer (including the reference's BN/LeakyReLU order, which
    differs between the two deconv blocks) so results compare with MP-GAN.
    ``filters`` is the channel count throughout (reference: 128). ``conditional``: the
    input is the noise joined to a one-hot class (see :func:`_generator_input`).
    """
    name = "mpgan_generator"
    h, w, c = require_image(data_spec, name)
    latent_dim = positive_int(latent_dim, "latent_dim", name)
    filters = positive_int(filters, "filters", name)
    vr = value_range(data_spec, name)
    h0, w0 = math.ceil(h / 4), math.ceil(w / 4)

    z, k = _generator_input(data_spec, latent_dim, conditional, name)
    x = layers.Dense(h0 * w0 * filters, use_bias=False)(z)
    x = mlayers.BatchNormalization()(x)
    x = layers.Reshape((h0, w0, filters))(x)
    x = layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False)(x)
    x = layers.LeakyReLU(negative_slope=0.2)(x)
    x = mlayers.BatchNormalization()(x)
    x = layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False)(x)
    x = mlayers.BatchNormalization()(x)
    x = layers.LeakyReLU(negative_slope=0.2)(x)
    x = mlayers.Conv2D(c, 7, padding="same", use_bias=False, activation="tanh")(x)
    x = center_crop(x, h, w)
    x = rescale_from_tanh(x, vr)
    return _conditional(keras.Model(z, x, name="generator_mpgan"), k)


@DISCRIMINATORS.register("mpgan_discriminator")
def mpgan_discriminator(
    data_spec: DataSpec, filters: int = 64, dropout: float = 0.4, conditional: str | None = None
) -> keras.Model:
    """MP-GAN reference discriminator: two 3x3 stride-2 convs with dropout -> Dense(1) logit.

    The first conv is 'valid' and the second 'same' as in the reference
    (28x28 -> 13x13x64 -> 7x7x64); it needs images of at least 3x3. ``conditional``:
    'projection' or 'concat' (see :func:`_discriminator_inputs`).
    """
    name = "mpgan_discriminator"
    h, w, c = require_image(data_spec, name, min_size=3)
    filters = positive_int(filters, "filters", name)
    dropout = rate("dropout", dropout, name)

    inputs, x0, labels = _discriminator_inputs(data_spec, conditional, name)
    x = layers.Conv2D(filters, 3, strides=2, padding="valid")(x0)
    x = layers.LeakyReLU(negative_slope=0.2)(x)
    x = layers.Dropout(dropout)(x)
    x = layers.Conv2D(filters, 3, strides=2, padding="same")(x)
    x = layers.LeakyReLU(negative_slope=0.2)(x)
    x = layers.Dropout(dropout)(x)
    x = layers.Flatten()(x)
    return _discriminator(inputs, x, labels, conditional, "discriminator_mpgan")


def _check_depth(depth: int, h: int, w: int, factory: str) -> int:
    depth = positive_int(depth, "depth", factory)
    max_depth = int(math.floor(math.log2(min(h, w)))) if min(h, w) >= 2 else 0
    if depth > max_depth:
        raise ModelError(
            f"{factory} depth={depth} is too deep for {h}x{w} images: each level halves the "
            f"size, so depth may be at most {max_depth} (2**depth <= min(height, width))"
            if max_depth
            else f"{factory} needs images of at least 2x2 pixels, got {h}x{w}"
        )
    return depth


@GENERATORS.register("dcgan_generator")
def dcgan_generator(
    data_spec: DataSpec,
    latent_dim: int = 100,
    width: int = 64,
    depth: int = 2,
    kernel_size: int = 4,
    conditional: bool = False,
) -> keras.Model:
    """DCGAN generator of any size: Dense -> depth x (deconv+BN+ReLU, channels halving) -> tanh conv.

    ``width`` is the channel count at full resolution; the projection starts
    at ``ceil(H / 2**depth) x ceil(W / 2**depth)`` with ``width * 2**depth``
    channels and each stride-2 deconv halves the channels. ``conditional``: the input
    is the noise joined to a one-hot class.
    """
    name = "dcgan_generator"
    h, w, c = require_image(data_spec, name)
    latent_dim = positive_int(latent_dim, "latent_dim", name)
    width = positive_int(width, "width", name)
    kernel_size = positive_int(kernel_size, "kernel_size", name)
    depth = _check_depth(depth, h, w, name)
    vr = value_range(data_spec, name)
    h0, w0 = math.ceil(h / 2**depth), math.ceil(w / 2**depth)
    ch0 = width * 2**depth

    z, k = _generator_input(data_spec, latent_dim, conditional, name)
    x = layers.Dense(h0 * w0 * ch0, use_bias=False)(z)
    x = mlayers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.Reshape((h0, w0, ch0))(x)
    for level in range(depth):
        channels = width * 2 ** (depth - 1 - level)
        x = layers.Conv2DTranspose(
            channels, kernel_size, strides=2, padding="same", use_bias=False
        )(x)
        x = mlayers.BatchNormalization()(x)
        x = layers.ReLU()(x)
    x = mlayers.Conv2D(c, kernel_size, padding="same", activation="tanh")(x)
    x = center_crop(x, h, w)
    x = rescale_from_tanh(x, vr)
    return _conditional(keras.Model(z, x, name="generator_dcgan"), k)


@DISCRIMINATORS.register("dcgan_discriminator")
def dcgan_discriminator(
    data_spec: DataSpec,
    width: int = 64,
    depth: int = 2,
    dropout: float = 0.3,
    kernel_size: int = 4,
    norm: str = "none",
    conditional: str | None = None,
) -> keras.Model:
    """DCGAN discriminator of any size: depth x (stride-2 conv+LeakyReLU, channels doubling) -> logit.

    ``width`` is the channel count of the first (full-resolution) conv.
    ``norm`` ('none', 'batch' or 'layer') normalises every conv but the first;
    it defaults to 'none' because batch statistics interact badly with a
    gradient penalty and with separate real/fake half batches (dropout
    regularises instead, as in the MP-GAN reference). ``conditional``: 'projection'
    or 'concat'.
    """
    name = "dcgan_discriminator"
    h, w, c = require_image(data_spec, name)
    width = positive_int(width, "width", name)
    kernel_size = positive_int(kernel_size, "kernel_size", name)
    depth = _check_depth(depth, h, w, name)
    dropout = rate("dropout", dropout, name)
    if norm not in _NORMS:
        raise ModelError(f"{name} norm must be one of {', '.join(_NORMS)}, got {norm!r}")

    inputs, x, labels = _discriminator_inputs(data_spec, conditional, name)
    for level in range(depth):
        x = layers.Conv2D(
            width * 2**level, kernel_size, strides=2, padding="same", use_bias=norm == "none" or level == 0
        )(x)
        if level > 0 and norm == "batch":
            x = mlayers.BatchNormalization()(x)
        elif level > 0 and norm == "layer":
            x = layers.LayerNormalization(axis=(1, 2, 3))(x)
        x = layers.LeakyReLU(negative_slope=0.2)(x)
        if dropout:
            x = layers.Dropout(dropout)(x)
    x = layers.Flatten()(x)
    return _discriminator(inputs, x, labels, conditional, "discriminator_dcgan")


# --------------------------------------------------------------------------- conditional


def _generator_input(spec: DataSpec, latent_dim: int, conditional: bool, name: str) -> tuple:
    """The latent input, and the class count K when conditional: the input is then the
    noise joined to a one-hot class (width latent_dim + K), which the first Dense sees."""
    if not isinstance(conditional, bool):
        raise ModelError(f"{name} conditional must be true or false, got {conditional!r}")
    k = num_classes_for(spec, name, "conditional: true") if conditional else 0
    return keras.Input((latent_dim + k,), name="z"), k


def _conditional(model: keras.Model, k: int) -> keras.Model:
    if k:
        model.condition_dim = k  # the trainer draws the class part of each latent
    return model


def _discriminator_inputs(spec: DataSpec, conditional: str | None, name: str) -> tuple:
    """(model inputs, image tensor the body starts from, one-hot labels or None)."""
    x = keras.Input(spec.shape, name="x")
    if conditional is None:
        return x, x, None
    if conditional not in CONDITIONAL_D:
        raise ModelError(f"{name} conditional must be one of {', '.join(CONDITIONAL_D)} or null, "
                         f"got {conditional!r}")
    k = num_classes_for(spec, name, f"conditional: {conditional}")
    labels = keras.Input((k,), name="label")
    start = concat_labels(x, labels) if conditional == "concat" else x
    return [x, labels], start, labels


def _discriminator(inputs, h, labels, conditional: str | None, model_name: str) -> keras.Model:
    """The logit head (projection / concat / plain) and the model, marked conditional."""
    if conditional is None:
        return keras.Model(inputs, layers.Dense(1, name="logit")(h), name=model_name)
    model = keras.Model(inputs, conditional_logit(h, labels, conditional), name=model_name)
    model.condition_dim = int(labels.shape[-1])
    return model
