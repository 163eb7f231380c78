"""Feature extractors for image metrics (FID, KID, IS, precision/recall, mode coverage).

InceptionV3 weights cannot be downloaded on an offline machine, so the default is a
small CNN classifier trained on the labelled dataset itself, trained once
(deterministically) and cached on disk; its scores are comparable between runs on
the same dataset, not with published Inception numbers. With a local InceptionV3
weights file, :func:`inception_extractor` gives the standard 2048-d pool features.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError, MpganError

#: Bump when anything that changes the trained extractor changes (invalidates the cache).
CACHE_VERSION = 1
#: Architecture of the classifier extractor (``build_classifier`` arguments), part of the cache key.
ARCHITECTURE: dict[str, Any] = {"width": 32, "dropout": 0.3, "features": 128}
#: Training settings besides seed and epochs, part of the cache key.
TRAINING: dict[str, Any] = {"batch_size": 64, "learning_rate": 1e-3, "holdout": 0.15}

_MEMO: dict[str, FeatureExtractor] = {}


class FeatureExtractor:
    """Maps images to features ``(n, d)`` and class probabilities ``(n, K)``, in batches.

    ``id`` names the extractor in every metric result (scores from different
    extractors are not comparable); ``info`` is a JSON-serialisable description.
    ``fn`` takes a float32 batch ``(b, H, W, C)`` in the model's value range and
    returns ``(features, logits_or_probs)``; ``logits`` says which the second is.
    """

    def __init__(self, id: str, info: dict[str, Any], fn: Callable[[Any], tuple[Any, Any]],
                 input_shape: tuple[int, ...], logits: bool = True, batch_size: int = 500,
                 class_names: tuple[str, ...] | None = None) -> None:
        self.id = id
        self.info = info
        self.input_shape = tuple(int(s) for s in input_shape)
        self.class_names = tuple(class_names) if class_names else None
        self.batch_size = int(batch_size)
        self._fn = fn
        self._logits = logits
        self.model: Any = None  # the underlying Keras model, when there is one

    def __repr__(self) -> str:
        return f"FeatureExtractor({self.id!r}, input_shape={self.input_shape})"

    def _check(self, x: Any) -> np.ndarray:
        x = np.asarray(x)
        if x.ndim == len(self.input_shape) and x.shape[-1] != 1 and self.input_shape[-1] == 1:
            x = x[..., None]  # (n, H, W) -> (n, H, W, 1)
        if x.ndim != len(self.input_shape) + 1 or tuple(x.shape[1:]) != self.input_shape:
            raise MpganError(f"extractor {self.id} expects samples of shape (n, "
                             f"{', '.join(map(str, self.input_shape))}), got {tuple(x.shape)}")
        if x.dtype.kind not in "biuf":
            raise MpganError(f"extractor {self.id} needs numeric images, got dtype {x.dtype}")
        x = x.astype(np.float32, copy=False)
        if not np.isfinite(x).all():
            raise MpganError(f"extractor {self.id} got {int((~np.isfinite(x)).sum())} NaN/Inf values "
                             "in its input; the samples (or the generator) are broken")
        return x

    def features_and_probabilities(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Both outputs from one pass over ``x`` (what the metrics use)."""
        x = self._check(x)
        feats, second = [], []
        for start in range(0, len(x), self.batch_size):
            f, s = self._fn(x[start:start + self.batch_size])
            feats.append(np.asarray(f, dtype=np.float64))
            second.append(np.asarray(s, dtype=np.float64))
        if not feats:
            raise MpganError(f"extractor {self.id} got 0 samples")
        out = np.concatenate(second)
        if self._logits:
            out = np.exp(out - out.max(axis=1, keepdims=True))
        out /= out.sum(axis=1, keepdims=True)
        return np.concatenate(feats), out

    def features(self, x: np.ndarray) -> np.ndarray:
        """Float64 features ``(n, d)`` of images ``x`` (in the model's value range)."""
        return self.features_and_probabilities(x)[0]

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities ``(n, n_classes)`` (softmax of the classifier's logits)."""
        return self.features_and_probabilities(x)[1]


def _traced(model: Any, input_shape: tuple[int, ...], preprocess: Callable | None = None) -> Callable:
    """One traced inference function (fixed signature: no retracing per batch size)."""
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec((None, *input_shape), tf.float32)],
                 reduce_retracing=True)
    def fn(x):
        if preprocess is not None:
            x = preprocess(x)
        return model(x, training=False)

    def call(batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        f, s = fn(tf.constant(batch))
        return f.numpy(), s.numpy()

    return call


# --------------------------------------------------------------------------- classifier


def default_cache_dir() -> Path:
    """``$MPGAN_CACHE`` if set, else ``~/.cache/mpgan/extractors``."""
    env = os.environ.get("MPGAN_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "mpgan" / "extractors"


def _canonical(obj: Any) -> Any:
    """JSON-able, order-independent form of dataset params for hashing."""
    if isinstance(obj, dict):
        return {str(k): _canonical(v) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))}
    if isinstance(obj, (list, tuple)):
        return [_canonical(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return {"ndarray": hashlib.sha256(np.ascontiguousarray(obj).tobytes()).hexdigest(),
                "shape": list(obj.shape), "dtype": str(obj.dtype)}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    return repr(obj)


def _digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()


def _data_fingerprint(x: np.ndarray, y: np.ndarray) -> str:
    """Hash of the training arrays, so edited data files never reuse a stale extractor."""
    h = hashlib.sha256()
    for a in (np.ascontiguousarray(x, dtype=np.float32), np.ascontiguousarray(y, dtype=np.int64)):
        h.update(str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _split(y: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded stratified train/held-out indices (plain random when a class is too small)."""
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(y))
    try:
        return train_test_split(idx, test_size=fraction, random_state=seed, stratify=y)
    except ValueError:
        return train_test_split(idx, test_size=fraction, random_state=seed)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    from ..io import atomic_write_text

    atomic_write_text(path, json.dumps(data, indent=1))


def _save_weights(model: Any, path: Path) -> None:
    """Atomic ``save_weights``: a temp name ending in ``.weights.h5`` beside it, then replace."""
    from ..io import atomic_save

    atomic_save(path, lambda tmp: model.save_weights(tmp), suffix=".weights.h5")


def _labelled_images(ds: Any, dataset_name: str) -> tuple[np.ndarray, int]:
    """The labels and class count of an image dataset fit to train the extractor on."""
    if ds.spec.kind != "image":
        raise DataError(f"image metrics need an image dataset, but '{dataset_name}' holds "
                        f"{ds.spec.kind} data")
    if ds.y is None:
        raise DataError(f"image metrics need a labelled dataset to train their feature extractor, or "
                        f"a local InceptionV3 weights file (inception_extractor); '{dataset_name}' "
                        "has no labels")
    y = np.asarray(ds.y, dtype=np.int64)
    if len(np.unique(y)) < 2:
        raise DataError(f"image metrics need at least 2 label classes in '{dataset_name}', found "
                        f"{len(np.unique(y))}")
    if len(y) < 20:
        raise DataError(f"'{dataset_name}' has only {len(y)} labelled images; training a feature "
                        "extractor needs at least 20")
    return y, int(ds.spec.num_classes or int(y.max()) + 1)


def classifier_extractor(dataset_name: str, dataset_params: dict[str, Any] | None = None,
                         seed: int = 0, epochs: int = 8,
                         cache_dir: str | os.PathLike | None = None) -> FeatureExtractor:
    """The default extractor: a CNN classifier trained on the labelled dataset itself.

    Trained once with ``seed`` (Adam, 85/15 seeded stratified split, held-out
    accuracy recorded), then cached as ``<dataset>-<hash>.weights.h5`` + ``.json``
    under ``cache_dir`` (default :func:`default_cache_dir`); the key hashes the
    dataset name, all its params, the training data itself, the architecture, the
    seed, epochs and training settings. Later calls load the cache; calls in the
    same process return the same object. Features are the "features" layer (128-d).
    """
    from ..data import load_dataset

    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise MpganError(f"classifier_extractor epochs must be a positive integer, got {epochs!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise MpganError(f"classifier_extractor seed must be an integer, got {seed!r}")
    params = dict(dataset_params or {})
    folder = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    request = {"version": CACHE_VERSION, "dataset": dataset_name, "params": _canonical(params),
               "architecture": ARCHITECTURE, "training": TRAINING, "seed": int(seed),
               "epochs": int(epochs)}
    memo_key = _digest({**request, "cache_dir": str(folder.resolve())})
    if memo_key in _MEMO:
        return _MEMO[memo_key]

    ds = load_dataset(dataset_name, **params)
    y, num_classes = _labelled_images(ds, dataset_name)
    # Keyed by the source the dataset resolved to, so `source: auto` and the source it picked share
    # one cached extractor.
    resolved = _canonical({**params, **ds.info.get("resolved_params", {})})
    key = {**request, "params": resolved, "data": _data_fingerprint(ds.x, y), "input_shape": list(ds.spec.shape),
           "num_classes": num_classes}
    digest = _digest(key)
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in dataset_name)
    weights_path = folder / f"{safe}-{digest[:16]}.weights.h5"
    meta_path = folder / f"{safe}-{digest[:16]}.json"
    class_names = tuple(ds.class_names) if ds.class_names else tuple(str(i) for i in range(num_classes))
    with _seeded(int(seed)):
        model = _build(ds.spec, num_classes)

    meta, trained = _cached_or_trained(model, ds, y, weights_path, meta_path, digest, int(seed), epochs)
    if trained:
        meta.update({"key": digest, "key_fields": key, "dataset": dataset_name,
                     "params": _canonical(params), "input_shape": list(ds.spec.shape),
                     "num_classes": num_classes, "class_names": list(class_names),
                     "epochs": int(epochs), "seed": int(seed), "weights": weights_path.name})
        _write_cache(model, weights_path, meta_path, meta)
    info = {k: meta[k] for k in ("dataset", "params", "input_shape", "num_classes", "epochs",
                                 "seed", "holdout_accuracy", "n_train", "n_holdout", "key")}
    info.update(kind="classifier", architecture=dict(ARCHITECTURE), training=dict(TRAINING),
                weights=str(weights_path), class_names=list(class_names))
    ext = FeatureExtractor(f"classifier:{safe}:{digest[:8]}", info, _traced(model, ds.spec.shape),
                           ds.spec.shape, logits=True, class_names=class_names)
    ext.model = model  # the trained classifier: outputs ("features", logits)
    _MEMO[memo_key] = ext
    return ext


def _cached_or_trained(model: Any, ds: Any, y: np.ndarray, weights_path: Path, meta_path: Path, digest: str,
                       seed: int, epochs: int) -> tuple[dict[str, Any], bool]:
    """The cache entry's record with its weights loaded into ``model``, else a fresh training
    record (without the key fields yet: the caller adds them and writes the cache), and
    whether it was trained."""
    meta = _read_meta(meta_path, digest)
    if meta is not None and weights_path.is_file():
        try:
            model.load_weights(str(weights_path))
            return meta, False
        except Exception:
            pass  # unreadable/corrupt cache entry: retrain and overwrite
    with _seeded(seed):
        return _train(model, ds.x, y, seed, epochs), True


def _write_cache(model: Any, weights_path: Path, meta_path: Path, meta: dict[str, Any]) -> None:
    try:
        weights_path.parent.mkdir(parents=True, exist_ok=True)
        _save_weights(model, weights_path)
        _write_json(meta_path, meta)
    except OSError as exc:
        raise MpganError(f"cannot write the feature extractor cache in {weights_path.parent}: "
                         f"{exc.strerror or exc}; set MPGAN_CACHE or pass cache_dir") from None


@contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Seed Python/NumPy/TF/Keras (weight init, dropout, shuffling) for a reproducible
    extractor, then restore the Python and NumPy global states so a training run that
    builds the extractor mid-way keeps its own random streams."""
    import keras

    py_state, np_state = random.getstate(), np.random.get_state()
    keras.utils.set_random_seed(seed)
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)


def _build(spec: Any, num_classes: int) -> Any:
    """The classifier with both outputs: ("features", logits)."""
    import keras

    from ..models.classifier import build_classifier, classifier_features

    clf = build_classifier(spec, num_classes, **ARCHITECTURE)
    feats = classifier_features(clf)
    return keras.Model(clf.inputs[0], [feats.outputs[0], clf.outputs[0]], name="classifier_extractor")


def _read_meta(path: Path, digest: str) -> dict[str, Any] | None:
    try:
        meta = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) and meta.get("key") == digest else None


def _train(model: Any, x: np.ndarray, y: np.ndarray, seed: int, epochs: int) -> dict[str, Any]:
    """Fit the classifier on 85% of the data and measure accuracy on the seeded 15% held out."""
    import keras

    from ..models.classifier import train_classifier

    train_idx, hold_idx = _split(y, TRAINING["holdout"], seed)
    clf = keras.Model(model.inputs[0], model.outputs[1])  # logits only, shares the weights
    train_classifier(clf, x[train_idx], y[train_idx], epochs=epochs, seed=seed,
                     batch_size=TRAINING["batch_size"], validation_split=0.0,
                     learning_rate=TRAINING["learning_rate"])
    logits = np.concatenate([np.asarray(clf(x[hold_idx][i:i + 500], training=False))
                             for i in range(0, len(hold_idx), 500)])
    acc = float(np.mean(np.argmax(logits, axis=1) == y[hold_idx]))
    return {"holdout_accuracy": acc, "n_train": int(len(train_idx)), "n_holdout": int(len(hold_idx))}


def clear_memo() -> None:
    """Forget the in-process extractors (the disk cache stays)."""
    _MEMO.clear()


# --------------------------------------------------------------------------- Inception


def inception_extractor(weights_path: str | os.PathLike) -> FeatureExtractor:
    """InceptionV3 from a local weights file: 2048-d ``avg_pool`` features, 1000-class top.

    Images ``(n, H, W, 1)`` in [-1, 1] are resized to 299x299 (bilinear) and repeated to
    three channels; [-1, 1] is already Inception's input range. Slow on a CPU.
    """
    path = Path(os.fspath(weights_path)).expanduser()
    if not path.is_file():
        raise MpganError(f"InceptionV3 weights file {path} does not exist; pass a local "
                         ".h5 file with the include_top ImageNet weights (it cannot be downloaded here)")
    stat = path.stat()
    memo_key = f"inception:{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
    if memo_key in _MEMO:
        return _MEMO[memo_key]
    import keras
    import tensorflow as tf

    try:
        base = keras.applications.InceptionV3(weights=str(path), include_top=True)
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise MpganError(f"cannot load InceptionV3 weights from {path}: {first}") from None
    model = keras.Model(base.inputs[0], [base.get_layer("avg_pool").output, base.outputs[0]])

    def preprocess(x):
        x = tf.image.resize(x, (299, 299), method="bilinear")
        x = tf.clip_by_value(x, -1.0, 1.0)
        return tf.repeat(x, 3, axis=-1) if x.shape[-1] == 1 else x

    def make(shape: tuple[int, ...]) -> Callable:
        return _traced(model, shape, preprocess)

    info = {"kind": "inception", "weights": str(path), "features": 2048, "num_classes": 1000,
            "input_size": [299, 299]}
    ext = _InceptionExtractor(f"inception:{path.name}", info, make)
    _MEMO[memo_key] = ext
    return ext


class _InceptionExtractor(FeatureExtractor):
    """Inception accepts any single- or three-channel image size; one traced function per shape."""

    def __init__(self, id: str, info: dict[str, Any], make: Callable[[tuple[int, ...]], Callable]):
        super().__init__(id, info, fn=lambda b: (b, b), input_shape=(None, None, None),
                         logits=False, batch_size=32)
        self._make = make
        self._fns: dict[tuple[int, ...], Callable] = {}

    def _check(self, x: Any) -> np.ndarray:
        x = np.asarray(x)
        if x.ndim == 3:
            x = x[..., None]
        if x.ndim != 4 or x.shape[-1] not in (1, 3):
            raise MpganError(f"extractor {self.id} expects images of shape (n, H, W, 1) or "
                             f"(n, H, W, 3), got {tuple(x.shape)}")
        x = x.astype(np.float32, copy=False)
        if not np.isfinite(x).all():
            raise MpganError(f"extractor {self.id} got NaN/Inf values in its input")
        shape = tuple(int(s) for s in x.shape[1:])
        if shape not in self._fns:
            self._fns[shape] = self._make(shape)
        self._fn = self._fns[shape]
        return x


__all__ = ["FeatureExtractor", "classifier_extractor", "clear_memo", "default_cache_dir",
           "inception_extractor"]
