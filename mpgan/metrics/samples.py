"""Score images that mpgan did not make: an array or a folder of PNG files from any framework,
against a dataset's held-out split, with the same extractor, ladder, class shares and label
agreement as a trained run.

:class:`SampleSet` stands in for a trained run (the :class:`~.context.Run` protocol), so every
registered image metric scores it unchanged; :func:`evaluate_samples` is the one call.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError, MpganError


def read_images(path: str | Path) -> np.ndarray:
    """The images in ``path`` as stored: a ``.npy`` array, an ``.npz`` / ``.h5`` file (its one
    array, or the one named x, x_train, images or samples), or a folder of ``.png`` files read
    in name order."""
    from ..data.images import read_grey, read_image_arrays

    p = Path(path)
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if not f.name.startswith("."))
        if not files:
            raise DataError(f"--samples folder {p} is empty; it should hold the generated images as PNG files")
        others = [f.name for f in files if f.suffix.lower() != ".png" or not f.is_file()]
        if others:
            raise DataError(f"--samples folder {p} holds {len(others)} file(s) that are not PNG images "
                            f"({', '.join(others[:3])}{', ...' if len(others) > 3 else ''}); keep only the samples "
                            "there")
        images = read_grey(files)
        shapes = sorted({a.shape for a in images})
        if len(shapes) > 1:
            raise DataError(f"--samples folder {p} mixes image sizes "
                            f"{', '.join('×'.join(map(str, s)) for s in shapes)}; every sample must have the "
                            "dataset's size")
        return np.stack(images)
    if not p.is_file():
        raise DataError(f"--samples {p} does not exist; pass a .npy or .npz array or a folder of PNG files")
    return read_image_arrays(p)[0]


def to_model_space(raw: Any, shape: Sequence[int], what: str = "--samples") -> tuple[np.ndarray, str]:
    """``raw`` images as mpgan's model space (float32 in [-1, 1], ``(n, *shape)``), and the scale
    they were read in (:func:`mpgan.data.images.pixel_scale`). ``raw`` is ``(n, H, W)`` or
    ``(n, H, W, 1)`` matching ``shape``."""
    from ..data.images import pixel_scale, pixels_to_model, scaled_to_pixels

    x = np.asarray(raw)
    if x.dtype.kind not in "biuf":
        raise DataError(f"{what} must hold numbers, got an array of {x.dtype}")
    h, w = int(shape[0]), int(shape[1])
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim != 3:
        raise DataError(f"{what} has shape {tuple(np.shape(raw))}; expected (n, {h}, {w}) or (n, {h}, {w}, 1) "
                        "single-channel images")
    if x.shape[1:] != (h, w):
        raise DataError(f"{what} images are {x.shape[1]}×{x.shape[2]}, but the dataset's are {h}×{w}")
    if len(x) < 2:
        raise DataError(f"{what} holds {len(x)} image(s); scoring needs at least 2")
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        raise DataError(f"{what} contains {int((~np.isfinite(x)).sum())} NaN/Inf values")
    scale = pixel_scale(x, what)
    return pixels_to_model(scaled_to_pixels(x, scale))[..., None], scale


def read_labels(path: str | Path, n: int, num_classes: int) -> np.ndarray:
    """One class index per sample, from a ``.npy`` / ``.npz`` array or a text file (one per line)."""
    p = Path(path)
    if not p.is_file():
        raise DataError(f"--labels {p} does not exist; pass a .npy array or a text file with one class per line")
    if p.suffix in (".npy", ".npz", ".h5", ".hdf5"):
        from ..data.images import read_image_arrays

        y = read_image_arrays(p)[0]
    else:
        try:
            y = np.loadtxt(p, dtype=np.float64, ndmin=1, delimiter=",")
        except ValueError as exc:
            raise DataError(f"--labels {p} is not a list of class indices, one per line ({exc})") from None
    return check_labels(y, n, num_classes, f"--labels {p}")


def check_labels(labels: Any, n: int, num_classes: int, what: str = "labels") -> np.ndarray:
    y = np.asarray(labels).reshape(-1) if np.ndim(labels) > 0 else np.asarray([labels])
    if y.dtype.kind not in "biuf" or (y.dtype.kind == "f" and not np.all(np.isfinite(y) & (y == np.round(y)))):
        raise DataError(f"{what} must hold whole class indices 0..{num_classes - 1}")
    if len(y) != n:
        raise DataError(f"{what} has {len(y)} labels for {n} samples; give one class per sample")
    y = y.astype(np.int64)
    bad = y[(y < 0) | (y >= num_classes)]
    if len(bad):
        raise DataError(f"{what} has class {int(bad[0])}, outside the dataset's classes 0..{num_classes - 1}")
    return y


class SampleSet:
    """Images from outside mpgan, posing as a run: :meth:`sample` returns them in order, so the
    registered metrics score them as they score a run; ``labels`` (the class each sample was
    generated for) stand in for a conditional run's asked classes."""

    run_dir = None
    step = None
    epoch = None
    discriminators: list[Any] = []

    def __init__(self, x: np.ndarray, dataset: Any, config: Any, labels: np.ndarray | None = None,
                 scale: str = "symmetric", source: str = "array"):
        self.x, self.dataset, self.config, self.sample_labels = x, dataset, config, labels
        self.scale, self.source = scale, source
        self.condition_dim = int(dataset.spec.num_classes or 0) if labels is not None else 0

    def __len__(self) -> int:
        return len(self.x)

    def sample(self, n: int, seed: int = 0, labels: Any = None) -> np.ndarray:
        """The first ``n`` samples (their labels, if any, are what label agreement reads)."""
        if n > len(self.x):
            raise MpganError(f"{n} samples asked, but {self.source} holds {len(self.x)}")
        if labels is not None:
            raise MpganError(f"{self.source} cannot be sampled by class; its own labels say what each sample is")
        return self.x[:n]


def sample_set(samples: Any, data: str = "mnist", params: dict[str, Any] | None = None,
               labels: Any = None, source: str = "array") -> SampleSet:
    """A :class:`SampleSet` of ``samples`` (an array, or a path :func:`read_images` reads) for
    dataset ``data``: values detected and mapped to model space, shape and labels checked."""
    from ..config import load_config
    from ..data import load_dataset

    if isinstance(samples, (str, Path)):
        source = f"--samples {samples}"
        samples = read_images(samples)
    config = load_config({"name": "samples", "data": {"name": data, "params": dict(params or {})}})
    ds = load_dataset(data, **config.data.params)
    if ds.spec.kind != "image":
        raise DataError(f"--data {data} holds {ds.spec.kind} data; image samples are scored against an image "
                        "dataset (tables: mpgan evaluate --synthetic)")
    x, scale = to_model_space(samples, ds.spec.shape, source)
    y = None
    if labels is not None:
        k = int(ds.spec.num_classes or 0)
        if k < 2:
            raise DataError(f"--labels needs a labelled dataset; {data} has no classes")
        y = read_labels(labels, len(x), k) if isinstance(labels, (str, Path)) else check_labels(labels, len(x), k)
    return SampleSet(x, ds, config, labels=y, scale=scale, source=source)


def evaluate_samples(samples: Any, data: str = "mnist", labels: Any = None, *, params: dict[str, Any] | None = None,
                     n: int | None = None, metrics: list[str] | None = None, seed: int = 0,
                     out_dir: str | Path | None = None, plots: bool = True, ladder: bool = True) -> dict[str, Any]:
    """Score generated images against dataset ``data``'s held-out split, as a trained run is.

    ``samples``: an array ``(n, H, W)`` or ``(n, H, W, 1)`` in 0..255, [0, 1] or [-1, 1]
    (detected; the result says which), or a path (``.npy``, ``.npz``, a folder of PNGs).
    ``labels``: the class each sample was generated for (array or path), which adds label
    agreement. ``n``: score the first ``n`` (default all). Returns the metric dicts
    :func:`~mpgan.metrics.evaluate.evaluate` returns; with ``out_dir`` writes the same files.
    """
    from .evaluate import evaluate

    run = sample_set(samples, data, params, labels)
    n = len(run) if n is None else int(n)
    if n > len(run):
        raise DataError(f"--n {n} is more than the {len(run)} samples given")
    from ..data.images import PIXEL_SCALES

    return evaluate(run, n=n, metrics=metrics, seed=seed, out_dir=out_dir, plots=plots, ladder=ladder,
                    header={"samples": run.source, "value_scale": PIXEL_SCALES[run.scale],
                            "dataset": data, "data_source": run.dataset.info.get("source")})


__all__ = ["SampleSet", "evaluate_samples", "read_images", "read_labels", "sample_set", "to_model_space"]
