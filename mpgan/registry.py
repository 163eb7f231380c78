"""Named, pluggable factories: generators, discriminators, datasets, objectives, the
training step's parts (schedules, regularizers, augmentations) and metrics.

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


def _plural(kind: str) -> str:
    return kind[:-1] + "ies" if kind.endswith("y") else kind + "s"


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
                f"unknown {self.kind} '{name}'{hint}; known {_plural(self.kind)}: {', '.join(known)}"
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


@dataclass(frozen=True)
class MetricInfo:
    """What a registered metric declares (SDMetrics-style): the data it applies to, whether
    lower or higher is better, its range, whether it needs the feature extractor, whether
    it is cheap enough to run during training, and, optionally, a check that a run can be
    scored by it (returning why not, or None)."""

    name: str
    kinds: tuple[str, ...]
    goal: str
    range: tuple[float, float]
    needs_extractor: bool
    cheap: bool
    requires: Callable[[Any], str | None] | None = None
    #: ``summary(value, result) -> lines``: readable lines for ``mpgan evaluate`` from the
    #: metric's own result (``result`` is the whole evaluation, for context).
    summary: Callable[[dict[str, Any], dict[str, Any]], list[str]] | None = None

    def describe(self) -> str:
        lo, hi = (("-inf" if v == float("-inf") else "inf" if v == float("inf") else f"{v:g}") for v in self.range)
        flags = [", ".join(self.kinds), f"{self.goal} is better" if self.goal != "info" else "information",
                 f"range [{lo}, {hi}]"] + (["extractor"] if self.needs_extractor else []) + (
                     ["cheap"] if self.cheap else [])
        return "; ".join(flags)


GOALS = ("lower", "higher", "info")


class MetricRegistry(Registry):
    """Metrics: ``fn(ctx) -> dict`` registered with what they declare (:class:`MetricInfo`).
    ``ctx`` is a :class:`mpgan.metrics.context.EvalContext` (the run, its samples, the real
    reference, the feature extractor)."""

    def __init__(self) -> None:
        super().__init__("metric")
        self._info: dict[str, MetricInfo] = {}

    def register(self, name: str | None = None, *, kinds: tuple[str, ...] | list[str] = ("image",),
                 goal: str = "lower", range: tuple[float, float] = (0.0, float("inf")),  # noqa: A002
                 needs_extractor: bool = False, cheap: bool = False,
                 requires: Callable[[Any], str | None] | None = None, description: str | None = None,
                 summary: Callable[[dict[str, Any], dict[str, Any]], list[str]] | None = None,
                 override: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        if goal not in GOALS:
            raise MpganError(f"metric goal must be one of {', '.join(GOALS)}, got {goal!r}")
        inner = super().register(name, description=description, override=override)

        def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
            key = name or fn.__name__
            inner(fn)
            self._info[key] = MetricInfo(key, tuple(kinds), goal, (float(range[0]), float(range[1])),
                                         needs_extractor, cheap, requires, summary)
            return fn

        return decorator

    def info(self, name: str) -> MetricInfo:
        self.get(name)  # unknown names: the registry's error, listing the known ones
        return self._info[name]

    def summary_lines(self, result: dict[str, Any]) -> list[str]:
        """The readable lines of every metric in ``result`` that declares a summary, in order."""
        lines: list[str] = []
        for name, value in result.items():
            info = self._info.get(name)
            if info is not None and info.summary is not None and isinstance(value, dict):
                lines += info.summary(value, result)
        return lines

    def for_kind(self, kind: str, cheap: bool | None = None) -> list[str]:
        """Names of the metrics that apply to ``kind`` data (only the cheap ones if asked)."""
        load_plugins()
        return [n for n, i in self._info.items() if kind in i.kinds and (cheap is None or i.cheap == cheap)]


#: Functions ``f(config) -> list of callbacks`` a trainer adds to every run it builds: how a
#: package that sits above training (metrics adds its ``eval`` callbacks) joins a run
#: without the trainer importing it.
RUN_CALLBACKS: list[Callable[[Any], list[Any]]] = []

GENERATORS = Registry("generator")
DISCRIMINATORS = Registry("discriminator")
DATASETS = Registry("dataset")
OBJECTIVES = Registry("objective")
SCHEDULES = Registry("schedule")
REGULARIZERS = Registry("regularizer")
AUGMENTATIONS = Registry("augmentation")
OPTIMIZERS = Registry("optimizer")
METRICS = MetricRegistry()
MODALITIES = Registry("modality")
AGGREGATORS = Registry("aggregator")  # how several discriminators' generator losses combine
COLUMN_KINDS = Registry("column kind")  # how a table column is encoded, generated, scored and drawn
STUDIES = Registry("study")  # experiments run by `mpgan experiment NAME`

REGISTRIES: dict[str, Registry] = {
    "generators": GENERATORS,
    "discriminators": DISCRIMINATORS,
    "datasets": DATASETS,
    "objectives": OBJECTIVES,
    "schedules": SCHEDULES,
    "regularizers": REGULARIZERS,
    "augmentations": AUGMENTATIONS,
    "optimizers": OPTIMIZERS,
    "metrics": METRICS,
    "modalities": MODALITIES,
    "aggregators": AGGREGATORS,
    "column_kinds": COLUMN_KINDS,
    "studies": STUDIES,
}

_plugins_loaded = False


def load_plugins(force: bool = False) -> list[str]:
    """Import every ``mpgan.plugins`` entry point once; returns the names loaded.

    A broken plugin is reported as a warning naming it rather than breaking mpgan itself,
    and registers nothing: the entries it added before failing are removed again, so no
    half of a plugin is ever used.
    """
    global _plugins_loaded
    if _plugins_loaded and not force:
        return []
    _plugins_loaded = True
    loaded = []
    for ep in importlib.metadata.entry_points(group=PLUGIN_GROUP):
        before = _snapshot()
        try:
            obj = ep.load()
            if callable(obj) and not isinstance(obj, type(importlib)):
                obj()
            loaded.append(ep.name)
        except Exception as exc:  # a third-party plugin must not break mpgan
            _restore(before)
            warnings.warn(f"mpgan plugin '{ep.name}' ({ep.value}) failed to load and registered nothing: "
                          f"{type(exc).__name__}: {exc}", stacklevel=2)
    return loaded


Snapshot = tuple[list[tuple[Registry, dict[str, Entry], dict[str, MetricInfo]]], int]


def _snapshot() -> Snapshot:
    """Every registry's entries (and metric declarations) and the run callbacks, to roll a
    failed plugin back."""
    return [(reg, dict(reg._entries), dict(getattr(reg, "_info", {}))) for reg in REGISTRIES.values()], len(
        RUN_CALLBACKS)


def _restore(snapshot: Snapshot) -> None:
    registries, callbacks = snapshot
    for reg, entries, info in registries:
        reg._entries.clear()
        reg._entries.update(entries)
        if isinstance(reg, MetricRegistry):
            reg._info.clear()
            reg._info.update(info)
    del RUN_CALLBACKS[callbacks:]
