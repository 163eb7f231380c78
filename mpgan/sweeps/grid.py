"""The settings of a sweep: a grid over config keys (``--grid key=[a,b]``) or random
samples over ranges (``--sample N --range key=loguniform(1e-5,1e-3)``), each checked
against the config schema before anything trains."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import yaml

from ..config import Config, load_config
from ..errors import ConfigError

_RANGE = re.compile(r"^\s*(loguniform|uniform|int|choice)\s*\((.*)\)\s*$")


_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def _yaml_value(text: str, what: str) -> Any:
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{what}: {text!r} is not valid YAML ({exc.problem})") from None
    return _numbers(value)


def _numbers(value: Any) -> Any:
    """YAML 1.1 reads ``1e-3`` (no dot) as text; a sweep means the number."""
    if isinstance(value, list):
        return [_numbers(v) for v in value]
    if isinstance(value, str) and _NUMBER.match(value):
        return float(value)
    return value


def parse_grid(items: Sequence[str]) -> dict[str, list[Any]]:
    """``["a.b=[1,2]", "c=x"]`` → ``{"a.b": [1, 2], "c": ["x"]}`` (a scalar is a one-value list)."""
    grid: dict[str, list[Any]] = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"--grid expects key=[v1,v2,...], got {item!r}")
        key, raw = item.split("=", 1)
        key = key.strip()
        values = _yaml_value(raw, f"--grid {key}")
        values = values if isinstance(values, list) else [values]
        if not key or not values:
            raise ConfigError(f"--grid {item!r} has no values; give key=[v1,v2,...]")
        if key in grid:
            raise ConfigError(f"--grid names {key} twice")
        grid[key] = values
    return grid


@dataclass(frozen=True)
class Range:
    """A distribution to sample one config key from."""

    kind: str  # loguniform | uniform | int | choice
    args: tuple[Any, ...]

    def draw(self, rng: np.random.Generator) -> Any:
        if self.kind == "choice":
            return self.args[int(rng.integers(len(self.args)))]
        lo, hi = self.args
        if self.kind == "int":
            return int(rng.integers(int(lo), int(hi) + 1))
        if self.kind == "uniform":
            return float(rng.uniform(lo, hi))
        return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def parse_range(item: str) -> tuple[str, Range]:
    """``"train.g_optimizer.learning_rate=loguniform(1e-5,1e-3)"`` → (key, Range)."""
    if "=" not in item:
        raise ConfigError(f"--range expects key=loguniform(lo,hi) | uniform(lo,hi) | int(lo,hi) | choice(a,b,...), "
                          f"got {item!r}")
    key, raw = (s.strip() for s in item.split("=", 1))
    m = _RANGE.match(raw)
    if not m:
        raise ConfigError(f"--range {key}: {raw!r} is not loguniform(lo,hi), uniform(lo,hi), int(lo,hi) or "
                          "choice(a,b,...)")
    kind, body = m.groups()
    args = _yaml_value(f"[{body}]", f"--range {key}")
    if kind == "choice":
        if not args:
            raise ConfigError(f"--range {key}: choice() needs at least one value")
        return key, Range(kind, tuple(args))
    if len(args) != 2 or not all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in args) \
            or not args[0] < args[1]:
        raise ConfigError(f"--range {key}: {kind}(lo,hi) needs two numbers with lo < hi, got {raw!r}")
    if kind == "loguniform" and args[0] <= 0:
        raise ConfigError(f"--range {key}: loguniform needs lo > 0, got {args[0]}")
    return key, Range(kind, tuple(args))


def settings(grid: dict[str, list[Any]], ranges: dict[str, Range] | None = None, samples: int = 0,
             seed: int = 0) -> list[dict[str, Any]]:
    """Every grid combination; or, with ``samples``, that many random draws (grid keys
    drawn uniformly from their values), reproducible from ``seed``."""
    ranges = ranges or {}
    if samples < 0:
        raise ConfigError(f"--sample must be a positive number of settings, got {samples}")
    if samples:
        space = {**{k: Range("choice", tuple(v)) for k, v in grid.items()}, **ranges}
        if not space:
            raise ConfigError("--sample needs --range or --grid keys to sample")
        rng = np.random.default_rng(seed)
        return [{k: r.draw(rng) for k, r in space.items()} for _ in range(samples)]
    if ranges:
        raise ConfigError("--range needs --sample N (how many settings to draw)")
    if not grid:
        raise ConfigError("the sweep is empty: give at least one --grid key=[v1,v2,...] (or --sample N --range ...)")
    keys = list(grid)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*(grid[k] for k in keys))]


def overrides(setting: dict[str, Any]) -> list[str]:
    """A setting as ``--set`` overrides (values in YAML flow style)."""
    return [f"{k}={_flow(v)}" for k, v in setting.items()]


def _flow(value: Any) -> str:
    if isinstance(value, float):
        text = repr(value)  # shortest exact text, with a dot: YAML 1.1 reads 1e-05 as a string, 1.0e-05 as a float
        mantissa, e, exp = text.partition("e")
        return f"{mantissa}.0{e}{exp}" if e and "." not in mantissa else text
    text = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
    return text.removesuffix("\n...").removesuffix("...").strip()


def setting_name(setting: dict[str, Any]) -> str:
    """``lr=0.0002,objective=hinge``: the last part of each key and a short value."""
    short = {}
    for key, value in setting.items():
        name = key.split(".")[-1]
        if name in ("name",) and "." in key:
            name = key.split(".")[-2]
        short[name if name not in short else key] = value
    return ",".join(f"{k}={_short(v)}" for k, v in short.items())


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        return str(value.get("name", value))
    return str(value)


def resolve(config: str, base: Sequence[str], setting: dict[str, Any]) -> Config:
    """The config a setting runs (type errors name the key and the expected type)."""
    return load_config(config, [*base, *overrides(setting)])
