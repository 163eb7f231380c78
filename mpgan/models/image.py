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
    center_crop,
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
def mpgan_generator(data_spec: DataSpec, latent_dim: int = 100, filters: int = 128) -> keras.Model:
    """MP-GAN reference generator: Dense -> 7x7x128 -> two 4x4 stride-2 deconvs -> 7x7 tanh conv.

    Kept layer for layer (including the reference's BN/LeakyReLU order, which
    differs between the two deconv blocks) so results compare with MP-GAN.
    ``filters`` is the channel count throughout (reference: 128).
    """
    name = "mpgan_generator"
    h, w, c = require_image(data_spec, name)
    latent_dim = positive_int("latent_dim", latent_dim, name)
    filters = positive_int("filters", filters, name)
    vr = value_range(data_spec, name)
    h0, w0 = math.ceil(h / 4), math.ceil(w / 4)

    z = keras.Input((latent_dim,), name="z")
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
    return keras.Model(z, x, name="generator_mpgan")


@DISCRIMINATORS.register("mpgan_discriminator")
def mpgan_discriminator(
    data_spec: DataSpec, filters: int = 64, dropout: float = 0.4
) -> keras.Model:
    """MP-GAN reference discriminator: two 3x3 stride-2 convs with dropout -> Dense(1) logit.

    The first conv is 'valid' and the second 'same' as in the reference
    (28x28 -> 13x13x64 -> 7x7x64); it needs images of at least 3x3.
    """
    name = "mpgan_discriminator"
    h, w, c = require_image(data_spec, name, min_size=3)
    filters = positive_int("filters", filters, name)
    dropout = rate("dropout", dropout, name)

    inp = keras.Input((h, w, c), name="x")
    x = layers.Conv2D(filters, 3, strides=2, padding="valid")(inp)
    x = layers.LeakyReLU(negative_slope=0.2)(x)
    x = layers.Dropout(dropout)(x)
    x = layers.Conv2D(filters, 3, strides=2, padding="same")(x)
    x = layers.LeakyReLU(negative_slope=0.2)(x)
    x = layers.Dropout(dropout)(x)
    x = layers.Flatten()(x)
    logit = layers.Dense(1, name="logit")(x)
    return keras.Model(inp, logit, name="discriminator_mpgan")


def _check_depth(depth: int, h: int, w: int, factory: str) -> int:
    depth = positive_int("depth", depth, factory)
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
) -> keras.Model:
    """DCGAN generator of any size: Dense -> depth x (deconv+BN+ReLU, channels halving) -> tanh conv.

    ``width`` is the channel count at full resolution; the projection starts
    at ``ceil(H / 2**depth) x ceil(W / 2**depth)`` with ``width * 2**depth``
    channels and each stride-2 deconv halves the channels.
    """
    name = "dcgan_generator"
    h, w, c = require_image(data_spec, name)
    latent_dim = positive_int("latent_dim", latent_dim, name)
    width = positive_int("width", width, name)
    kernel_size = positive_int("kernel_size", kernel_size, name)
    depth = _check_depth(depth, h, w, name)
    vr = value_range(data_spec, name)
    h0, w0 = math.ceil(h / 2**depth), math.ceil(w / 2**depth)
    ch0 = width * 2**depth

    z = keras.Input((latent_dim,), name="z")
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
    return keras.Model(z, x, name="generator_dcgan")


@DISCRIMINATORS.register("dcgan_discriminator")
def dcgan_discriminator(
    data_spec: DataSpec,
    width: int = 64,
    depth: int = 2,
    dropout: float = 0.3,
    kernel_size: int = 4,
    norm: str = "none",
) -> keras.Model:
    """DCGAN discriminator of any size: depth x (stride-2 conv+LeakyReLU, channels doubling) -> logit.

    ``width`` is the channel count of the first (full-resolution) conv.
    ``norm`` ('none', 'batch' or 'layer') normalises every conv but the first;
    it defaults to 'none' because batch statistics interact badly with a
    gradient penalty and with separate real/fake half batches (dropout
    regularises instead, as in the MP-GAN reference).
    """
    name = "dcgan_discriminator"
    h, w, c = require_image(data_spec, name)
    width = positive_int("width", width, name)
    kernel_size = positive_int("kernel_size", kernel_size, name)
    depth = _check_depth(depth, h, w, name)
    dropout = rate("dropout", dropout, name)
    if norm not in _NORMS:
        raise ModelError(f"{name} norm must be one of {', '.join(_NORMS)}, got {norm!r}")

    inp = keras.Input((h, w, c), name="x")
    x = inp
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
    logit = layers.Dense(1, name="logit")(x)
    return keras.Model(inp, logit, name="discriminator_dcgan")
