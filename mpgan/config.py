"""Run configuration: dataclasses, YAML loading, ``--set`` overrides and validation.

A config names registry entries (data, generator, discriminator, objective) and
holds training controls. Unknown keys and bad values raise :class:`ConfigError`
with the dotted path of the offending key, e.g.
``config error: train.batch_size must be a positive even number, got 7``.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import functools
import math
import typing
from collections.abc import Mapping, Sequence
from dataclasses import field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ConfigDict, TypeAdapter, ValidationError, model_validator
from pydantic.dataclasses import dataclass as _pydantic_dataclass

from .errors import ConfigError


def section(cls: type) -> type:
    """A config section: a dataclass whose values pydantic checks, unknown keys refused."""
    return _pydantic_dataclass(cls, config=ConfigDict(extra="forbid"))


class _Named:
    """A section that may be written as just its registry name (``generator: dcgan_generator``)."""

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value


@section
class Component(_Named):
    """A registry name plus the keyword parameters passed to its factory."""

    name: str  # a registry entry (`mpgan list` shows them)
    params: dict[str, Any] = field(default_factory=dict)  # keyword arguments of the entry's factory


@section
class OptimizerConfig(_Named):
    """An optimizer: ``name`` (sgd, adam, rmsprop, adamw) plus keyword arguments
    (learning_rate, beta_1, beta_2, momentum, nesterov, clipnorm, weight_decay...)."""

    name: str = "adam"  # sgd | adam | rmsprop | adamw
    learning_rate: float = 2e-4  # the optimizer's learning rate
    params: dict[str, Any] = field(default_factory=dict)  # adam/adamw default to beta_1 = 0.5


@section
class DiscriminatorConfig(Component):
    """A discriminator entry: registry name and params, plus how it is trained.

    ``optimizer`` (default: ``train.d_optimizer``), ``freeze`` (default:
    ``train.freeze_discriminator``), ``pretrained`` (a run directory, a
    ``.weights.h5`` file or a checkpoint prefix to initialise from), ``view``
    (an integer downsampling factor: the discriminator sees average-pooled images) and
    ``spectral_norm`` (Miyato et al. 2018: every Dense/Conv layer normalised by its
    largest singular value, estimated by power iteration).
    """

    optimizer: OptimizerConfig | None = None  # this discriminator's optimizer (default: train.d_optimizer)
    freeze: bool | None = None  # never update it (default: train.freeze_discriminator)
    pretrained: str | None = None  # run directory, .weights.h5 file or checkpoint prefix to start from
    view: int | None = None  # downsampling factor: it sees average-pooled images
    spectral_norm: bool = False  # wrap every Dense/Conv layer in spectral normalization


@section
class Swap:
    """Switch optimizers once ``at_epoch`` epochs (or ``at_step`` steps) are done.
    Either optimizer may be left out to keep the current one."""

    at_epoch: int | None = None  # swap once this many epochs are done
    at_step: int | None = None  # or once this many steps are done
    g_optimizer: OptimizerConfig | None = None  # the generator's new optimizer (none: keep it)
    d_optimizer: OptimizerConfig | None = None  # the discriminators' new optimizer (none: keep it)


@section
class TrainConfig:
    """Training controls: length, batches, schedule, optimizers, checkpoints and extras."""

    epochs: int = 20  # epochs to train in total
    batch_size: int = 64  # samples per step (the mpgan schedule needs an even number)
    steps_per_epoch: int | None = None  # default: len(dataset) // batch_size
    schedule: str = "mpgan"  # a registered schedule: mpgan (half real, half fake) | joint | n_critic
    n_critic: int = 1  # discriminator updates per generator update
    label_smoothing: float = 0.0  # one-sided: real targets become 1 - label_smoothing
    latent_std: float = 1.0  # latents are N(0, latent_std^2), in training and sampling
    g_optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    d_optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    sample_every: int = 1  # epochs between sample grids (0: only at the end)
    n_samples: int = 64  # samples drawn for each grid
    checkpoint_every: int = 5  # epochs between checkpoints (0: only at the end)
    keep_checkpoints: int = 3  # checkpoints kept on disk (older ones are deleted)
    steps_per_call: int = 50  # steps run inside one compiled call (progress granularity)
    deterministic: bool = False  # enable TensorFlow op determinism (bit-exact resume)
    freeze_discriminator: bool = False  # skip every discriminator update
    swaps: list[Swap] = field(default_factory=list)  # optimizer swaps, in time order
    ema: float | None = None  # decay of an exponential moving average of G's weights
    aggregate: str = "mean"  # how several discriminators' G losses combine (`mpgan list aggregators`)
    aggregate_params: dict[str, Any] = field(default_factory=dict)  # gman: {temperature}; hypervolume: {delta}
    mixed_precision: str | None = None  # mixed_bfloat16 (CPUs with BF16) | mixed_float16 (GPUs)
    tensorboard: bool = True  # write TensorBoard scalars and sample images
    regularizers: list[Any] = field(default_factory=list)  # [{name: r1, weight: 10, every: 16}, ...]
    augment: dict[str, Any] | None = None  # {policy: [translation, cutout, color], p: 1.0, ada: {...}}


@section
class DistributeConfig:
    """Which ``tf.distribute`` strategy trains the run: ``default`` (one device),
    ``mirrored`` (all local GPUs, or ``devices``), ``multi_worker`` (the cluster in the
    ``TF_CONFIG`` environment variable, as TensorFlow documents)."""

    strategy: str = "default"  # default | mirrored | multi_worker
    devices: list[str] | None = None  # mirrored only, e.g. ["/gpu:0", "/gpu:1"]


@section
class PublicConfig:
    """Table statistics declared public (known without the data, published as given, not
    protected): rows outside them are refused. See ``data/private.py``."""

    bounds: dict[str, list[float]] = field(default_factory=dict)  # {column: [low, high]} of number columns
    categories: dict[str, list[Any]] = field(default_factory=dict)  # {column: [labels]} of label columns
    missing: list[str] = field(default_factory=list)  # number columns with public bounds that may be missing


@section
class PrivacyConfig:
    """Differentially private discriminator training (DP-SGD; see ``training/privacy.py``).

    Give ``noise_multiplier`` (the Gaussian noise's std over ``max_grad_norm``) or
    ``target_epsilon`` (the noise is then calibrated to reach it at the end of training),
    with ``max_grad_norm`` (each real row's gradient is clipped to it). ``delta`` defaults
    to min(1e-5, 1 / (10 n)) for n training rows; ``accountant`` is ``rdp`` or ``pld``
    (Google's dp-accounting)."""

    noise_multiplier: float | None = None  # the noise's std over max_grad_norm (or give target_epsilon)
    target_epsilon: float | None = None  # calibrate the noise to reach this epsilon at the end of training
    max_grad_norm: float | None = None  # each real row's gradient is clipped to this norm
    delta: float | None = None  # default: min(1e-5, 1 / (10 n)) for n training rows
    accountant: str = "rdp"  # rdp | pld (Google's dp-accounting)
    public: PublicConfig = field(default_factory=PublicConfig)  # statistics declared public (not protected)
    statistics_epsilon: float | None = None  # ε for the statistics not declared public (default: target/10, or 0.1)
    statistics_seed: int | None = None  # the statistics' noise seed; null: fresh entropy (a known seed removes it)


@section
class EvalConfig:
    """Metrics during training: every ``every`` epochs (0: never), on ``n`` samples."""

    every: int = 0  # epochs between evaluations (0: never)
    metrics: list[str] = field(default_factory=list)  # default: all that fit the data
    n: int = 1000  # generated samples each evaluation scores
    seed: int = 0  # latent seed of those samples


@section
class Config:
    """A run: the registry entries it combines, its training controls and where it is written."""

    name: str = "run"  # the run's name: its directory is output_dir/name (numbered if taken)
    seed: int = 0  # the run's random seed (weights, latents, batches)
    data: Component = field(default_factory=lambda: Component("digits", {"size": 28}))  # the dataset
    generator: Component = field(default_factory=lambda: Component("mpgan_generator", {"latent_dim": 100}))  # the generator
    discriminator: DiscriminatorConfig = field(default_factory=lambda: DiscriminatorConfig("mpgan_discriminator"))  # the discriminator (unless discriminators is given)
    discriminators: list[DiscriminatorConfig] = field(default_factory=list)  # several at once
    objective: Component = field(default_factory=lambda: Component("non_saturating"))  # the GAN loss
    train: TrainConfig = field(default_factory=TrainConfig)  # training controls
    eval: EvalConfig = field(default_factory=EvalConfig)  # metrics during training
    distribute: DistributeConfig = field(default_factory=DistributeConfig)  # tf.distribute strategy
    privacy: PrivacyConfig | None = None  # DP-SGD for the discriminators (tables)
    output_dir: str = "runs"  # the folder run directories are made in

    # -- conversions -----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Config:
        cfg = _build(data or {})
        validate(cfg)
        return cfg


PRECISIONS = ("mixed_bfloat16", "mixed_float16")
STRATEGIES = ("default", "mirrored", "multi_worker")


def discriminator_configs(cfg: Config) -> list[DiscriminatorConfig]:
    """The discriminators of a run: ``discriminators`` if given, else the single one."""
    return list(cfg.discriminators) or [cfg.discriminator]


def validate(cfg: Config) -> None:
    """Check value ranges and cross-field rules that types alone don't catch; each failure
    is one ConfigError naming the key. Checks that need the data or the built models
    (batch vs dataset size, a model's pac) run when the trainer is built."""
    _check_names(cfg)
    _check_train(cfg.train)
    _check_swaps(cfg.train.swaps)
    _check_models(cfg)
    _check_eval(cfg.eval)
    _check_privacy(cfg)
    if cfg.distribute.strategy not in STRATEGIES:
        raise ConfigError(f"distribute.strategy must be one of {', '.join(STRATEGIES)}, "
                          f"got {cfg.distribute.strategy!r}")
    if cfg.distribute.devices is not None and cfg.distribute.strategy != "mirrored":
        raise ConfigError("distribute.devices applies to the mirrored strategy only")
    if not cfg.name or "/" in cfg.name:
        raise ConfigError(f"name must be a non-empty string without '/', got {cfg.name!r}")


def _known(registry: Any, name: Any, where: str) -> None:
    """``name`` is registered in ``registry``, else one error naming the key and the nearest name."""
    from .errors import UnknownNameError

    try:
        registry.get(name)
    except UnknownNameError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _check_names(cfg: Config) -> None:
    """Every registry name in the config exists: checked here, before anything is built, so
    a typo in a sweep's grid fails before its first cell trains."""
    from .registry import (
        AUGMENTATIONS,
        DATASETS,
        DISCRIMINATORS,
        GENERATORS,
        OBJECTIVES,
        OPTIMIZERS,
        REGULARIZERS,
    )

    t = cfg.train
    _known(DATASETS, cfg.data.name, "data.name")
    _known(GENERATORS, cfg.generator.name, "generator.name")
    _known(OBJECTIVES, cfg.objective.name, "objective.name")
    optimizers = [(t.g_optimizer, "train.g_optimizer"), (t.d_optimizer, "train.d_optimizer")]
    for i, d in enumerate(discriminator_configs(cfg)):
        where = f"discriminators[{i}]" if cfg.discriminators else "discriminator"
        _known(DISCRIMINATORS, d.name, f"{where}.name")
        optimizers.append((d.optimizer, f"{where}.optimizer"))
    for i, swap in enumerate(t.swaps):
        optimizers += [(swap.g_optimizer, f"train.swaps[{i}].g_optimizer"),
                       (swap.d_optimizer, f"train.swaps[{i}].d_optimizer")]
    for opt, where in optimizers:
        if opt is not None:
            _known(OPTIMIZERS, str(opt.name).lower(), f"{where}.name")
    for i, entry in enumerate(t.regularizers):
        name = entry if isinstance(entry, str) else entry.get("name") if isinstance(entry, dict) else None
        if name is not None:
            _known(REGULARIZERS, name, f"train.regularizers[{i}].name")
    policy = (t.augment or {}).get("policy") if isinstance(t.augment, dict) else None
    for i, item in enumerate([policy] if isinstance(policy, str) else policy or []):
        name = item if isinstance(item, str) else item.get("name") if isinstance(item, dict) else None
        if name is not None:
            _known(AUGMENTATIONS, name, f"train.augment.policy[{i}]")


def _check_train(t: TrainConfig) -> None:
    from .registry import SCHEDULES  # filled by mpgan.training (and plugins)

    if t.schedule not in SCHEDULES:
        raise ConfigError(f"train.schedule must be one of {', '.join(SCHEDULES.names())}, got {t.schedule!r}")
    if t.batch_size <= 0 or (t.schedule == "mpgan" and t.batch_size % 2):
        kind = "positive even number (the mpgan schedule splits it into half real, half generated)"
        if t.schedule != "mpgan":
            kind = "positive number"
        raise ConfigError(f"train.batch_size must be a {kind}, got {t.batch_size}")
    for key in ("epochs", "n_critic", "n_samples", "keep_checkpoints", "steps_per_call"):
        value = getattr(t, key)
        if value < 1:
            raise ConfigError(f"train.{key} must be a positive integer, got {value}")
    for key in ("sample_every", "checkpoint_every"):
        if getattr(t, key) < 0:
            raise ConfigError(f"train.{key} must be 0 or a positive integer, got {getattr(t, key)}")
    if t.steps_per_epoch is not None and t.steps_per_epoch < 1:
        raise ConfigError(f"train.steps_per_epoch must be a positive integer or null, got {t.steps_per_epoch}")
    if not 0.0 <= t.label_smoothing < 1.0:
        raise ConfigError(f"train.label_smoothing must be in [0, 1), got {t.label_smoothing}")
    if not t.latent_std > 0:
        raise ConfigError(f"train.latent_std must be positive, got {t.latent_std}")
    for key in ("g_optimizer", "d_optimizer"):
        lr = getattr(t, key).learning_rate
        if not lr > 0:
            raise ConfigError(f"train.{key}.learning_rate must be positive, got {lr}")
    _check_aggregate(t)
    if t.mixed_precision is not None and t.mixed_precision not in PRECISIONS:
        raise ConfigError(f"train.mixed_precision must be null or one of {', '.join(PRECISIONS)}, "
                          f"got {t.mixed_precision!r}")
    if t.ema is not None and not 0.0 < t.ema < 1.0:
        raise ConfigError(f"train.ema must be a decay in (0, 1) or null, got {t.ema}")


def _check_aggregate(t: TrainConfig) -> None:
    from .registry import AGGREGATORS  # each aggregator checks its own params, without TensorFlow

    _known(AGGREGATORS, t.aggregate, "train.aggregate")
    check = getattr(AGGREGATORS.get(t.aggregate), "check", None)
    if check is None:
        raise ConfigError(f"train.aggregate '{t.aggregate}' is registered as {AGGREGATORS.get(t.aggregate)!r}, "
                          "not an Aggregator subclass")
    check(t.aggregate_params)


def _check_swaps(swaps: list[Swap]) -> None:
    if len({s.at_epoch is None for s in swaps}) > 1:
        raise ConfigError("train.swaps must all use at_epoch or all use at_step")
    last = -1
    for i, swap in enumerate(swaps):
        where = f"train.swaps[{i}]"
        if (swap.at_epoch is None) == (swap.at_step is None):
            raise ConfigError(f"{where} needs exactly one of at_epoch or at_step")
        at = swap.at_epoch if swap.at_epoch is not None else swap.at_step
        if at < 1:
            raise ConfigError(f"{where}: the swap point must be a positive integer, got {at}")
        if swap.g_optimizer is None and swap.d_optimizer is None:
            raise ConfigError(f"{where} names neither g_optimizer nor d_optimizer")
        if at <= last:
            raise ConfigError(f"{where}: swaps must be in increasing time order")
        last = at


def _check_models(cfg: Config) -> None:
    g_conditional = bool(cfg.generator.params.get("conditional"))
    for i, d in enumerate(discriminator_configs(cfg)):
        where = f"discriminators[{i}]" if cfg.discriminators else "discriminator"
        if d.view is not None and d.view < 1:
            raise ConfigError(f"{where}.view must be a positive downsampling factor, got {d.view}")
        if d.params.get("conditional") and not g_conditional:
            raise ConfigError(f"{where}.params.conditional needs a conditional generator: set "
                              "generator.params.conditional: true, or drop the discriminator's conditional")
        if d.view is not None and d.params.get("conditional"):
            raise ConfigError(f"{where}: a conditional discriminator cannot take a view yet; "
                              "drop view or conditional")


def _check_eval(e: EvalConfig) -> None:
    if e.every < 0 or e.n < 2:
        raise ConfigError(f"eval.every must be >= 0 and eval.n >= 2, got {e.every} and {e.n}")
    if e.metrics:
        from .registry import METRICS

        known = METRICS.names()
        for name in e.metrics:
            if name not in known:
                near = difflib.get_close_matches(str(name), known, n=1)
                hint = f" (did you mean {near[0]!r}?)" if near else ""
                raise ConfigError(f"eval.metrics names the unknown metric {name!r}{hint}; "
                                  f"available: {', '.join(sorted(known))}")


ACCOUNTANTS = ("rdp", "pld")


def _check_privacy(cfg: Config) -> None:
    """The privacy block's values, and the settings that would silently void its guarantee
    (those that need the built models are checked by ``training.privacy``)."""
    p = cfg.privacy
    if p is None:
        return
    if (p.noise_multiplier is None) == (p.target_epsilon is None):
        raise ConfigError("privacy needs exactly one of privacy.noise_multiplier or privacy.target_epsilon")
    if p.target_epsilon is not None and not p.target_epsilon > 0:
        raise ConfigError(f"privacy.target_epsilon must be > 0, got {p.target_epsilon}")
    if p.noise_multiplier is not None and not p.noise_multiplier > 0:
        raise ConfigError(f"privacy.noise_multiplier must be > 0, got {p.noise_multiplier} "
                          "(for no privacy, drop the privacy block)")
    if p.max_grad_norm is None:
        raise ConfigError("privacy.max_grad_norm is missing: DP-SGD clips each real row's gradient to this "
                          "norm (e.g. 1.0)")
    if not p.max_grad_norm > 0:
        raise ConfigError(f"privacy.max_grad_norm must be > 0, got {p.max_grad_norm}")
    if p.delta is not None and not 0 < p.delta < 1:
        raise ConfigError(f"privacy.delta must be in (0, 1), got {p.delta}")
    if p.statistics_epsilon is not None and not p.statistics_epsilon > 0:
        raise ConfigError(f"privacy.statistics_epsilon must be > 0, got {p.statistics_epsilon}")
    if p.statistics_epsilon is not None and p.target_epsilon is not None and p.statistics_epsilon >= p.target_epsilon:
        raise ConfigError(f"privacy.statistics_epsilon ({p.statistics_epsilon:g}) must be below "
                          f"privacy.target_epsilon ({p.target_epsilon:g}), which covers it and DP-SGD together")
    for col, b in p.public.bounds.items():
        if len(b) != 2 or not (math.isfinite(b[0]) and math.isfinite(b[1]) and b[0] <= b[1]):
            raise ConfigError(f"privacy.public.bounds.{col} must be [low, high] with finite low <= high, got {b}")
    for col, c in p.public.categories.items():
        if not c:
            raise ConfigError(f"privacy.public.categories.{col} is empty; list the column's labels")
    if cfg.data.params.get("numeric") == "mode":
        raise ConfigError("the mode scaling (data.params.numeric: mode, --scaling mode) cannot be used with "
                          "privacy: its mixture is fitted to the rows outside the budget; use standard or minmax")
    if p.accountant not in ACCOUNTANTS:
        raise ConfigError(f"privacy.accountant must be one of {', '.join(ACCOUNTANTS)}, got {p.accountant!r}")
    for i, d in enumerate(discriminator_configs(cfg)):
        if d.pretrained:
            where = f"discriminators[{i}]" if cfg.discriminators else "discriminator"
            raise ConfigError(f"{where}.pretrained cannot be used with privacy: a discriminator fit before "
                              "(possibly on the same rows) carries what it learned outside the privacy budget")
    t = cfg.train
    if t.augment and t.augment.get("ada"):
        raise ConfigError("train.augment.ada cannot be used with privacy: ADA tunes its probability from the "
                          "discriminator's outputs on real rows, outside the clipped, noised gradients")
    if t.mixed_precision == "mixed_float16":
        raise ConfigError("train.mixed_precision mixed_float16 cannot be used with privacy "
                          "(loss scaling would scale the clipping norm); use null or mixed_bfloat16")
    if cfg.distribute.strategy != "default":
        raise ConfigError("distribute.strategy must be default with privacy: DP-SGD here runs on one device")


# -- construction and its errors: pydantic validates, errors are one sentence naming the key --

@functools.cache
def _adapter() -> TypeAdapter:
    return TypeAdapter(Config)


def _section_at(loc: tuple[Any, ...]) -> tuple[str, Any]:
    """The dotted path of a pydantic error location's parent and the section class there (a
    union's branch tags, which are not keys, are dropped)."""
    cls: Any = Config
    path = ""
    for part in loc[:-1]:
        hints = typing.get_type_hints(cls) if dataclasses.is_dataclass(cls) else {}
        if isinstance(part, int):
            path += f"[{part}]"
            cls = _inner(cls)
        elif part in hints:
            path = f"{path}.{part}" if path else part
            cls = _inner(hints[part])
    return path, cls


def _inner(tp: Any) -> Any:
    """The dataclass inside ``X | None`` or ``list[X]`` (else ``tp``)."""
    for arg in typing.get_args(tp):
        if dataclasses.is_dataclass(arg):
            return arg
    return tp


_EXPECTED = {"int": "an integer", "float": "a number", "bool": "true or false", "string": "a string",
             "dict": "a mapping", "list": "a list", "dataclass": "a mapping"}


def _message(err: dict[str, Any]) -> str:
    """One pydantic error as the sentence mpgan prints."""
    loc = tuple(err["loc"])
    parent, cls = _section_at(loc + ("",))
    key = loc[-1] if loc else ""
    kind = err["type"]
    if kind in ("unexpected_keyword_argument", "extra_forbidden"):
        parent, cls = _section_at(loc)
        names = [f.name for f in dataclasses.fields(cls)]
        where = f"{parent}.{key}" if parent else str(key)
        near = difflib.get_close_matches(str(key), names, n=1, cutoff=0.6)
        hint = f" (did you mean '{parent + '.' if parent else ''}{near[0]}'?)" if near else ""
        return (f"unknown key '{where}'{hint}; valid keys{' under ' + parent if parent else ''}: "
                f"{', '.join(names)}")
    if kind in ("missing", "missing_argument"):
        parent, _ = _section_at(loc)
        return f"{parent + '.' if parent else ''}{key} is missing"
    expected = next((text for prefix, text in _EXPECTED.items() if kind.startswith(prefix)), None)
    if expected is None:
        return f"{parent}: {err['msg']}"
    if kind.startswith("dataclass") and isinstance(cls, type) and issubclass(cls, _Named):
        expected += " or a registry name"
    return f"{parent} must be {expected}, got {err.get('input')!r}"


def _build(data: dict[str, Any]) -> Config:
    try:
        return _adapter().validate_python(data)
    except ValidationError as exc:
        raise ConfigError(_message(exc.errors()[0])) from None


def config_schema() -> dict[str, Any]:
    """The JSON Schema of a run config (for editors and the docs' configuration reference)."""
    return _adapter().json_schema()


# -- loading and overrides --------------------------------------------------------

def parse_override(item: str) -> tuple[list[str], Any]:
    """``"train.epochs=3"`` → ``(["train", "epochs"], 3)``; the value is parsed as YAML."""
    if "=" not in item:
        raise ConfigError(f"--set expects key.sub=value, got {item!r}")
    key, raw = item.split("=", 1)
    parts = [p for p in key.strip().split(".") if p]
    if not parts:
        raise ConfigError(f"--set expects key.sub=value, got {item!r}")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as exc:
        raise ConfigError(f"--set {key}: value {raw!r} is not valid YAML ({exc.problem})") from None
    return parts, value


def apply_overrides(data: dict[str, Any], overrides: Sequence[str] | None) -> dict[str, Any]:
    """Return a copy of ``data`` with each ``key.sub=value`` override applied."""
    data = copy.deepcopy(data)
    for item in overrides or []:
        parts, value = parse_override(item)
        node = data
        for i, part in enumerate(parts[:-1]):
            child = node.get(part)
            if isinstance(child, str) and part in _COMPONENT_KEYS:
                child = {"name": child}
            if child is None:
                child = {}
            if not isinstance(child, dict):
                raise ConfigError(f"--set {'.'.join(parts)}: '{'.'.join(parts[: i + 1])}' is not a mapping")
            node[part] = child
            node = child
        node[parts[-1]] = value
    return data


_COMPONENT_KEYS = {"data", "generator", "discriminator", "objective", "g_optimizer", "d_optimizer"}


def _defaults_dict() -> dict[str, Any]:
    return Config().to_dict()


def merge_dicts(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``base`` updated by ``over``, recursively for nested sections (a ``params`` block is
    replaced whole, as a config file would); neither input is changed."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key not in ("params",):
            out[key] = merge_dicts(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def packaged_configs() -> dict[str, Any]:
    """The configs that ship with mpgan (``mpgan/configs/*.yaml``, package data), by name."""
    from importlib.resources import files

    return {f.name.removesuffix(".yaml"): f for f in files("mpgan").joinpath("configs").iterdir()
            if f.name.endswith(".yaml")}


def resolve_config(path: str | Path) -> Path:
    """A config file: ``path`` itself, else, for a bare name like ``mnist_default`` (or
    ``experiments/configs/mnist_default.yaml`` outside a checkout), the config that ships
    with mpgan; an error listing those otherwise."""
    p = Path(path)
    if p.is_file():
        return p
    shipped = packaged_configs()
    name = p.name.removesuffix(".yaml")
    if name in shipped and (p.parent == Path(".") or p.parent.as_posix().endswith("configs")):
        return Path(str(shipped[name]))
    if p.is_dir():
        raise ConfigError(f"config file {str(p)!r} is a folder; pass a YAML file in it, or a shipped config's "
                          f"name: {', '.join(sorted(shipped))}")
    raise ConfigError(f"config file {str(p)!r} does not exist; the configs that ship with mpgan are "
                      f"{', '.join(sorted(shipped))} (pass one by name)")


def config_layers(layers: Any = None, overrides: Sequence[str] | None = None) -> dict[str, Any]:
    """What the user's layers set, merged in order, with the overrides applied last (not yet
    over the defaults): each layer is a config file, the name of a shipped config, a mapping
    or a :class:`Config`. A layer that names another component (``generator: {name: ...}``)
    replaces that component whole rather than inheriting the earlier one's params."""
    if layers is None:
        layers = []
    elif isinstance(layers, (str, Path, Mapping, Config)):
        layers = [layers]
    data: dict[str, Any] = {}
    for layer in layers:
        data = _merge_layer(data, _normalize_components(_read_layer(layer)))
    return _normalize_components(apply_overrides(data, list(overrides or [])))


def load_config(path: Any = None, overrides: Sequence[str] | None = None) -> Config:
    """The validated config of a run: the defaults, then ``path`` (a YAML file, the name of a
    config that ships with mpgan such as ``mnist_default`` — :func:`packaged_configs` lists
    them —, a mapping, a :class:`Config`, or a list of these layered in order), then each
    ``key.sub=value`` override. This is the one place defaults are layered under a config."""
    return Config.from_dict(_merge_layer(_defaults_dict(), config_layers(path, overrides)))


def _read_layer(layer: Any) -> dict[str, Any]:
    if isinstance(layer, Config):
        return layer.to_dict()
    if isinstance(layer, Mapping):
        return copy.deepcopy(dict(layer))
    p = resolve_config(layer)
    try:
        data = yaml.safe_load(p.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p} is not valid YAML: {exc}") from None
    if data is None:  # an empty file would silently train the built-in defaults
        raise ConfigError(f"{p} is empty; a config file must hold a mapping of config keys "
                          "(omit --config to train the defaults)")
    if not isinstance(data, dict):
        raise ConfigError(f"{p} must hold a mapping of config keys, got {type(data).__name__}")
    return data


def _normalize_components(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    for key in COMPONENTS:
        if isinstance(data.get(key), str):
            data[key] = {"name": data[key]}
    return data


def _merge_layer(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``base`` updated by ``over``; a component ``over`` renames starts afresh."""
    base = dict(base)
    for key in COMPONENTS:
        mine, theirs = over.get(key), base.get(key)
        if isinstance(mine, dict) and isinstance(theirs, dict) and mine.get("name", theirs.get("name")) != theirs.get(
                "name"):
            base[key] = {"name": mine["name"], "params": {}}
    return merge_dicts(base, over)


COMPONENTS = ("data", "generator", "discriminator", "objective")


def save_config(cfg: Config, path: str | Path) -> None:
    from .io import atomic_write_text

    atomic_write_text(path, cfg.to_yaml())
