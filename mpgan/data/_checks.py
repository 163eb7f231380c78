"""Small helpers shared by the dataset factories: data root, argument checks, subsets."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .. import checks
from ..errors import DataError

#: Repo-relative default data root (``<repo>/datasets``); used when it exists,
#: otherwise ``./datasets`` in the current directory. ``MPGAN_DATA`` overrides both.
_REPO_DATA_ROOT = Path(__file__).resolve().parents[2] / "datasets"


def data_root() -> Path:
    """The folder searched for local data files, read at each call.

    ``$MPGAN_DATA`` wins; otherwise the repo's ``datasets/`` folder (editable
    installs and checkouts), otherwise ``./datasets``.
    """
    env = os.environ.get("MPGAN_DATA")
    if env:
        return Path(env).expanduser()
    if _REPO_DATA_ROOT.is_dir():
        return _REPO_DATA_ROOT
    return Path.cwd() / "datasets"


#: The data root as resolved when mpgan was imported (see :func:`data_root`).
DATA_ROOT: Path = data_root()


def resolve_path(path: str | os.PathLike[str], what: str) -> Path:
    """``path`` as given if it exists, else relative to the data root; a DataError if neither.

    Lets configs say ``path: adult.csv`` for a file kept in ``datasets/``.
    """
    p = Path(path).expanduser()
    if p.exists():
        return p
    if not p.is_absolute():
        alt = data_root() / p
        if alt.exists():
            return alt
        raise DataError(
            f"{what} '{path}' does not exist (also looked for {alt}); check the path or "
            "set MPGAN_DATA to the folder that holds it"
        )
    raise DataError(f"{what} '{path}' does not exist; check the path")


def positive_int(value: Any, name: str, dataset: str) -> int:
    """``value`` as an int >= 1, or a DataError naming the dataset's parameter."""
    return checks.positive_int(value, name, f"dataset '{dataset}':", DataError)


def positive_float(value: Any, name: str, dataset: str) -> float:
    """``value`` as a finite float > 0, or a DataError naming the parameter."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = float("nan")
    if isinstance(value, bool) or not np.isfinite(v) or v <= 0:
        raise DataError(f"dataset '{dataset}': {name} must be a positive number, got {value!r}")
    return v


def parse_size(size: Any, dataset: str) -> tuple[int, int] | None:
    """``size`` (None, an int or ``[H, W]``) as ``(H, W)``."""
    if size is None:
        return None
    if isinstance(size, int | np.integer) and not isinstance(size, bool):
        s = positive_int(size, "size", dataset)
        return (s, s)
    if isinstance(size, Sequence) and not isinstance(size, str) and len(size) == 2:
        return (positive_int(size[0], "size[0]", dataset), positive_int(size[1], "size[1]", dataset))
    raise DataError(
        f"dataset '{dataset}': size must be an integer or a pair [height, width], got {size!r}"
    )


def subset_indices(n: int, limit: int | None, seed: int, dataset: str) -> np.ndarray | None:
    """Indices of a seeded random subset of ``limit`` of ``n`` samples, kept in original order.

    ``None`` when ``limit`` is None or >= n (keep everything). A random subset rather
    than the first N because many sources (image folders, wine, CSVs) are sorted by class.
    """
    if limit is None:
        return None
    limit = positive_int(limit, "limit", dataset)
    if limit >= n:
        return None
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=limit, replace=False))


def encode_labels(labels: np.ndarray, dataset: str) -> tuple[np.ndarray, tuple[str, ...], int]:
    """Labels as int64 class ids, their names and the class count.

    Non-negative integers are kept as ids (``num_classes = max + 1``); anything else
    (strings, negative or fractional numbers) is mapped to sorted unique values.
    """
    labels = np.asarray(labels).reshape(-1)
    if labels.size == 0:
        return labels.astype(np.int64), (), 0
    if labels.dtype.kind in "iub" or (
        labels.dtype.kind == "f" and np.all(np.isfinite(labels)) and np.all(labels == np.round(labels))
    ):
        ids = labels.astype(np.int64)
        if ids.min() >= 0:
            k = int(ids.max()) + 1
            return ids, tuple(str(i) for i in range(k)), k
    try:
        values, ids = np.unique(labels, return_inverse=True)
    except TypeError as exc:
        raise DataError(f"dataset '{dataset}': labels of mixed types cannot be sorted ({exc})") from None
    return ids.astype(np.int64).reshape(-1), tuple(str(v) for v in values), len(values)
