"""Deferred imports, so ``mpgan --help``, ``mpgan list`` and ``import mpgan`` stay fast.

TensorFlow takes seconds to import. Modules that register entries (models,
objectives) only need it inside their factories, so they bind ``keras`` / ``tf`` to a
:class:`LazyModule` that imports the real module on first attribute access.
"""

from __future__ import annotations

import importlib
import types
from typing import Any


class LazyModule(types.ModuleType):
    """A stand-in for module ``target`` that imports it when an attribute is first read."""

    def __init__(self, target: str) -> None:
        super().__init__(target)
        self.__dict__["_target"] = target

    def __getattr__(self, attr: str) -> Any:
        module = importlib.import_module(self.__dict__["_target"])
        value = getattr(module, attr)
        return value

    def __dir__(self) -> list[str]:
        return dir(importlib.import_module(self.__dict__["_target"]))


def lazy_module(target: str) -> Any:
    """``LazyModule(target)``, typed ``Any`` so call sites read like the real module."""
    return LazyModule(target)


__all__ = ["LazyModule", "lazy_module"]
