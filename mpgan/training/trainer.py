"""The trainer: wires the parts of a run together and loops the compiled step.

The parts, each in its own module: the latent prior (``priors``), the schedule,
regularizers and augmentation (``schedules``, ``regularizers``, ``augment``), the
compiled step built from them (``step``), the checkpointed state (``state``) and the
run directory (``run_dir``). The trainer builds them from a config, runs epochs of
``steps_per_call``-step compiled calls, and hands each epoch's named metrics to the
callbacks (progress bar, TensorBoard, metrics) and the history files.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from ..config import (
    Config,
    DiscriminatorConfig,
    OptimizerConfig,
    discriminator_configs,
    load_config,
)
from ..data_spec import Dataset
from ..errors import ConfigError, DivergenceError, MpganError, UnknownNameError
from ..modalities import modality_of
from ..objectives import Objective
from ..registry import GENERATORS, OBJECTIVES, RUN_CALLBACKS, SCHEDULES
from .aggregators import build_aggregator
from .augment import build_augment
from .callbacks import Callback, ProgressBar
from .discriminators import build_discriminator, features_model
from .distribute import build_strategy, is_chief
from .optimizers import build_optimizer
from .plan import Batches, DiscriminatorSlot, StepPlan
from .priors import LatentPrior
from .privacy import DPSGD
from .regularizers import build_regularizers
from .run_dir import RunDirectory, next_run_dir
from .schedules import Schedule
from .state import TrainerState, untracked_state
from .step import TrainLoop


def build_schedule(name: str) -> Schedule:
    try:
        schedule = SCHEDULES.build(name)
    except UnknownNameError as exc:
        raise ConfigError(f"train.schedule: {exc}") from None
    if not isinstance(schedule, Schedule):
        raise ConfigError(f"train.schedule '{name}' returned {type(schedule).__name__}, not a Schedule")
    return schedule


class Trainer:
    """Trains a generator against one or more discriminators with the configured schedule.

    Build it with :meth:`from_config` (registry names) or directly from models;
    resume a run with :meth:`from_run`.
    """

    def __init__(
        self,
        config: Config,
        dataset: Dataset,
        generator: keras.Model,
        discriminator: keras.Model | Sequence[keras.Model],
        objective: Objective,
        run_dir: str | Path | None = None,
        callbacks: Sequence[Callback] = (),
        progress: bool | None = None,
        strategy: tf.distribute.Strategy | None = None,
    ):
        self.strategy = strategy or tf.distribute.get_strategy()
        # Batches, latents and mixing weights all come from one generator, drawn from in
        # cross-replica context (so created outside the strategy's scope): the same
        # global batch whatever the number of replicas.
        self.rng = tf.random.Generator.from_seed(config.seed)
        self.is_chief = is_chief(self.strategy)
        self.config, self.train_config, self.dataset = config, config.train, dataset
        self.generator, self.objective = generator, objective
        self.run = RunDirectory(run_dir) if run_dir is not None else None
        self.progress = ProgressBar(progress)
        # The config composes the run: the packages above training add their callbacks for
        # it (metrics: its eval section's), its tensorboard flag the writer (last, so it
        # sees every callback's numbers).
        added = [cb for make in RUN_CALLBACKS for cb in make(config)]
        self.callbacks: list[Callback] = [self.progress, *added, *callbacks]
        if config.train.tensorboard:
            from .tensorboard import TensorBoard

            self.callbacks.append(TensorBoard())
        with self.strategy.scope():
            models = [discriminator] if isinstance(discriminator, keras.Model) else list(discriminator)
            schedule, batches = self._check_batches(models)
            self._build_plan(models, schedule, batches)
            self._build_state(models)

    # ------------------------------------------------------------------ building
    def _check_batches(self, models: list[keras.Model]) -> tuple[Schedule, Batches]:
        t, n = self.train_config, len(self.dataset)
        if t.deterministic:
            tf.config.experimental.enable_op_determinism()
        if n < t.batch_size:
            raise ConfigError(f"train.batch_size ({t.batch_size}) exceeds the dataset's {n} samples; "
                              f"use a batch size of at most {n - n % 2}")
        schedule = build_schedule(t.schedule)
        batches = Batches.of(t, schedule, self.strategy.num_replicas_in_sync)
        for m in models:
            pac = int(getattr(m, "pac", 1) or 1)
            if t.batch_size % pac or batches.real % pac:
                raise ConfigError(f"train.batch_size ({t.batch_size}) and the discriminator's batch "
                                  f"({batches.real}) must be multiples of its pac ({pac}), which packs that "
                                  "many rows per logit")
        return schedule, batches

    def _build_plan(self, models: list[keras.Model], schedule: Schedule, batches: Batches) -> None:
        """Build every part of the step into ``self.plan`` (and DP-SGD from it)."""
        t = self.train_config
        prior = LatentPrior.for_generator(self.generator, t.latent_std, self.dataset.y,
                                          self.dataset.info.get("class_prior"))
        self.steps_per_epoch = t.steps_per_epoch or max(1, len(self.dataset) // t.batch_size)
        self.total_epochs = t.epochs
        augment = build_augment(t.augment)
        if augment is not None:
            if batches.replicas > 1:
                raise ConfigError("train.augment is not supported with several replicas yet; "
                                  "drop it or train on one device")
            augment.build()
        # Optimizer phases: phase i runs after the first i swaps. Every phase's optimizers
        # are built now, so a checkpoint holds them all and each phase's step traces once.
        self.swap_steps = [sw.at_step if sw.at_step is not None else sw.at_epoch * self.steps_per_epoch
                           for sw in t.swaps]
        d_cfgs = discriminator_configs(self.config)
        if len(d_cfgs) != len(models):
            d_cfgs = [DiscriminatorConfig(m.name) for m in models]
        g_cfgs, d_phase = [t.g_optimizer], [[c.optimizer or t.d_optimizer for c in d_cfgs]]
        for sw in t.swaps:
            g_cfgs.append(sw.g_optimizer or g_cfgs[-1])
            d_phase.append([sw.d_optimizer or prev for prev in d_phase[-1]])
        self.phase_optimizer_names = [(g.name, ",".join(sorted({d.name for d in ds})))
                                      for g, ds in zip(g_cfgs, d_phase, strict=True)]
        g_optimizers = tuple(self._optimizer(c, "train.g_optimizer", self.generator) for c in g_cfgs)
        slots = tuple(self._slot(k, m, dc, d_phase) for k, (m, dc) in enumerate(zip(models, d_cfgs, strict=True)))
        if any(s.conditional for s in slots) and not prior.num_classes:
            raise ConfigError("a conditional discriminator needs a conditional generator "
                              "(generator.params.conditional: true)")
        self.plan = StepPlan(batches, slots, g_optimizers, self.objective,
                             build_aggregator(t.aggregate, t.aggregate_params), schedule, augment, prior,
                             float(t.label_smoothing), None if t.ema is None else float(t.ema))
        self.dp = DPSGD.from_plan(self.plan, self.config.privacy, len(self.dataset),  # None without privacy
                                  t.epochs * self.steps_per_epoch, modality_of(self.dataset).kind,
                                  self.dataset.info.get("private_statistics"))

    def _slot(self, k: int, model: keras.Model, dc: DiscriminatorConfig, d_phase: list) -> DiscriminatorSlot:
        t = self.train_config
        frozen = t.freeze_discriminator if dc.freeze is None else dc.freeze
        slot = DiscriminatorSlot(model, dc.name, frozen)
        if not frozen:
            slot.optimizers = [self._optimizer(ph[k], "train.d_optimizer", model) for ph in d_phase]
            entries = [{"name": n, **p} for n, p in self.objective.regularizers] + list(t.regularizers)
            slot.regularizers = build_regularizers(entries)
            for reg in slot.regularizers:
                reg.build()
        if self.objective.needs_features:
            slot.features = features_model(model)
        return slot

    def _optimizer(self, cfg: OptimizerConfig, where: str, model: keras.Model) -> keras.optimizers.Optimizer:
        opt = build_optimizer(cfg, where)
        if self.train_config.mixed_precision == "mixed_float16":
            opt = keras.optimizers.LossScaleOptimizer(opt)
        # Slots must exist before the compiled loop and before a checkpoint restore.
        opt.build(model.trainable_variables)
        return opt

    def _build_state(self, models: list[keras.Model]) -> None:
        t = self.train_config
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch")
        self.phase = tf.Variable(0, dtype=tf.int64, trainable=False, name="phase")
        self.ema_generator: keras.Model | None = None
        if t.ema is not None:
            self.ema_generator = keras.models.clone_model(self.generator)
            self.ema_generator.set_weights(self.generator.get_weights())
        self.real_x = tf.constant(self.dataset.x)
        self.n_real = len(self.dataset)
        self.real_y = None
        if any(s.conditional for s in self.slots):
            self.real_y = tf.one_hot(np.asarray(self.dataset.y), self.plan.prior.num_classes)
        self._fixed_z = self.plan.prior.sample(t.n_samples, seed=self.config.seed + 7919)
        self.trace_count = 0
        self._loops: dict[int, Any] = {}  # phase -> its compiled run_steps
        self.metric_names = list(self.plan.metric_names)
        tracked: dict[str, Any] = {"generator": self.generator, "rng": self.rng, "step": self.step,
                                   "epoch": self.epoch, "phase": self.phase}
        for i, opt in enumerate(self.g_optimizers):
            tracked["g_optimizer" + (f"_phase{i}" if i else "")] = opt
        for k, slot in enumerate(self.slots):
            suffix = f"_{k}" if k else ""
            tracked["discriminator" + suffix] = slot.model
            for i, opt in enumerate(slot.optimizers):
                tracked["d_optimizer" + suffix + (f"_phase{i}" if i else "")] = opt
            for reg in slot.regularizers:
                tracked[f"regularizer{suffix}_{reg.name}"] = tf.train.Checkpoint(**reg.state())
        if self.ema_generator is not None:
            tracked["ema_generator"] = self.ema_generator
        if self.plan.augment is not None:
            tracked["augment"] = tf.train.Checkpoint(**self.plan.augment.state())
        # Keras keeps each Dropout's SeedGenerator state as a model variable that
        # tf.train.Checkpoint does not track; without it a resume draws other masks.
        tracked["layer_rng"] = untracked_state([self.generator, *models])
        self.state = TrainerState(tracked, t.keep_checkpoints)
        self._worker_dir: Path | None = None
        self._restored = False
        self.last_epoch_history: pd.DataFrame | None = None

    # -- views -------------------------------------------------------------------------
    @property
    def slots(self) -> tuple[DiscriminatorSlot, ...]:
        return self.plan.slots

    @property
    def g_optimizers(self) -> tuple[keras.optimizers.Optimizer, ...]:
        """The generator's optimizer of each phase."""
        return self.plan.g_optimizers

    @property
    def run_dir(self) -> Path | None:
        return self.run.path if self.run is not None else None

    @property
    def discriminators(self) -> list[keras.Model]:
        return [s.model for s in self.slots]

    @property
    def g_optimizer(self) -> keras.optimizers.Optimizer:
        """The generator's optimizer in the current phase."""
        return self.g_optimizers[int(self.phase.numpy())]

    @property
    def d_optimizers(self) -> list[keras.optimizers.Optimizer]:
        """Each trained discriminator's optimizer in the current phase."""
        return [s.optimizers[int(self.phase.numpy())] for s in self.slots if s.optimizers]

    @property
    def sampling_generator(self) -> keras.Model:
        """The EMA generator when EMA is on, else the generator."""
        return self.ema_generator if self.ema_generator is not None else self.generator

    @property
    def latent_dim(self) -> int:
        return self.plan.prior.latent_dim

    @property
    def condition_dim(self) -> int:
        return self.plan.prior.num_classes

    @property
    def manager(self):
        return self.state.manager

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_config(
        cls,
        config: Config | str | Path,
        run_dir: str | Path | None = None,
        overrides: list[str] | None = None,
        dataset: Dataset | None = None,
        strategy: tf.distribute.Strategy | None = None,
        **kwargs: Any,
    ) -> Trainer:
        """Build dataset, models and objective from registry names in ``config``
        (models under ``strategy.scope()`` when a strategy is given)."""
        from ..data import load_dataset
        from ..data.private import private_dataset
        from ..models import check_pair

        if not isinstance(config, Config):
            config = load_config(config, overrides)
        elif overrides:
            raise ConfigError("overrides apply to a config file path, not to a Config object")
        keras.utils.set_random_seed(config.seed)
        if dataset is None:
            dataset = load_dataset(config.data.name, **config.data.params)
            # e.g. MNIST's source: auto -> subset, so a resume reads the same data
            config.data.params.update(dataset.info.get("resolved_params", {}))
        if config.privacy is not None and dataset.spec.kind == "tabular":  # no statistic outside the budget
            saved = RunDirectory(run_dir).private_statistics() if run_dir is not None else None
            dataset = private_dataset(dataset, config.privacy, saved)
        spec = dataset.spec
        objective = OBJECTIVES.build(config.objective.name, **config.objective.params)
        previous = keras.config.dtype_policy()
        if config.train.mixed_precision:
            keras.config.set_dtype_policy(config.train.mixed_precision)  # layers take it at construction
        strategy = strategy or build_strategy(config.distribute)
        try:
            with strategy.scope():
                generator = GENERATORS.build(config.generator.name, spec, **config.generator.params)
                discriminators = [build_discriminator(dc, spec, k)
                                  for k, dc in enumerate(discriminator_configs(config))]
        finally:
            keras.config.set_dtype_policy(previous)
        for d in discriminators:
            check_pair(generator, d, spec)
        return cls(config, dataset, generator, discriminators, objective, run_dir=run_dir,
                   strategy=strategy, **kwargs)

    @classmethod
    def from_run(cls, run_dir: str | Path, **kwargs: Any) -> Trainer:
        """Rebuild a run from its directory and restore its latest checkpoint."""
        run = RunDirectory(run_dir)
        if not (run / "config.yaml").is_file():
            raise MpganError(f"{run_dir} is not an mpgan run directory (no config.yaml); "
                             "pass the folder that `mpgan train` created")
        run.check_format()
        trainer = cls.from_config(load_config(run / "config.yaml"), run_dir=run_dir, **kwargs)
        if not trainer.restore():
            raise MpganError(f"run {run_dir} has no checkpoint to resume from; "
                             "it stopped before its first checkpoint")
        return trainer

    # ------------------------------------------------------------------ run directory
    def _prepare_run_dir(self) -> None:
        if not self.is_chief and self._worker_dir is None:
            # A non-chief worker writes (checkpoints too: saving is collective) into a
            # temporary folder, removed when training ends; only the chief's files stay.
            import tempfile

            self._worker_dir = Path(tempfile.mkdtemp(prefix="mpgan-worker-"))
            self.run = RunDirectory(self._worker_dir)
        if self.run is None:
            self.run = RunDirectory(next_run_dir(Path(self.config.output_dir) / self.config.name))
        spec = modality_of(self.dataset).spec_record(self.dataset)
        manifest: dict[str, Any] = {"data_source": spec["source"]} if "source" in spec else {}
        prior = self.plan.prior  # how to draw generator.keras's inputs without mpgan (docs/training.md)
        manifest["latent"] = {"dim": prior.latent_dim, "std": prior.std, "classes": prior.num_classes,
                              "class_prior": list(prior.class_prior)}
        if self.dataset.info.get("private_state") is not None:
            manifest["private_statistics"] = self.dataset.info["private_state"]
        self.run.create(self.config.to_yaml(), spec, manifest)
        self.state.attach(self.run / "checkpoints")

    def save_checkpoint(self) -> str:
        """Save the whole trainer state, and export the models beside it for plain Keras:
        ``generator.weights.h5`` and ``generator.keras`` hold the generator that samples
        and is scored (the EMA one when EMA is on; the raw one is then
        ``generator_raw.weights.h5``), ``discriminator*.weights.h5`` the discriminators."""
        self.state.attach(self.run / "checkpoints")
        exports = {self.run / "generator.weights.h5": self.sampling_generator,
                   self.run / "generator.keras": self.sampling_generator}
        if self.ema_generator is not None:
            exports[self.run / "generator_raw.weights.h5"] = self.generator
        for k, d in enumerate(self.discriminators):
            exports[self.run / ("discriminator.weights.h5" if k == 0 else f"discriminator_{k}.weights.h5")] = d
        if self.dp is not None and self.is_chief:
            self.run.update_manifest(privacy=self.privacy_spent())
        return self.state.save(int(self.step.numpy()), exports)

    def privacy_spent(self) -> dict[str, Any] | None:
        """The DP budget spent so far (ε at δ and how it was reached), None without privacy."""
        return self.dp.record(int(self.step.numpy())) if self.dp is not None else None

    def restore(self, checkpoint: str | None = None) -> bool:
        """Restore the given checkpoint, or the newest intact one (a damaged newer one is
        skipped with a :class:`~mpgan.training.state.DamagedCheckpointWarning`). The history
        files are trimmed to it when training continues (:meth:`fit`), so sampling from a
        run never rewrites it."""
        if self.run is not None:
            self.state.attach(self.run / "checkpoints")
        if not self.state.restore(checkpoint):
            return False
        self._restored = True
        return True

    # ------------------------------------------------------------------ training
    def fit(self, epochs: int | None = None) -> pd.DataFrame:
        """Train until ``epochs`` (default: the config's) and return the per-epoch table.

        The run directory is created only once everything is built; if the run fails
        before its first checkpoint, the directory is removed again.
        """
        if epochs is not None:
            if epochs < 1:
                raise ConfigError(f"epochs must be a positive integer, got {epochs}")
            self.total_epochs = epochs
        self._prepare_run_dir()
        start = int(self.epoch.numpy())
        #: whether this fit continues from a restored checkpoint (callbacks drop what was logged after it)
        self.resumed = bool(self._restored and self.is_chief)
        if self.resumed:
            # a run killed after its last checkpoint: drop what it wrote since
            self.run.truncate(int(self.step.numpy()), start)
            self._restored = False
        try:
            for cb in self.callbacks:
                cb.on_train_begin(self)
            for epoch in range(start, self.total_epochs):
                self._fit_epoch(epoch)  # the last epoch always checkpoints
            self._final_outputs()
        except BaseException:
            self._cleanup_after_failure()
            raise
        finally:
            for cb in self.callbacks:
                cb.on_train_end(self)
        table = self.epochs_table()
        if self._worker_dir is not None:
            shutil.rmtree(self._worker_dir, ignore_errors=True)
        return table

    def phase_at(self, steps_done: int | np.ndarray) -> int | np.ndarray:
        """The optimizer phase a step runs in, given how many steps came before it."""
        return np.searchsorted(self.swap_steps, steps_done, side="right")

    def _compiled(self, phase: int):
        """The compiled ``run_steps(n)`` of an optimizer phase (built, and traced, once)."""
        if phase not in self._loops:
            self._loops[phase] = TrainLoop(self, phase).compile()
        return self._loops[phase]

    def train_steps(self, n: int) -> np.ndarray:
        """Run ``n`` training steps and return their metrics, shape ``(n, len(metric_names))``.

        Compiled calls stop at optimizer swaps. No files, callbacks or epoch
        bookkeeping: for benchmarks and notebooks.
        """
        out = []
        while n > 0:
            done = int(self.step.numpy())
            phase = int(self.phase_at(done))
            if phase != int(self.phase.numpy()):
                self.phase.assign(phase)
            m = n if phase >= len(self.swap_steps) else min(n, self.swap_steps[phase] - done)
            out.append(self._compiled(phase)(tf.constant(m, tf.int32)).numpy())
            n -= m
        return np.concatenate(out) if out else np.zeros((0, len(self.metric_names)), np.float32)

    def _fit_epoch(self, epoch: int) -> None:
        t = self.train_config
        t0 = time.perf_counter()
        chunks, done = [], 0
        while done < self.steps_per_epoch:
            n = min(t.steps_per_call, self.steps_per_epoch - done)
            values = self.train_steps(n)
            self._check_finite(values, int(self.step.numpy()) - n + 1, epoch + 1)
            chunks.append(values)
            done += n
            self.progress.update(n, dict(zip(self.metric_names, values[-1], strict=True)))
        seconds = time.perf_counter() - t0
        logs = self._record_epoch(epoch, np.concatenate(chunks), seconds)
        for cb in self.callbacks:
            cb.on_epoch_end(self, epoch + 1, logs)
        self.run.append_csv("epochs.csv", pd.DataFrame([logs]))
        final = epoch + 1 == self.total_epochs
        if final or (t.sample_every and (epoch + 1) % t.sample_every == 0):
            self.save_samples(self.run / "samples" / f"epoch_{epoch + 1:04d}")
        if final or (t.checkpoint_every and (epoch + 1) % t.checkpoint_every == 0):
            self.save_checkpoint()

    def _record_epoch(self, epoch: int, values: np.ndarray, seconds: float) -> dict[str, Any]:
        """Append the epoch's steps to history.csv; return its summary row."""
        last = int(self.step.numpy())
        steps = np.arange(last - len(values) + 1, last + 1)
        hist = pd.DataFrame(values, columns=self.metric_names)
        hist.insert(0, "phase", self.phase_at(steps - 1))
        hist.insert(0, "epoch", epoch + 1)
        hist.insert(0, "step", steps)
        self.last_epoch_history = hist
        self.run.append_csv("history.csv", hist)
        self.epoch.assign(epoch + 1)
        logs: dict[str, Any] = {"epoch": epoch + 1, "step": last}
        logs.update({k: float(v) for k, v in zip(self.metric_names, values.mean(axis=0), strict=True)})
        logs["seconds"] = seconds
        logs["steps_per_second"] = len(values) / seconds
        phase = int(self.phase_at(last - 1))
        logs["phase"] = phase
        logs["g_optimizer"], logs["d_optimizer"] = self.phase_optimizer_names[phase]
        if self.dp is not None:
            logs["epsilon"] = self.dp.epsilon(last)
        return logs

    def _check_finite(self, values: np.ndarray, first_step: int, epoch: int) -> None:
        bad = ~np.isfinite(values)
        if not bad.any():
            return
        row, col = np.argwhere(bad)[0]
        last = self.state.latest
        where = f"the last good checkpoint is {last}" if last else "no checkpoint had been saved yet"
        raise DivergenceError(
            f"training diverged: {self.metric_names[col]} became {values[row, col]} at step "
            f"{first_step + row} (epoch {epoch}); {where}. Lower the learning rate or change the objective")

    def _cleanup_after_failure(self) -> None:
        """Remove a run directory this process created if no checkpoint made it useful
        (and a non-chief worker's temporary folder in any case)."""
        if self._worker_dir is not None:
            shutil.rmtree(self._worker_dir, ignore_errors=True)
            return
        if self.run is not None and self.run.created and self.state.latest is None:
            self.run.remove()

    def _final_outputs(self) -> None:
        from .. import plots

        hist = self.history()
        if len(hist):
            plots.plot_history(hist, self.run / "plots")

    # ------------------------------------------------------------------ outputs
    def history(self) -> pd.DataFrame:
        """Per-step history so far (empty before training)."""
        df = self.run.read_csv("history.csv") if self.run is not None else None
        return df if df is not None else pd.DataFrame(columns=["step", "epoch", *self.metric_names])

    def epochs_table(self) -> pd.DataFrame:
        df = self.run.read_csv("epochs.csv") if self.run is not None else None
        return df if df is not None else pd.DataFrame()

    def generate(self, z: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Generator output (model space, float32) for latents ``z``, in inference mode;
        the EMA generator when EMA is on."""
        g = self.sampling_generator
        out = [np.asarray(g(z[i:i + batch_size], training=False), dtype=np.float32)
               for i in range(0, len(z), batch_size)]
        return np.concatenate(out) if out else np.zeros((0, *self.dataset.spec.shape), np.float32)

    @property
    def fixed_latents(self) -> np.ndarray:
        """The latents of the sample grids: set by the config's seed, so runs that share a
        seed draw their grids from the same latent points."""
        return self._fixed_z

    def latents(self, n: int, seed: int = 0, labels: int | np.ndarray | None = None) -> np.ndarray:
        """``n`` latent vectors from the training prior, seeded; for a conditional generator
        ``labels`` (one class index, or one per row) fixes the classes (see LatentPrior)."""
        return self.plan.prior.sample(n, seed, labels)

    def sample(self, n: int, seed: int = 0, labels: int | np.ndarray | None = None,
               batch_size: int = 256) -> np.ndarray:
        """``n`` samples in model space; the same seed and weights give the same samples."""
        return self.generate(self.latents(n, seed, labels), batch_size=batch_size)

    def save_samples(self, stem: Path) -> Path:
        """Samples from the fixed latents, as the data's modality writes them: a PNG grid
        (images), a histogram against the real data (toys) or a CSV (tables)."""
        modality = modality_of(self.dataset)
        x = self.generate(self._fixed_z)
        more = getattr(modality, "preview_samples", 0)
        if more > len(x):
            x = self.sample(more, seed=self.config.seed)
        title = f"{self.config.name} — epoch {int(self.epoch.numpy())}"
        return modality.write_samples(self.dataset, x, stem.with_suffix(modality.preview), title=title)


__all__ = ["Trainer", "build_schedule", "next_run_dir"]
