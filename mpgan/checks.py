"""Argument checks shared by every part of mpgan, each raising the caller's error class
with one sentence naming the bad argument."""

from __future__ import annotations

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


__all__ = ["positive_int"]
