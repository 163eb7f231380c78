"""Single-channel image datasets: digits, image folders and arrays (MNIST lives in mnist.py).

All images reach the model as float32 ``(n, H, W, 1)`` in ``[-1, 1]`` (pixel ``p`` in
0..255 becomes ``p / 127.5 - 1``, matching a tanh generator); ``Dataset.inverse`` maps
model-space samples back to uint8 pixels of shape ``(n, H, W)`` (rounded, clipped).

``limit=N`` keeps a seeded random subset of N images (``seed``), in their original order.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np

from ..data_spec import Dataset, DataSpec
from ..errors import DataError
from ..registry import DATASETS
from ._checks import encode_labels, parse_size, resolve_path, subset_indices

IMAGE_EXTENSIONS: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
DIGIT_NAMES: tuple[str, ...] = tuple(str(i) for i in range(10))


# --------------------------------------------------------------------------- pixels


def pixels_to_model(pixels: np.ndarray) -> np.ndarray:
    """Pixels in 0..255 (any shape) -> float32 in [-1, 1]."""
    return np.asarray(pixels, dtype=np.float32) / np.float32(127.5) - np.float32(1.0)


def model_to_pixels(x: np.ndarray, shape: tuple[int, int] | None = None) -> np.ndarray:
    """Model-space images in [-1, 1] -> uint8 pixels ``(n, H, W)`` (rounded, clipped).

    Accepts ``(n, H, W, 1)``, ``(n, H, W)`` or, when ``shape=(H, W)`` is given, one
    image ``(H, W)`` / ``(H, W, 1)``. NaN maps to black.
    """
    x = np.nan_to_num(np.asarray(x, dtype=np.float64), nan=-1.0, posinf=1.0, neginf=-1.0)
    if shape is not None and x.shape in (tuple(shape), (*shape, 1)):
        x = x[None]
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim != 3 or (shape is not None and x.shape[1:] != tuple(shape)):
        want = f"(n, {shape[0]}, {shape[1]}, 1)" if shape else "(n, H, W, 1)"
        raise DataError(f"cannot turn an array of shape {x.shape} into images; expected {want}")
    return np.clip(np.rint((x + 1.0) * 127.5), 0, 255).astype(np.uint8)


def resize_images(images: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize ``(n, H, W)`` pixel arrays to ``size=(h, w)`` (bilinear, antialiased when shrinking).

    Uses PIL's float mode so no precision is lost to uint8 before the [-1, 1] mapping.
    """
    from PIL import Image

    images = np.asarray(images, dtype=np.float32)
    h, w = size
    if images.shape[1:3] == (h, w):
        return images
    out = np.empty((len(images), h, w), dtype=np.float32)
    for i, img in enumerate(images):
        out[i] = np.asarray(Image.fromarray(img, mode="F").resize((w, h), Image.BILINEAR))
    return np.clip(out, 0.0, 255.0)


def image_dataset(
    pixels: np.ndarray,
    name: str,
    *,
    y: np.ndarray | None = None,
    class_names: tuple[str, ...] | None = None,
    info: dict[str, Any] | None = None,
) -> Dataset:
    """Wrap ``(n, H, W)`` pixels in 0..255 as a [-1, 1] image Dataset with a uint8 inverse."""
    pixels = np.asarray(pixels)
    n, h, w = pixels.shape
    num_classes = len(class_names) if (y is not None and class_names) else None
    spec = DataSpec(kind="image", shape=(h, w, 1), value_range=(-1.0, 1.0),
                    num_classes=num_classes, name=name)
    return Dataset(
        x=pixels_to_model(pixels)[..., None],
        spec=spec,
        y=None if y is None else np.asarray(y, dtype=np.int64),
        class_names=class_names if y is not None else None,
        inverse=functools.partial(model_to_pixels, shape=(h, w)),
        info=dict(info or {}),
    )


def as_pixels(arr: np.ndarray, where: str) -> np.ndarray:
    """An image array in one of the accepted value ranges -> float32 pixels in 0..255.

    The rule: integers must lie in 0..255 (pixels); floats in [0, 1] are scaled by 255;
    floats in [-1, 1] with negatives are treated as model space; other floats within
    0..255 are pixels. Anything else is refused.
    """
    arr = np.asarray(arr)
    if arr.ndim == 4 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim != 3:
        hint = (f"; it has {arr.shape[-1]} channels: convert the images to grayscale first"
                if arr.ndim == 4 else "")
        raise DataError(
            f"{where} has shape {arr.shape}, expected (n, H, W) or (n, H, W, 1) single-channel images{hint}"
        )
    if arr.dtype.kind == "b":
        arr = arr.astype(np.float32)
    if arr.dtype.kind not in "iuf":
        raise DataError(f"{where} has dtype {arr.dtype}; images must be numeric (uint8 0..255 or float)")
    if arr.size == 0:
        return arr.astype(np.float32)
    return scaled_to_pixels(arr, pixel_scale(arr, where))


def scaled_to_pixels(arr: np.ndarray, scale: str) -> np.ndarray:
    """Images in ``scale`` (see :func:`pixel_scale`) -> float32 pixels in 0..255."""
    arr = np.asarray(arr, dtype=np.float32)
    return {"uint8": arr, "unit": arr * np.float32(255.0), "symmetric": (arr + np.float32(1.0)) * np.float32(127.5)}[scale]


#: The value ranges :func:`pixel_scale` tells apart, as they read in reports.
PIXEL_SCALES: dict[str, str] = {"uint8": "0..255", "unit": "[0, 1]", "symmetric": "[-1, 1]"}


def pixel_scale(arr: np.ndarray, where: str) -> str:
    """Which range a numeric image array holds: ``uint8`` (0..255), ``unit`` ([0, 1]) or
    ``symmetric`` ([-1, 1], model space). Integers must lie in 0..255; floats in [0, 1] are
    ``unit`` (it wins when no value is negative), with negatives in [-1, 1] ``symmetric``,
    other floats within 0..255 pixels. Anything else is refused."""
    finite = arr[np.isfinite(arr)] if arr.dtype.kind == "f" else arr
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    if arr.dtype.kind in "iu":
        if lo < 0 or hi > 255:
            raise DataError(f"{where} holds integers from {lo:g} to {hi:g}; integer images must be 0..255")
        return "uint8"
    if lo >= 0 and hi <= 1:
        return "unit"
    if lo >= -1 and hi <= 1:
        return "symmetric"
    if lo >= 0 and hi <= 255:
        return "uint8"
    raise DataError(
        f"{where} holds floats from {lo:g} to {hi:g}; float images must lie in [0, 1], [-1, 1] or [0, 255]"
    )


def read_grey(files: list[Path]) -> list[np.ndarray]:
    """Image files as 8-bit grayscale arrays (PIL's ``convert("L")``: RGB greys stay exact,
    alpha is ignored), or a DataError naming the file that cannot be read."""
    from PIL import Image, UnidentifiedImageError

    images = []
    for f in files:
        try:
            with Image.open(f) as im:
                images.append(np.asarray(im.convert("L"), dtype=np.uint8))
        except (UnidentifiedImageError, OSError, ValueError) as exc:
            raise DataError(f"image '{f}' could not be read ({exc}); fix or remove it") from None
    return images


# --------------------------------------------------------------------------- digits


@DATASETS.register("digits")
def digits(size: int | list[int] | tuple[int, int] | None = 28, seed: int = 0,
           limit: int | None = None) -> Dataset:
    """scikit-learn's bundled 8x8 handwritten digits (1797 images, no download), resized to `size`.

    Values 0..16 are scaled to 0..255 before a bilinear resize; ``size=8`` (or None)
    keeps the original resolution. Labels are the digits 0-9.
    """
    from sklearn.datasets import load_digits

    hw = parse_size(size, "digits") or (8, 8)
    bunch = load_digits()
    images = bunch.images.astype(np.float32) * np.float32(255.0 / 16.0)
    labels = bunch.target.astype(np.int64)
    idx = subset_indices(len(images), limit, seed, "digits")
    if idx is not None:
        images, labels = images[idx], labels[idx]
    return image_dataset(
        resize_images(images, hw), "digits", y=labels, class_names=DIGIT_NAMES,
        info={"source": "sklearn.datasets.load_digits", "original_size": [8, 8]},
    )


# --------------------------------------------------------------------------- folders & arrays


def _is_hidden(rel: Path) -> bool:
    return any(part.startswith(".") for part in rel.parts)


@DATASETS.register("image_folder")
def image_folder(path: str, size: int | list[int] | None = None, limit: int | None = None,
                 seed: int = 0, labels: bool = True) -> Dataset:
    """Grayscale images (PNG/JPEG/BMP/GIF) from a folder tree; subfolder names become labels.

    Files are found recursively (hidden ones skipped) and converted to 8-bit grayscale
    with PIL (alpha ignored, first GIF frame). When every image sits in a first-level
    subfolder and ``labels`` is true, the sorted subfolder names are the classes.
    Images of different sizes need ``size``.
    """
    root = resolve_path(path, "image folder")
    if not root.is_dir():
        raise DataError(f"image folder '{root}' is a file, not a folder; pass the folder that holds the images")
    files = sorted(
        p for p in root.rglob("*")
        if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file() and not _is_hidden(p.relative_to(root))
    )
    if not files:
        raise DataError(
            f"image folder '{root}' holds no images; put files ending in {', '.join(IMAGE_EXTENSIONS)} "
            "in it or its subfolders"
        )
    hw = parse_size(size, "image_folder")
    idx = subset_indices(len(files), limit, seed, "image_folder")
    if idx is not None:
        files = [files[i] for i in idx]
    images = read_grey(files)
    shapes = {im.shape for im in images}
    if hw is None and len(shapes) > 1:
        first = images[0].shape
        j = next(i for i, im in enumerate(images) if im.shape != first)
        raise DataError(
            f"image folder '{root}' mixes image sizes: '{files[0].relative_to(root)}' is "
            f"{first[0]}x{first[1]} (HxW) but '{files[j].relative_to(root)}' is "
            f"{images[j].shape[0]}x{images[j].shape[1]}; pass size=[H, W] to resize them all"
        )
    if hw is not None:
        pixels = np.stack([resize_images(im[None], hw)[0] for im in images])
    else:
        pixels = np.stack(images).astype(np.float32)
    y = class_names = None
    rels = [f.relative_to(root) for f in files]
    if labels and all(len(r.parts) >= 2 for r in rels):
        y, class_names, _ = encode_labels(np.array([r.parts[0] for r in rels]), "image_folder")
    return image_dataset(pixels, "image_folder", y=y, class_names=class_names,
                         info={"source": str(root), "files": len(files)})


_DEFAULT_KEYS = ("x", "x_train", "images", "samples")
_LABEL_PAIRS = {"x": "y", "x_train": "y_train", "x_test": "y_test", "images": "labels"}


def _choose_key(keys: list[str], key: str | None, path: Path) -> str:
    if key is not None:
        if key not in keys:
            raise DataError(f"array file '{path}' has no key '{key}'; its keys are {keys}")
        return key
    for k in _DEFAULT_KEYS:
        if k in keys:
            return k
    if len(keys) == 1:
        return keys[0]
    raise DataError(
        f"array file '{path}' holds several arrays {keys} and none is named x, x_train, images or samples; "
        "pass key= to choose one"
    )


def read_image_arrays(p: Path, key: str | None = None, labels_key: str | None = None
                      ) -> tuple[np.ndarray, np.ndarray | None, str | None, str | None]:
    """(images, labels or None, their keys) from a .npy, .npz or .h5 file, as stored."""
    suffix = p.suffix.lower()
    if suffix == ".npy":
        if key is not None or labels_key is not None:
            raise DataError(f"'{p}' is a .npy file holding one array; key= and labels_key= apply to .npz/.h5 only")
        try:
            return np.load(p, allow_pickle=False), None, None, None
        except Exception as exc:
            raise DataError(f"array file '{p}' could not be read ({exc}); save it with numpy.save") from None
    if suffix == ".npz":
        try:
            z = np.load(p, allow_pickle=False)
        except Exception as exc:
            raise DataError(f"array file '{p}' could not be read ({exc}); save it with numpy.savez") from None
        with z:
            keys = list(z.files)
            k = _choose_key(keys, key, p)
            lk = labels_key if labels_key is not None else _LABEL_PAIRS.get(k)
            if labels_key is not None and lk not in keys:
                raise DataError(f"array file '{p}' has no labels key '{lk}'; its keys are {keys}")
            lk = lk if lk in keys else None
            return z[k], (z[lk] if lk else None), k, lk
    if suffix in (".h5", ".hdf5"):
        import h5py

        try:
            f = h5py.File(p, "r")
        except OSError as exc:
            raise DataError(f"HDF5 file '{p}' could not be opened ({exc}); check that it is HDF5") from None
        with f:
            keys: list[str] = []
            f.visititems(lambda n, o: keys.append(n) if isinstance(o, h5py.Dataset) else None)
            k = _choose_key(keys, key, p)
            lk = labels_key if labels_key is not None else _LABEL_PAIRS.get(k)
            if labels_key is not None and lk not in keys:
                raise DataError(f"HDF5 file '{p}' has no labels dataset '{lk}'; its datasets are {keys}")
            lk = lk if lk in keys else None
            return f[k][()], (f[lk][()] if lk else None), k, lk
    raise DataError(f"array file '{p}' has an unsupported extension; use .npy, .npz, .h5 or .hdf5")


@DATASETS.register("image_array")
def image_array(path: str, key: str | None = None, labels_key: str | None = None,
                size: int | list[int] | None = None, limit: int | None = None, seed: int = 0) -> Dataset:
    """Grayscale images from a .npy/.npz/.h5 array of shape (n, H, W) or (n, H, W, 1).

    ``key`` picks the array (default: x, x_train, images, or the only one); labels come
    from ``labels_key`` or, by default, the matching y / y_train / y_test / labels array.
    Value ranges: integers 0..255; floats in [0, 1] (x255), in [-1, 1] with negatives
    (model space), or in [0, 255]; [0, 1] wins when no value is negative.
    """
    p = resolve_path(path, "image array file")
    x, y, k, lk = read_image_arrays(p, key, labels_key)
    where = f"array '{k}' in '{p}'" if k else f"array file '{p}'"
    if x.ndim < 1 or len(x) == 0:
        raise DataError(f"{where} holds no images; check the file and key")
    if y is not None:
        y = np.asarray(y).reshape(len(y), -1)
        if y.shape[1] != 1 or len(y) != len(x):
            raise DataError(f"labels '{lk}' in '{p}' have shape {y.shape}; expected one label per image ({len(x)})")
        y = y[:, 0]
    idx = subset_indices(len(x), limit, seed, "image_array")
    if idx is not None:
        x = x[idx]
        y = None if y is None else y[idx]
    pixels = as_pixels(x, where)
    hw = parse_size(size, "image_array")
    if hw is not None:
        pixels = resize_images(pixels, hw)
    class_names = None
    if y is not None:
        y, class_names, _ = encode_labels(y, "image_array")
    return image_dataset(pixels, "image_array", y=y, class_names=class_names,
                         info={"source": str(p), "key": k, "labels_key": lk})
