"""Named, pluggable factories: generators, discriminators, datasets, objectives, and the
training step's parts (schedules, regularizers, augmentations).

A fork adds an entry by decorating a factory::

    from mpgan import GENERATORS

    @GENERATORS.register("my_gen")
    def my_gen(data_spec, latent_dim=100, width=64):
        \"\"\"One line that `mpgan list` shows.\"\"\"
        ...
        return keras.Model(...)

A separately installed package adds entries without editing mpgan by declaring an
entry point in the group ``mpgan.plugins`` that names a module (imported, so its
decorators run) or a callable (called with no arguments).
"""

from __future__ import annotations

import difflib
import importlib.metadata
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .errors import MpganError, UnknownNameError

PLUGIN_GROUP = "mpgan.plugins"


@dataclass(frozen=True)
class Entry:
    name: str
    factory: Callable[..., Any]
    description: str
    source: str  # "mpgan" or the plugin's entry-point name


def _first_line(doc: str | None) -> str:
    for line in (doc or "").strip().splitlines():
        if line.strip():
            return line.strip()
    return ""


class Registry:
    """A mapping from names to factories of one kind ("generator", "dataset", ...)."""

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, Entry] = {}

    def register(
        self,
        name: str | None = None,
        *,
        description: str | None = None,
        override: bool = False,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator registering ``factory`` under ``name`` (default: the function's name)."""

        def decorator(factory: Callable[..., Any]) -> Callable[..., Any]:
            key = name or factory.__name__
            if key in self._entries and not override:
                old = self._entries[key].factory
                if getattr(old, "__qualname__", None) != getattr(factory, "__qualname__", None) or (
                    getattr(old, "__module__", None) != getattr(factory, "__module__", None)
                ):
                    raise MpganError(
                        f"{self.kind} '{key}' is already registered by {old.__module__}; "
                        "pass override=True to replace it"
                    )
            module = getattr(factory, "__module__", "") or ""
            source = "mpgan" if module == "mpgan" or module.startswith("mpgan.") else module.split(".")[0]
            self._entries[key] = Entry(
                key, factory, description or _first_line(factory.__doc__), source
            )
            return factory

        return decorator

    def get(self, name: str) -> Callable[..., Any]:
        """The factory registered as ``name``; an unknown name lists the known ones."""
        load_plugins()
        try:
            return self._entries[name].factory
        except KeyError:
            known = sorted(self._entries)
            close = difflib.get_close_matches(str(name), known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise UnknownNameError(
                f"unknown {self.kind} '{name}'{hint}; known {self.kind}s: {', '.join(known)}"
            ) from None

    def build(self, name: str, *args: Any, **params: Any) -> Any:
        """Call the factory ``name`` with ``args`` and ``params``; bad params are a clear error."""
        factory = self.get(name)
        try:
            return factory(*args, **params)
        except TypeError as exc:
            if "unexpected keyword argument" in str(exc) or "required positional" in str(exc):
                import inspect

                sig = inspect.signature(factory)
                raise MpganError(
                    f"{self.kind} '{name}' got bad parameters {sorted(params)}: {exc}; "
                    f"its signature is {name}{sig}"
                ) from None
            raise

    def entries(self) -> list[Entry]:
        load_plugins()
        return [self._entries[k] for k in sorted(self._entries)]

    def names(self) -> list[str]:
        return [e.name for e in self.entries()]

    def __contains__(self, name: object) -> bool:
        load_plugins()
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {len(self._entries)} entries)"


GENERATORS = Registry("generator")
DISCRIMINATORS = Registry("discriminator")
DATASETS = Registry("dataset")
OBJECTIVES = Registry("objective")
SCHEDULES = Registry("schedule")
REGULARIZERS = Registry("regularizer")
AUGMENTATIONS = Registry("augmentation")

REGISTRIES: dict[str, Registry] = {
    "generators": GENERATORS,
    "discriminators": DISCRIMINATORS,
    "datasets": DATASETS,
    "objectives": OBJECTIVES,
    "schedules": SCHEDULES,
    "regularizers": REGULARIZERS,
    "augmentations": AUGMENTATIONS,
}

_plugins_loaded = False


def load_plugins(force: bool = False) -> list[str]:
    """Import every ``mpgan.plugins`` entry point once; returns the names loaded.

    A broken plugin is reported as a warning rather than breaking mpgan itself.
    """
    global _plugins_loaded
    if _plugins_loaded and not force:
        return []
    _plugins_loaded = True
    loaded = []
    for ep in importlib.metadata.entry_points(group=PLUGIN_GROUP):
        try:
            obj = ep.load()
            if callable(obj) and not isinstance(obj, type(importlib)):
                obj()
            loaded.append(ep.name)
        except Exception as exc:  # a third-party plugin must not break mpgan
            warnings.warn(f"mpgan plugin '{ep.name}' ({ep.value}) failed to load: {exc}", stacklevel=2)
    return loaded
