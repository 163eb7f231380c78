"""Models from MP-GAN-style layer lists, as written in a YAML config.

Each entry is a mapping with a ``type`` (a ``keras.layers`` class name) and that
layer's keyword arguments::

    - {type: Dense, units: 6272, use_bias: false}
    - {type: Reshape, target_shape: [7, 7, 128]}
    - {type: Conv2DTranspose, filters: 128, kernel_size: 4, strides: 2, padding: same}
    - {type: LeakyReLU, negative_slope: 0.2}

YAML has no tuples, so lists become tuples. Every mistake (unknown type, missing
or bad argument, a layer that cannot take the shape it receives) is a
:class:`~mpgan.errors.ModelError` naming the layer's index and type.
"""

from __future__ import annotations

import copy
import difflib
import re
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from ..data_spec import DataSpec
from ..errors import ModelError
from ..lazy import lazy_module
from ..registry import DISCRIMINATORS, GENERATORS
from ._checks import positive_int

#: The layers a GAN spec usually needs; any other ``keras.layers`` class works too.
COMMON_LAYERS: tuple[str, ...] = (
    "Activation", "AveragePooling2D", "BatchNormalization", "Concatenate", "Conv1D",
    "Conv2D", "Conv2DTranspose", "Cropping2D", "Dense", "Dropout", "Flatten",
    "GaussianNoise", "GlobalAveragePooling2D", "GlobalMaxPooling2D", "LayerNormalization",
    "LeakyReLU", "MaxPooling2D", "ReLU", "Rescaling", "Reshape", "Softmax",
    "SpatialDropout2D", "UpSampling2D", "ZeroPadding2D",
)

keras = lazy_module("keras")
mlayers = lazy_module("mpgan.models.layers")  # Keras subclasses: import on first use

# Keys that configure the model's input, which mpgan takes from the dataset instead.
_INPUT_KEYS = ("input_shape", "input_dim", "batch_input_shape", "batch_size")
_REJECTED = {"Input", "InputLayer", "Layer"}


def _layer_classes() -> dict[str, type]:
    out = {}
    for attr in dir(keras.layers):
        obj = getattr(keras.layers, attr)
        if isinstance(obj, type) and issubclass(obj, keras.layers.Layer) and attr not in _REJECTED:
            out[attr] = obj
    out["BatchNormalization"] = mlayers.BatchNormalization  # the fused-kernel variant, same weights
    return out


def _resolve(type_name: Any, index: int) -> type:
    """The keras.layers class for ``type_name`` (exact, then case-insensitive)."""
    if not isinstance(type_name, str) or not type_name:
        raise ModelError(
            f"layer {index} 'type' must be a keras.layers class name such as 'Dense', got {type_name!r}"
        )
    classes = _layer_classes()
    if type_name in classes:
        return classes[type_name]
    folded = {k.lower(): k for k in classes}
    if type_name.lower() in folded:
        return classes[folded[type_name.lower()]]
    if type_name in _REJECTED:
        raise ModelError(
            f"layer {index} has type {type_name!r}, but the input is added automatically "
            "from the dataset's shape; remove that entry"
        )
    close = difflib.get_close_matches(type_name, list(classes), n=3, cutoff=0.6)
    hint = f"did you mean {', '.join(repr(c) for c in close)}? " if close else ""
    raise ModelError(
        f"layer {index} has unknown type {type_name!r}; {hint}use a keras.layers class name, "
        f"e.g. {', '.join(COMMON_LAYERS)}"
    )


def _tuples(value: Any) -> Any:
    """Lists (YAML's only sequence) become tuples, recursively, as Keras expects for shapes."""
    if isinstance(value, list | tuple):
        return tuple(_tuples(v) for v in value)
    if isinstance(value, Mapping):
        return {k: _tuples(v) for k, v in value.items()}
    return value


def _first_line(exc: BaseException) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    lines = [ln for ln in lines if not ln.startswith("Exception encountered when calling")]
    msg = lines[0] if lines else type(exc).__name__
    return msg if len(msg) <= 300 else msg[:297] + "..."


def _make_layer(entry: Any, index: int) -> tuple[keras.layers.Layer, str]:
    if not isinstance(entry, Mapping):
        raise ModelError(
            f"layer {index} must be a mapping with a 'type' key and the layer's arguments, "
            f"got {type(entry).__name__} {entry!r}"
        )
    if "type" not in entry:
        raise ModelError(
            f"layer {index} has no 'type' key; each layer needs one naming a keras.layers class, "
            f"e.g. {{type: Dense, units: 64}} (got keys {sorted(map(str, entry))})"
        )
    cls = _resolve(entry["type"], index)
    type_name = cls.__name__
    kwargs = {str(k): _tuples(v) for k, v in entry.items() if k != "type"}
    dropped = [k for k in _INPUT_KEYS if k in kwargs]
    for k in dropped:
        kwargs.pop(k)
    if dropped:
        warnings.warn(
            f"layer {index} ({type_name}): ignoring {', '.join(dropped)}; "
            "mpgan takes the input shape from the dataset",
            stacklevel=4,
        )
    try:
        return cls(**kwargs), type_name
    except TypeError as exc:
        msg = str(exc)
        missing = re.search(r"missing \d+ required (?:positional |keyword-only )?arguments?: (.*)", msg)
        if missing:
            raise ModelError(
                f"layer {index} ({type_name}) is missing the required argument(s) {missing.group(1)}"
            ) from None
        raise ModelError(f"layer {index} ({type_name}) got bad arguments: {_first_line(exc)}") from None
    except Exception as exc:  # Keras validates kwargs with ValueError and friends
        raise ModelError(f"layer {index} ({type_name}) got bad arguments: {_first_line(exc)}") from None


def build_from_spec(
    layers: Sequence[Mapping[str, Any]], input_shape: Sequence[int], name: str = "spec_model"
) -> keras.Model:
    """Build a functional ``keras.Model`` from a list of layer dicts applied in order.

    ``input_shape`` excludes the batch axis. Errors name the failing layer's index
    and type (and, for shape problems, the shape it received).
    """
    if isinstance(layers, Mapping) or isinstance(layers, str) or not isinstance(layers, Sequence):
        raise ModelError(
            f"a layer spec must be a list of layer mappings, got {type(layers).__name__}"
        )
    if len(layers) == 0:
        raise ModelError("a layer spec must list at least one layer, got an empty list")
    try:
        shape = tuple(int(s) for s in input_shape)
    except (TypeError, ValueError):
        raise ModelError(f"input_shape must be a tuple of ints, got {input_shape!r}") from None

    inp = keras.Input(shape, name="input")
    x = inp
    for index, entry in enumerate(layers):
        layer, type_name = _make_layer(entry, index)
        incoming = tuple(x.shape)
        try:
            x = layer(x)
        except Exception as exc:
            raise ModelError(
                f"layer {index} ({type_name}) does not fit its input of shape {incoming}: "
                f"{_first_line(exc)}"
            ) from None
    return keras.Model(inp, x, name=name)


def _is_sigmoid(act: Any) -> bool:
    if isinstance(act, str):
        return act.lower() == "sigmoid"
    return act is keras.activations.sigmoid


def _strip_final_sigmoid(layers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Turn a final sigmoid into a linear logit (with a warning); never squash twice."""
    if not layers or not isinstance(layers[-1], Mapping):
        return layers
    last = layers[-1]
    index = len(layers) - 1
    if str(last.get("type", "")).lower() == "activation" and _is_sigmoid(last.get("activation")):
        warnings.warn(
            f"discriminator spec ends in Activation('sigmoid') (layer {index}); dropped it, "
            "because mpgan discriminators output logits and the objective applies the sigmoid",
            stacklevel=3,
        )
        return layers[:-1]
    if _is_sigmoid(last.get("activation")):
        warnings.warn(
            f"discriminator spec's last layer {index} ({last.get('type')}) has activation "
            "'sigmoid'; made it linear, because mpgan discriminators output logits and the "
            "objective applies the sigmoid",
            stacklevel=3,
        )
        return [*layers[:-1], {**last, "activation": "linear"}]
    return layers


def _as_list(layers: Any, factory: str) -> list[Any]:
    if isinstance(layers, Mapping) or isinstance(layers, str) or not isinstance(layers, Sequence):
        raise ModelError(
            f"{factory} 'layers' must be a list of layer mappings, got {type(layers).__name__}"
        )
    return copy.deepcopy(list(layers))


@GENERATORS.register("spec")
def spec_generator(
    data_spec: DataSpec, layers: Sequence[Mapping[str, Any]], latent_dim: int = 100
) -> keras.Model:
    """Generator from an MP-GAN-style layer list (params: layers, latent_dim=100).

    The list must end in the dataset's sample shape; for a bounded value range
    end it with a tanh (or rescaled) activation.
    """
    latent_dim = positive_int(latent_dim, "latent_dim", "spec generator")
    model = build_from_spec(_as_list(layers, "spec generator"), (latent_dim,), "generator_spec")
    out = tuple(model.output_shape)
    if out[1:] != tuple(data_spec.shape):
        raise ModelError(
            f"spec generator output shape {out} does not match the dataset's sample shape "
            f"{tuple(data_spec.shape)}; change the layer list so it ends in that shape "
            "(e.g. the Reshape target, strides, or a final Cropping2D)"
        )
    return model


@DISCRIMINATORS.register("spec")
def spec_discriminator(data_spec: DataSpec, layers: Sequence[Mapping[str, Any]]) -> keras.Model:
    """Discriminator from an MP-GAN-style layer list (params: layers); a final sigmoid becomes a logit.

    The list must end in one unit per sample, e.g. Flatten then Dense(units=1).
    """
    spec = _strip_final_sigmoid(_as_list(layers, "spec discriminator"))
    model = build_from_spec(spec, tuple(data_spec.shape), "discriminator_spec")
    out = tuple(model.output_shape)
    if out[1:] != (1,):
        raise ModelError(
            f"spec discriminator output shape {out} is not (None, 1); end the layer list with "
            "one logit per sample, e.g. {type: Flatten} then {type: Dense, units: 1}"
        )
    return model
