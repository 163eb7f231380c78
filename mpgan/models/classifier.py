"""A small CNN classifier for labelled image datasets, and what is built from it.

Three uses share one body (two strided convs -> Flatten -> Dense ``"features"``):

- a classifier (``build_classifier`` + ``train_classifier``), e.g. to score
  generated digits by class;
- a feature extractor for metrics (``classifier_features``), the local stand-in
  for Inception features in FID-style scores;
- a discriminator (``classifier_discriminator``): the same body, optionally
  initialised from a trained classifier's ``.weights.h5``, with a fresh
  ``Dense(1)`` real/fake logit head.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import numpy as np

from ..data_spec import DataSpec
from ..errors import ModelError
from ..lazy import lazy_module
from ..registry import DISCRIMINATORS
from ._checks import positive_int, rate, require_image

keras = lazy_module("keras")
layers = lazy_module("keras.layers")

FEATURES = "features"


def _body(inp: Any, width: int, dropout: float, features: int) -> Any:
    """The shared trunk; layer order is fixed so classifier weights load into it."""
    x = layers.Conv2D(width, 3, strides=2, padding="same")(inp)
    x = layers.LeakyReLU(negative_slope=0.2)(x)
    if dropout:
        x = layers.Dropout(dropout)(x)
    x = layers.Conv2D(2 * width, 3, strides=2, padding="same")(x)
    x = layers.LeakyReLU(negative_slope=0.2)(x)
    if dropout:
        x = layers.Dropout(dropout)(x)
    x = layers.Flatten()(x)
    return layers.Dense(features, activation="relu", name=FEATURES)(x)


def _validated(
    data_spec: DataSpec, width: int, dropout: float, features: int, factory: str
) -> tuple[tuple[int, int, int], int, float, int]:
    shape = require_image(data_spec, factory)
    return (
        shape,
        positive_int(width, "width", factory),
        rate("dropout", dropout, factory),
        positive_int(features, "features", factory),
    )


def build_classifier(
    data_spec: DataSpec,
    num_classes: int | None = None,
    width: int = 32,
    dropout: float = 0.3,
    features: int = 128,
) -> keras.Model:
    """A small CNN mapping images to ``num_classes`` logits (defaults to the spec's class count).

    Two 3x3 stride-2 convs (``width`` and ``2*width`` channels, LeakyReLU,
    dropout) -> Flatten -> Dense(``features``, relu) named "features" ->
    Dense(num_classes) named "logits".
    """
    name = "build_classifier"
    shape, width, dropout, features = _validated(data_spec, width, dropout, features, name)
    num_classes = num_classes if num_classes is not None else data_spec.num_classes
    if num_classes is None:
        raise ModelError(
            "build_classifier needs num_classes, and the dataset spec has none; "
            "pass num_classes or use a labelled dataset"
        )
    num_classes = positive_int(num_classes, "num_classes", name)
    if num_classes < 2:
        raise ModelError(f"build_classifier needs num_classes >= 2, got {num_classes}")
    inp = keras.Input(shape, name="x")
    logits = layers.Dense(num_classes, name="logits")(_body(inp, width, dropout, features))
    return keras.Model(inp, logits, name="classifier_cnn")


def classifier_features(model: keras.Model, layer: str = FEATURES) -> keras.Model:
    """A model from the classifier's input to its ``layer`` output (default "features").

    Shares weights with ``model``; call it with ``training=False`` (the default
    of ``predict``) so dropout is off when extracting metric features.
    """
    try:
        out = model.get_layer(layer).output
    except ValueError:
        raise ModelError(
            f"model '{model.name}' has no layer named {layer!r}; "
            "build it with build_classifier or name its penultimate layer 'features'"
        ) from None
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    return keras.Model(inputs, out, name=f"{model.name}_{layer}")


def classifier_body(model: keras.Model) -> keras.Model:
    """The classifier without its logits head (input -> "features"), sharing its weights.

    Put a new head on it to reuse a trained classifier, e.g. as a discriminator.
    """
    return classifier_features(model, FEATURES)


def _num_classes_in(path: str) -> int:
    """The logits width stored in a classifier's .weights.h5 (its last Dense layer)."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            dense = [k for k in f["layers"] if k == "dense" or k.startswith("dense_")]

            def order(k: str) -> int:
                return 0 if k == "dense" else int(k.rsplit("_", 1)[1])

            last = max(dense, key=order)
            return int(f["layers"][last]["vars"]["1"].shape[0])
    except Exception:
        raise ModelError(
            f"cannot read the number of classes from {path}; pass num_classes explicitly"
        ) from None


def _load_weights(model: keras.Model, path: str, config: str) -> None:
    """``model.load_weights`` with a mismatch reported as one ModelError sentence.

    Keras warns about each unmatched container before raising; those warnings are
    dropped when the load fails (the error says it) and re-issued when it succeeds.
    """
    with warnings.catch_warnings(record=True) as caught:
        try:
            model.load_weights(path)
        except Exception as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
            raise ModelError(
                f"cannot load classifier weights {path} into a classifier with {config} and "
                f"input {model.input_shape[1:]}: {first}"
            ) from None
    for w in caught:
        if issubclass(w.category, UserWarning):
            warnings.warn(w.message, w.category, stacklevel=3)


@DISCRIMINATORS.register("classifier_discriminator")
def classifier_discriminator(
    data_spec: DataSpec,
    weights: str | None = None,
    width: int = 32,
    dropout: float = 0.3,
    features: int = 128,
    num_classes: int | None = None,
    freeze_body: bool = False,
) -> keras.Model:
    """Classifier CNN body + Dense(1) logit; optionally starts from a trained classifier's weights.

    ``weights`` is a ``.weights.h5`` saved from ``build_classifier`` with the
    same width/dropout/features (its class count is read from the file unless
    given). ``freeze_body`` makes the body's weights non-trainable.
    """
    name = "classifier_discriminator"
    shape, width, dropout, features = _validated(data_spec, width, dropout, features, name)
    if weights is None:
        inp = keras.Input(shape, name="x")
        body_out = _body(inp, width, dropout, features)
    else:
        path = os.fspath(weights)
        if not os.path.isfile(path):
            raise ModelError(f"classifier weights file {path} does not exist")
        if num_classes is None:
            num_classes = data_spec.num_classes or _num_classes_in(path)
        clf = build_classifier(data_spec, num_classes, width, dropout, features)
        _load_weights(clf, path, f"width={width}, features={features}, num_classes={num_classes}")
        body = classifier_body(clf)
        inp, body_out = body.inputs[0], body.outputs[0]
    logit = layers.Dense(1, name="logit")(body_out)
    model = keras.Model(inp, logit, name="discriminator_classifier")
    if freeze_body:
        for layer in model.layers[:-1]:  # everything but the new head
            layer.trainable = False
    return model


def train_classifier(
    model: keras.Model,
    x: np.ndarray,
    y: np.ndarray,
    epochs: int = 3,
    batch_size: int = 128,
    seed: int = 0,
    validation_split: float = 0.1,
    learning_rate: float = 1e-3,
    verbose: int = 0,
) -> keras.callbacks.History:
    """Fit ``model`` on integer labels with Adam + sparse cross-entropy on logits; returns the History.

    Seeds Python/NumPy/TF first so a given seed gives the same classifier.
    """
    keras.utils.set_random_seed(int(seed))
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model.fit(
        np.asarray(x, dtype="float32"),
        np.asarray(y).astype("int64"),
        epochs=epochs,
        batch_size=batch_size,
        validation_split=validation_split,
        shuffle=True,
        verbose=verbose,
    )
