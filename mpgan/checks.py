"""Argument checks shared by every part of mpgan, each raising the caller's error class
with one sentence naming the bad argument."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .errors import MpganError


def positive_int(value: Any, name: str, owner: str, error: type[MpganError] = MpganError) -> int:
    """``value`` as an int >= 1, or ``error("{owner} {name} must be a positive integer, got ...")``.
    Bools and floats with a fraction are refused; 3.0 is 3."""
    ok = not isinstance(value, bool) and isinstance(value, int | float | np.integer | np.floating)
    if not ok or int(value) != value or value < 1:
        raise error(f"{owner} {name} must be a positive integer, got {value!r}")
    return int(value)


def writable_path(path: Any, *, folder: bool, what: str) -> Path:
    """``path`` as a :class:`~pathlib.Path` once it is sure it can be written: a file (or, with
    ``folder``, a folder) that is not the other kind, whose nearest existing folder up the
    tree is a folder mpgan may write in. Called on every output path before anything trains,
    so a mistake costs nothing and leaves nothing behind."""
    import os

    path = Path(path)
    if path.exists() and path.is_dir() != folder:
        raise MpganError(f"{what} {path} is a {'file' if folder else 'folder'}; expected "
                         f"{'a folder' if folder else 'a file path'}")
    probe = path if folder and path.is_dir() else path.parent
    while not probe.exists() and probe != probe.parent:
        if probe.is_symlink():  # a dangling link: nothing can be created through it
            break
        probe = probe.parent
    if not probe.is_dir():
        raise MpganError(f"{what} {path} cannot be created: {probe} is {'a file' if probe.exists() else 'missing'}"
                         ", not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise MpganError(f"{what} {path} cannot be written: the folder {probe} is not writable")
    return path


__all__ = ["positive_int", "writable_path"]
