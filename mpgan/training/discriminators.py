"""Building the discriminators of a run: views, pretrained sources, freeze flags,
and the (logits, features) companion model that feature matching needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import keras

from ..config import DiscriminatorConfig
from ..data_spec import DataSpec
from ..errors import ModelError
from ..registry import DISCRIMINATORS


@dataclass
class DiscriminatorSlot:
    """One discriminator with its training settings; ``optimizers`` has one per phase."""

    model: keras.Model
    name: str
    frozen: bool
    optimizers: list = field(default_factory=list)
    features: keras.Model | None = None  # (logits, penultimate features), built on demand


def build_discriminator(cfg: DiscriminatorConfig, spec: DataSpec, index: int = 0) -> keras.Model:
    """The registry model, wrapped to see a downsampled view if ``cfg.view`` > 1, and
    initialised from ``cfg.pretrained`` if given."""
    if cfg.view and cfg.view > 1:
        if spec.kind != "image":
            raise ModelError(f"discriminator view={cfg.view} downsamples images, but the data is {spec.kind}")
        h, w, c = spec.shape
        if h // cfg.view < 1 or w // cfg.view < 1:
            raise ModelError(f"discriminator view={cfg.view} is larger than the {h}x{w} images")
        small = DataSpec(spec.kind, (h // cfg.view, w // cfg.view, c), spec.value_range, spec.columns,
                         spec.num_classes, spec.name)
        inner = DISCRIMINATORS.build(cfg.name, small, **cfg.params)
        inp = keras.Input(spec.shape)
        pooled = keras.layers.AveragePooling2D(cfg.view, name=f"view_x{cfg.view}")(inp)
        model = keras.Model(inp, inner(pooled), name=f"{inner.name}_view{cfg.view}")
        model._mpgan_inner = inner  # for the features model
    else:
        model = DISCRIMINATORS.build(cfg.name, spec, **cfg.params)
    if cfg.pretrained:
        load_pretrained(model, cfg.pretrained, index)
    return model


def _weights_file(source: Path, index: int) -> Path | None:
    name = "discriminator.weights.h5" if index == 0 else f"discriminator_{index}.weights.h5"
    for candidate in (source / name, source / "discriminator.weights.h5"):
        if candidate.is_file():
            return candidate
    return None


def load_pretrained(model: keras.Model, source: str, index: int = 0) -> None:
    """Initialise ``model`` from a run directory, a ``.weights.h5`` file or a checkpoint prefix."""
    import tensorflow as tf

    path = Path(source)
    try:
        if path.is_dir():
            weights = _weights_file(path, index)
            if weights is None:
                raise ModelError(f"pretrained discriminator: {path} holds no discriminator.weights.h5; "
                                 "pass a run directory written by `mpgan train`, a .weights.h5 file or a checkpoint")
            model.load_weights(str(weights))
        elif path.name.endswith(".weights.h5"):
            if not path.is_file():
                raise ModelError(f"pretrained discriminator: weights file {path} does not exist")
            model.load_weights(str(path))
        elif Path(f"{source}.index").is_file():
            key = "discriminator" if index == 0 else f"discriminator_{index}"
            tf.train.Checkpoint(**{key: model}).read(str(source)).assert_existing_objects_matched().expect_partial()
        else:
            raise ModelError(f"pretrained discriminator: {source} is not a run directory, a .weights.h5 file "
                             "or a checkpoint prefix (like RUN/checkpoints/ckpt-100)")
    except ModelError:
        raise
    except (ValueError, AssertionError, tf.errors.OpError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"pretrained discriminator weights from {source} do not fit discriminator "
                         f"'{model.name}' (shapes or layers differ): {first}") from None


def features_model(model: keras.Model) -> keras.Model:
    """A model giving (logits, penultimate activations) in one pass, sharing weights."""
    inner = getattr(model, "_mpgan_inner", None)
    if inner is not None:
        both = features_model(inner)
        pooled = model.layers[1](model.inputs[0])
        return keras.Model(model.inputs, both(pooled))
    last = model.layers[-1]
    try:
        penultimate = last.input
    except (AttributeError, ValueError) as exc:
        raise ModelError(f"feature matching needs a functional discriminator; '{model.name}': {exc}") from None
    feats = keras.layers.Flatten()(penultimate) if len(penultimate.shape) > 2 else penultimate
    return keras.Model(model.inputs, [model.outputs[0], feats])
