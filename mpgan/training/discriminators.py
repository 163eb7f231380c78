"""Building the discriminators of a run: views, spectral normalization, pretrained
sources, and the (logits, features) companion model that feature matching needs."""

from __future__ import annotations

from pathlib import Path

import keras

from ..config import DiscriminatorConfig
from ..data_spec import DataSpec
from ..errors import ModelError
from ..registry import DISCRIMINATORS

#: Layers whose kernel spectral normalization rescales.
SN_LAYERS = (keras.layers.Dense, keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv2DTranspose,
             keras.layers.Embedding)
_CARRIED = ("condition_dim", "pac", "_mpgan_inner")


def spectral_normalize(model: keras.Model, power_iterations: int = 1) -> keras.Model:
    """A copy of a functional ``model`` with every Dense/Conv layer wrapped in Keras'
    ``SpectralNormalization`` (Miyato et al. 2018): in training calls each kernel is
    divided by its largest singular value, estimated by power iteration."""

    def clone(layer):
        fresh = layer.__class__.from_config(layer.get_config())
        if isinstance(layer, SN_LAYERS):
            return keras.layers.SpectralNormalization(fresh, power_iterations=power_iterations,
                                                      name=f"sn_{layer.name}")
        return fresh

    try:
        out = keras.models.clone_model(model, clone_function=clone)
    except ValueError as exc:
        raise ModelError(f"spectral_norm needs a functional or Sequential discriminator; "
                         f"'{model.name}': {exc}") from None
    for attr in _CARRIED:
        if hasattr(model, attr):
            setattr(out, attr, getattr(model, attr))
    return out


def build_discriminator(cfg: DiscriminatorConfig, spec: DataSpec, index: int = 0) -> keras.Model:
    """The registry model, spectrally normalized if ``cfg.spectral_norm``, wrapped to see
    a downsampled view if ``cfg.view`` > 1, and initialised from ``cfg.pretrained``."""
    if cfg.view and cfg.view > 1:
        if spec.kind != "image":
            raise ModelError(f"discriminator view={cfg.view} downsamples images, but the data is {spec.kind}")
        h, w, c = spec.shape
        if h // cfg.view < 1 or w // cfg.view < 1:
            raise ModelError(f"discriminator view={cfg.view} is larger than the {h}x{w} images")
        small = DataSpec(spec.kind, (h // cfg.view, w // cfg.view, c), spec.value_range, spec.columns,
                         spec.num_classes, spec.name)
        inner = DISCRIMINATORS.build(cfg.name, small, **cfg.params)
        if cfg.spectral_norm:
            inner = spectral_normalize(inner)
        if getattr(inner, "condition_dim", 0):
            raise ModelError("a conditional discriminator cannot take a view yet; drop view or conditional")
        inp = keras.Input(spec.shape)
        pooled = keras.layers.AveragePooling2D(cfg.view, name=f"view_x{cfg.view}")(inp)
        model = keras.Model(inp, inner(pooled), name=f"{inner.name}_view{cfg.view}")
        model._mpgan_inner = inner  # for the features model
    else:
        model = DISCRIMINATORS.build(cfg.name, spec, **cfg.params)
        if cfg.spectral_norm:
            model = spectral_normalize(model)
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
    names = [layer.name for layer in model.layers]
    last = model.get_layer("logit") if "logit" in names else model.layers[-1]  # projection heads add more
    try:
        penultimate = last.input
    except (AttributeError, ValueError) as exc:
        raise ModelError(f"feature matching needs a functional discriminator; '{model.name}': {exc}") from None
    feats = keras.layers.Flatten()(penultimate) if len(penultimate.shape) > 2 else penultimate
    return keras.Model(model.inputs, [model.outputs[0], feats])
