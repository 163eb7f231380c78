"""Datasets: registered factories that return a :class:`~mpgan.data_spec.Dataset`.

Importing this package registers every built-in dataset in ``DATASETS``:
images (``digits``, ``mnist``, ``fashion_mnist``, ``image_folder``, ``image_array``),
tables (``breast_cancer``, ``wine``, ``csv``, ``dataframe``) and toys (``rayleigh``,
``gaussian_mixture``, ``normal``). Use :func:`load_dataset` rather than the registry
directly: it also refuses empty data and NaN/Inf values with a clear message.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..data_spec import Dataset
from ..errors import DataError
from ..registry import DATASETS
from . import images, mnist, tabular, toy  # noqa: F401  (imported to register the datasets)
from ._checks import DATA_ROOT, data_root
from .idx import read_idx, write_idx
from .images import model_to_pixels, pixels_to_model
from .tabular import TabularTransformer


def check_dataset(ds: Any, name: str) -> Dataset:
    """Refuse a factory result that is not a Dataset, is empty, or holds NaN/Inf."""
    if not isinstance(ds, Dataset):
        raise DataError(f"dataset '{name}' returned {type(ds).__name__}, not an mpgan Dataset; fix its factory")
    if len(ds) == 0:
        raise DataError(f"dataset '{name}' is empty (0 samples); check its files or parameters")
    bad = ~np.isfinite(ds.x)
    if bad.any():
        rows = bad.reshape(len(ds.x), -1).any(axis=1)
        raise DataError(
            f"dataset '{name}' contains {int(bad.sum())} NaN/Inf values (first at row "
            f"{int(np.argmax(rows))}); clean or impute them before training"
        )
    return ds


def load_dataset(name: str, **params: Any) -> Dataset:
    """Build the registered dataset ``name`` with ``params`` and validate it.

    Unknown names raise ``UnknownNameError`` listing the known ones; bad parameters,
    missing files, empty data and NaN/Inf values raise ``DataError``/``MpganError``.
    """
    ds = check_dataset(DATASETS.build(name, **params), name)
    ds.info.setdefault("dataset", name)
    return ds


def load_heldout(name: str, params: dict[str, Any]) -> Dataset | None:
    """The held-out ("test") split of a dataset trained on its "train" split, or None.

    Only datasets whose factory takes a ``split`` parameter have one (MNIST-like);
    ``limit`` is dropped so the whole held-out split is available.
    """
    import inspect

    factory = DATASETS.get(name)
    if "split" not in inspect.signature(factory).parameters or params.get("split", "train") != "train":
        return None
    held = {k: v for k, v in params.items() if k != "limit"}
    try:
        return load_dataset(name, **{**held, "split": "test"})
    except DataError:  # e.g. local train files without their t10k pair
        return None


__all__ = [
    "DATA_ROOT", "TabularTransformer", "check_dataset", "data_root", "load_dataset", "load_heldout",
    "model_to_pixels", "pixels_to_model", "read_idx", "write_idx",
]
