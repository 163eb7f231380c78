"""Shared validation and output helpers for the model factories.

Every factory validates its ``data_spec`` and parameters up front so a bad config
fails with one sentence (a :class:`~mpgan.errors.ModelError`) rather than a Keras
shape error deep inside graph construction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import checks
from ..data_spec import DataSpec
from ..errors import ModelError
from ..lazy import lazy_module

keras = lazy_module("keras")
layers = lazy_module("keras.layers")


def require_kind(data_spec: DataSpec, kinds: str | tuple[str, ...], factory: str) -> None:
    """Reject a data_spec whose ``kind`` this factory cannot model."""
    if not isinstance(data_spec, DataSpec):
        raise ModelError(
            f"{factory} needs a DataSpec as its first argument, got {type(data_spec).__name__}"
        )
    allowed = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    if data_spec.kind not in allowed:
        want = " or ".join(repr(k) for k in allowed)
        raise ModelError(
            f"{factory} models {want} data but the dataset's kind is {data_spec.kind!r}; "
            f"pick a model registered for {data_spec.kind!r} data"
        )


def require_vector(data_spec: DataSpec, factory: str) -> int:
    """The feature count of a flat (n,) sample; anything else is a ModelError."""
    if len(data_spec.shape) != 1 or data_spec.shape[0] < 1:
        raise ModelError(
            f"{factory} needs flat samples of shape (n_features,), got {data_spec.shape}"
        )
    return data_spec.shape[0]


def require_image(data_spec: DataSpec, factory: str, min_size: int = 1) -> tuple[int, int, int]:
    """``(height, width, channels)`` of an image spec, validated."""
    require_kind(data_spec, "image", factory)
    shape = data_spec.shape
    if len(shape) != 3 or min(shape) < 1:
        raise ModelError(
            f"{factory} needs image samples of shape (height, width, channels), got {shape}"
        )
    h, w, c = shape
    if min(h, w) < min_size:
        raise ModelError(
            f"{factory} needs images of at least {min_size}x{min_size} pixels, got {h}x{w}"
        )
    return h, w, c


def positive_int(value: Any, name: str, factory: str) -> int:
    """``value`` as an int > 0, or a ModelError naming the factory's parameter."""
    return checks.positive_int(value, name, factory, ModelError)


def positive_ints(name: str, values: Any, factory: str) -> tuple[int, ...]:
    """A sequence of layer widths, each > 0; a single int is accepted as one layer."""
    if isinstance(values, int | float) and not isinstance(values, bool):
        values = (values,)
    if not isinstance(values, Iterable) or isinstance(values, str | bytes):
        raise ModelError(f"{factory} {name} must be a list of positive integers, got {values!r}")
    values = tuple(values)
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int | float) or int(v) != v or v < 1:
            raise ModelError(
                f"{factory} {name} must be a list of positive integers, got {list(values)!r}"
            )
    return tuple(int(v) for v in values)


def rate(name: str, value: Any, factory: str) -> float:
    """A dropout-style rate in [0, 1)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
        raise ModelError(f"{factory} {name} must be a number in [0, 1), got {value!r}")
    return float(value)


def value_range(data_spec: DataSpec, factory: str) -> tuple[float, float] | None:
    """The spec's value range, checked to be an increasing (low, high) pair."""
    vr = data_spec.value_range
    if vr is None:
        return None
    try:
        low, high = (float(v) for v in vr)
    except (TypeError, ValueError):
        raise ModelError(f"{factory} needs value_range as (low, high), got {vr!r}") from None
    if not low < high:
        raise ModelError(f"{factory} needs value_range low < high, got {vr!r}")
    return low, high


def rescale_from_tanh(x: Any, vr: tuple[float, float] | None, name: str = "rescale") -> Any:
    """Map a tanh output in (-1, 1) onto ``vr``; a no-op (no layer) for (-1, 1) or None.

    Images use (-1, 1), so the reference models keep their exact layer list and
    parameter count; other ranges get a parameter-free affine ``Rescaling``.
    """
    if vr is None or (vr[0] == -1.0 and vr[1] == 1.0):
        return x
    low, high = vr
    return layers.Rescaling(scale=(high - low) / 2.0, offset=(high + low) / 2.0, name=name)(x)


def bounded(x: Any, vr: tuple[float, float] | None, name: str) -> Any:
    """tanh (rescaled to ``vr``) when a range is given, else the tensor unchanged."""
    if vr is None:
        return x
    x = layers.Activation("tanh", name=f"{name}_tanh")(x)
    return rescale_from_tanh(x, vr, name=f"{name}_rescale")


def center_crop(x: Any, height: int, width: int, name: str = "crop") -> Any:
    """Crop a (batch, H', W', C) tensor to ``height`` x ``width`` around its centre.

    Generators upsample by powers of two from ``ceil(size / 2**k)``; when that
    overshoots (25 -> 28) the extra rows/columns are trimmed, the odd one from the
    bottom/right, with no parameters.
    """
    dh, dw = int(x.shape[1]) - height, int(x.shape[2]) - width
    if dh < 0 or dw < 0:  # pragma: no cover - the factories never undershoot
        raise ModelError(f"cannot crop {tuple(x.shape[1:3])} down to ({height}, {width})")
    if dh == 0 and dw == 0:
        return x
    return layers.Cropping2D(((dh // 2, dh - dh // 2), (dw // 2, dw - dw // 2)), name=name)(x)


def _shape(model: keras.Model, attr: str) -> tuple[Any, ...]:
    shape = getattr(model, attr)
    if isinstance(shape, list):
        if len(shape) != 1:
            raise ModelError(
                f"model '{model.name}' has {len(shape)} {attr.split('_')[0]}s; mpgan needs exactly one"
            )
        shape = shape[0]
    return tuple(shape)


CONDITIONAL_D = ("projection", "concat")


def num_classes_for(data_spec: DataSpec, factory: str, param: str) -> int:
    """The class count a conditional model needs, or a ModelError naming the parameter."""
    k = data_spec.num_classes
    if not k or k < 2:
        raise ModelError(f"{factory} {param} needs a labelled dataset (with at least 2 classes); "
                         f"'{data_spec.name or data_spec.kind}' has no labels")
    return int(k)


def conditional_logit(h: Any, labels: Any, mode: str) -> Any:
    """The logit of a conditional discriminator with flat features ``h``: ``projection``
    adds ``<embed(y), h>`` to a linear logit (Miyato & Koyama 2018); ``concat`` was
    applied at the input, so only the linear logit remains."""
    logit = layers.Dense(1, name="logit")(h)
    if mode == "projection":
        embed = layers.Dense(h.shape[-1], use_bias=False, name="class_embedding")(labels)
        proj = layers.Dot(axes=1, name="projection")([embed, h])
        logit = layers.Add(name="logit_projected")([logit, proj])
    return logit


def concat_labels(x: Any, labels: Any) -> Any:
    """cGAN-style input: the one-hot class broadcast to maps and joined to the image channels."""
    h, w = x.shape[1], x.shape[2]
    maps = layers.RepeatVector(h * w)(labels)
    maps = layers.Reshape((h, w, labels.shape[-1]))(maps)
    return layers.Concatenate(axis=-1)([x, maps])


def latent_dim_of(generator: keras.Model) -> int:
    """The latent size a generator expects, read from its input shape (batch, latent_dim)."""
    shape = _shape(generator, "input_shape")
    if len(shape) != 2 or shape[1] is None:
        raise ModelError(
            f"generator '{generator.name}' input shape {shape} is not (None, latent_dim); "
            "generators take a flat latent vector"
        )
    return int(shape[1])


def check_pair(generator: keras.Model, discriminator: keras.Model, data_spec: DataSpec) -> None:
    """Check that a generator/discriminator pair fits the dataset before training starts.

    Catching a mismatch here gives one sentence naming both shapes instead of a
    broadcasting error from the first training step.
    """
    sample = tuple(data_spec.shape)
    latent_dim_of(generator)
    g_out = _shape(generator, "output_shape")
    if tuple(g_out[1:]) != sample:
        raise ModelError(
            f"generator output shape {g_out} does not match the dataset's sample shape {sample}; "
            f"the generator must produce (None, {', '.join(map(str, sample))})"
        )
    k_d = int(getattr(discriminator, "condition_dim", 0) or 0)
    if k_d:
        k_g = int(getattr(generator, "condition_dim", 0) or 0)
        if k_g != k_d:
            raise ModelError(
                f"discriminator '{discriminator.name}' is conditional on {k_d} classes but the generator "
                + (f"on {k_g}" if k_g else "is unconditional")
                + "; set generator.params.conditional: true to pair them"
            )
        d_in = tuple(discriminator.inputs[0].shape)
    else:
        d_in = _shape(discriminator, "input_shape")
    if tuple(d_in[1:]) != sample:
        raise ModelError(
            f"discriminator input shape {d_in} does not match the dataset's sample shape {sample}; "
            f"the discriminator must accept (None, {', '.join(map(str, sample))})"
        )
    d_out = _shape(discriminator, "output_shape")
    if tuple(d_out[1:]) != (1,):
        raise ModelError(
            f"discriminator output shape {d_out} is not (None, 1); "
            "a discriminator must output one logit per sample"
        )
