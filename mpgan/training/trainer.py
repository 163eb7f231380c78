"""The trainer: one compiled training step, looped, writing a run directory.

The whole step (sample real indices and latents from a seeded
``tf.random.Generator``, discriminator update(s), generator update) runs inside
one ``tf.function`` that loops ``steps_per_call`` steps, so there is no Python
work per step and no retracing. Per-step metrics come back as one array per call.

Run directory layout::

    RUN/config.yaml         resolved config
    RUN/data_spec.json      what one sample looks like
    RUN/history.csv         one row per step
    RUN/epochs.csv          one row per epoch (means, wall time, callback metrics)
    RUN/checkpoints/        tf.train.Checkpoint of the whole trainer state
    RUN/generator.weights.h5, RUN/discriminator.weights.h5   plain Keras weights
    RUN/samples/epoch_XXXX.png   grids from fixed latents (tables: .csv, toys: histograms)
    RUN/plots/losses.png, RUN/plots/accuracy.png
"""

from __future__ import annotations

import json
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
    save_config,
)
from ..data_spec import Dataset
from ..errors import ConfigError, DivergenceError, MpganError
from ..io import atomic_save, atomic_write_text
from ..objectives import Objective
from ..registry import GENERATORS, OBJECTIVES
from .callbacks import Callback, ProgressBar
from .discriminators import DiscriminatorSlot, build_discriminator, features_model
from .distribute import build_strategy, is_chief
from .optimizers import build_optimizer

D_METRICS = ("d_loss_real", "d_loss_fake", "d_acc_real", "d_acc_fake", "g_loss")


def _metric_names(n_disc: int) -> list[str]:
    """Per-step metric columns; with several discriminators each gets ``dK_`` columns
    (its losses, accuracies and the generator's loss against it) and ``g_loss`` is
    the aggregate the generator minimised."""
    if n_disc == 1:
        return ["d_loss_real", "d_loss_fake", "g_loss", "d_acc_real", "d_acc_fake"]
    names = []
    for k in range(n_disc):
        names += [f"d{k}_{m}" for m in D_METRICS]
    return names + ["g_loss"]


def _acc(logits: tf.Tensor, real: bool) -> tf.Tensor:
    """Share of samples the discriminator puts on the right side of 0 (sigmoid 0.5)."""
    logits = tf.cast(logits, tf.float32)
    return tf.reduce_mean(tf.cast(logits > 0 if real else logits < 0, tf.float32))


def _aggregator(name: str, params: dict[str, Any]):
    """How the generator combines its losses against several discriminators."""
    params = dict(params)
    if name == "mean":
        allowed: set[str] = set()
    elif name == "gman":
        allowed = {"temperature"}
    else:
        allowed = {"delta"}
    if set(params) - allowed:
        raise ConfigError(f"train.aggregate_params for {name} take {sorted(allowed) or 'nothing'}, "
                          f"got {sorted(params)}")
    if name == "gman":  # Durugkar et al. 2016: softmax weights, temperature 0 = mean, large = max
        temperature = float(params.get("temperature", 1.0))

        def gman(losses):
            stacked = tf.stack(losses)
            weights = tf.stop_gradient(tf.nn.softmax(temperature * stacked))
            return tf.reduce_sum(weights * stacked)

        return gman
    if name == "hypervolume":  # Albuquerque et al. 2019: -sum log(eta - l_k), eta = delta * max l
        delta = float(params.get("delta", 1.5))
        if delta <= 1:
            raise ConfigError(f"train.aggregate_params.delta must be > 1, got {delta}")

        def hypervolume(losses):
            stacked = tf.stack(losses)
            eta = tf.stop_gradient(delta * tf.reduce_max(stacked))
            return -tf.reduce_sum(tf.math.log(eta - stacked))

        return hypervolume
    return lambda losses: tf.add_n(losses) / len(losses)


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
        # Batches, latents and penalty mixing weights all come from one generator,
        # drawn from in cross-replica context (so created outside the strategy's
        # scope): the same global batch whatever the number of replicas.
        self.rng = tf.random.Generator.from_seed(config.seed)
        self.is_chief = is_chief(self.strategy)
        with self.strategy.scope():
            self._init(config, dataset, generator, discriminator, objective, run_dir, callbacks, progress)

    def _init(self, config, dataset, generator, discriminator, objective, run_dir, callbacks, progress):
        self.config = config
        self.train_config = t = config.train
        self.dataset = dataset
        self.generator = generator
        self.objective = objective
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.progress = ProgressBar(progress)
        self.callbacks: list[Callback] = [self.progress, *callbacks]
        if t.tensorboard:
            from .tensorboard import TensorBoard

            self.callbacks.append(TensorBoard())

        if t.deterministic:
            tf.config.experimental.enable_op_determinism()
        n = len(dataset)
        if n < t.batch_size:
            raise ConfigError(
                f"train.batch_size ({t.batch_size}) exceeds the dataset's {n} samples; "
                f"use a batch size of at most {n - n % 2}"
            )
        replicas = self.strategy.num_replicas_in_sync
        d_batch = t.batch_size if t.schedule == "joint" else t.batch_size // 2
        if replicas > 1 and (t.batch_size % replicas or d_batch % replicas):
            raise ConfigError(f"train.batch_size ({t.batch_size}) must split evenly over {replicas} replicas "
                              f"(and its discriminator half-batch too)")
        models = [discriminator] if isinstance(discriminator, keras.Model) else list(discriminator)
        for m in models:
            pac = int(getattr(m, "pac", 1) or 1)
            if t.batch_size % pac or d_batch % pac:
                raise ConfigError(f"train.batch_size ({t.batch_size}) and the discriminator's batch ({d_batch}) "
                                  f"must be multiples of its pac ({pac}), which packs that many rows per logit")
        d_cfgs = discriminator_configs(config)
        if len(d_cfgs) != len(models):
            d_cfgs = [DiscriminatorConfig(m.name) for m in models]
        # A conditional generator takes [noise, one-hot class]; see models/tabular.py.
        self.condition_dim = int(getattr(generator, "condition_dim", 0) or 0)
        self.latent_dim = int(generator.input_shape[-1]) - self.condition_dim
        self.class_prior = None
        if self.condition_dim:
            if dataset.y is None:
                raise ConfigError("a conditional generator needs a dataset with class labels "
                                  "(data.params.target)")
            counts = np.bincount(dataset.y, minlength=self.condition_dim)[:self.condition_dim]
            self.class_prior = counts / counts.sum()
        self.steps_per_epoch = t.steps_per_epoch or max(1, n // t.batch_size)
        self.total_epochs = t.epochs

        # Optimizer phases: phase i runs after the first i swaps. Every phase's
        # optimizers are built now, so a checkpoint holds them all and a resume
        # across a swap restores the right state; each phase's step traces once.
        self.swap_steps = [sw.at_step if sw.at_step is not None else sw.at_epoch * self.steps_per_epoch
                           for sw in t.swaps]
        g_cfgs, d_phase_cfgs = [t.g_optimizer], [[c.optimizer or t.d_optimizer for c in d_cfgs]]
        for sw in t.swaps:
            g_cfgs.append(sw.g_optimizer or g_cfgs[-1])
            d_phase_cfgs.append([sw.d_optimizer or prev for prev in d_phase_cfgs[-1]])
        self.phase_optimizer_names = [
            (g.name, ",".join(sorted({d.name for d in ds}))) for g, ds in zip(g_cfgs, d_phase_cfgs, strict=True)]
        self.g_optimizers = [self._optimizer(c, "train.g_optimizer", generator) for c in g_cfgs]
        self.slots: list[DiscriminatorSlot] = []
        for k, (model, dc) in enumerate(zip(models, d_cfgs, strict=True)):
            frozen = t.freeze_discriminator if dc.freeze is None else dc.freeze
            slot = DiscriminatorSlot(model, dc.name, frozen)
            if not frozen:
                slot.optimizers = [self._optimizer(ph[k], "train.d_optimizer", model) for ph in d_phase_cfgs]
            if objective.needs_features:
                slot.features = features_model(model)
            self.slots.append(slot)
        self.metric_names = _metric_names(len(self.slots))

        self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch")
        self.phase = tf.Variable(0, dtype=tf.int64, trainable=False, name="phase")
        self.ema_generator: keras.Model | None = None
        if t.ema is not None:
            self.ema_generator = keras.models.clone_model(generator)
            self.ema_generator.set_weights(generator.get_weights())

        self._real = tf.constant(dataset.x)
        self._fixed_z = self.latents(t.n_samples, seed=config.seed + 7919)
        self.trace_count = 0
        self._step_fns: dict[int, Any] = {}
        tracked: dict[str, Any] = {"generator": generator, "rng": self.rng, "step": self.step,
                                   "epoch": self.epoch, "phase": self.phase}
        for i, opt in enumerate(self.g_optimizers):
            tracked["g_optimizer" + (f"_phase{i}" if i else "")] = opt
        for k, slot in enumerate(self.slots):
            tracked["discriminator" + (f"_{k}" if k else "")] = slot.model
            for i, opt in enumerate(slot.optimizers):
                tracked["d_optimizer" + (f"_{k}" if k else "") + (f"_phase{i}" if i else "")] = opt
        if self.ema_generator is not None:
            tracked["ema_generator"] = self.ema_generator
        # Keras keeps each Dropout's SeedGenerator state as a model variable that
        # tf.train.Checkpoint does not track; without it a resume draws other masks.
        tracked["layer_rng"] = _untracked_state([generator, *models])
        self._checkpoint = tf.train.Checkpoint(**tracked)
        self._manager: tf.train.CheckpointManager | None = None
        self._created_run_dir = False
        self._worker_dir: Path | None = None
        self.last_epoch_history: pd.DataFrame | None = None

    def _optimizer(self, cfg: OptimizerConfig, where: str, model: keras.Model) -> keras.optimizers.Optimizer:
        opt = build_optimizer(cfg, where)
        if self.train_config.mixed_precision == "mixed_float16":
            opt = keras.optimizers.LossScaleOptimizer(opt)
        # Slots must exist before the compiled loop (no variable creation inside it)
        # and before a checkpoint restore.
        opt.build(model.trainable_variables)
        return opt

    # -- compatibility views ---------------------------------------------------
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

    # ------------------------------------------------------------------ building
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
        spec = dataset.spec
        objective = OBJECTIVES.build(config.objective.name, **config.objective.params)
        previous = keras.config.dtype_policy()
        if config.train.mixed_precision:
            # layers take the policy at construction; restore it afterwards
            keras.config.set_dtype_policy(config.train.mixed_precision)
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
        run_dir = Path(run_dir)
        cfg_path = run_dir / "config.yaml"
        if not cfg_path.is_file():
            raise MpganError(f"{run_dir} is not an mpgan run directory (no config.yaml); "
                             "pass the folder that `mpgan train` created")
        trainer = cls.from_config(load_config(cfg_path), run_dir=run_dir, **kwargs)
        if not trainer.restore():
            raise MpganError(f"run {run_dir} has no checkpoint to resume from; "
                             "it stopped before its first checkpoint")
        return trainer

    def _step_fn(self, phase: int):
        """The compiled multi-step function of an optimizer phase (built, and traced, once)."""
        if phase not in self._step_fns:
            self._step_fns[phase] = self._build_step(phase)
        return self._step_fns[phase]

    def _build_step(self, phase: int):
        t = self.train_config
        G, slots, obj, rng, real_data = self.generator, self.slots, self.objective, self.rng, self._real
        opt_g = self.g_optimizers[phase]
        trained = [s for s in slots if not s.frozen]
        n_real = len(self.dataset)
        joint = t.schedule == "joint"
        d_batch = t.batch_size if joint else t.batch_size // 2
        smoothing = float(t.label_smoothing)
        latent, z_std = self.latent_dim, float(t.latent_std)
        cond_dim = self.condition_dim
        if cond_dim:
            cdf = tf.constant(np.cumsum(self.class_prior)[:-1], tf.float32)

        def draw_z(shape):
            """Latents for ``shape`` samples: noise, then (conditional G) a one-hot class
            drawn from the data's class frequencies."""
            z = rng.normal([*shape, latent], stddev=z_std)
            if not cond_dim:
                return z
            u = rng.uniform(shape)
            k = tf.reduce_sum(tf.cast(u[..., None] >= cdf, tf.int32), axis=-1)
            return tf.concat([z, tf.one_hot(k, cond_dim)], axis=-1)
        ema, ema_decay = self.ema_generator, t.ema
        aggregate = _aggregator(t.aggregate, t.aggregate_params)
        multi = len(slots) > 1

        strategy, replicas = self.strategy, self.strategy.num_replicas_in_sync
        need_extra_real = obj.needs_features or any(sl.frozen for sl in slots)

        def sample_real(n):
            idx = rng.uniform([n], minval=0, maxval=n_real, dtype=tf.int64)
            return tf.gather(real_data, idx)

        def scaled(loss):
            # Under a strategy each replica's gradients are summed: scale its batch-mean
            # loss so the sum is the global-batch mean.
            return loss / replicas if replicas > 1 else loss

        def d_update(slot, real, fake, eps):
            D, opt = slot.model, slot.optimizers[phase]
            if joint:
                with tf.GradientTape() as tape:
                    lr, lf = D(real, training=True), D(fake, training=True)
                    loss_r, loss_f = obj.d_real(lr, smoothing), obj.d_fake(lf)
                    loss = loss_r + loss_f
                    if obj.has_penalty:
                        loss += obj.penalty(D, real, fake, eps)
                    loss = scaled(loss)
                _apply(opt, tape, loss, D)
            else:  # MP-GAN: a half batch of real, its own update; then a half batch of fakes
                with tf.GradientTape() as tape:
                    lr = D(real, training=True)
                    loss_r = obj.d_real(lr, smoothing)
                    loss = scaled(loss_r)
                _apply(opt, tape, loss, D)
                with tf.GradientTape() as tape:
                    lf = D(fake, training=True)
                    loss_f = obj.d_fake(lf)
                    loss = loss_f + obj.penalty(D, real, fake, eps) if obj.has_penalty else loss_f
                    loss = scaled(loss)
                _apply(opt, tape, loss, D)
            return [loss_r, loss_f, _acc(lr, True), _acc(lf, False)]

        def replica_step(real_d, z_d, eps_d, real_extra, z_g):
            """Everything that touches the models, on this replica's share of the batch."""
            stats: dict[int, list] = {}
            if trained:
                for c in range(t.n_critic):
                    fake = G(z_d[c], training=True)
                    for slot in trained:
                        stats[id(slot)] = d_update(slot, real_d[c], fake, eps_d[c])
            # A frozen discriminator is a fixed function (dropout off, BatchNorm on its
            # moving statistics); its real-side numbers come from one forward pass.
            frozen_real = {}
            for slot in slots:
                if slot.frozen:
                    lr = slot.model(real_extra[:tf.shape(real_d)[1]], training=False)
                    frozen_real[id(slot)] = (obj.d_real(lr, smoothing), _acc(lr, True))
            with tf.GradientTape() as tape:
                fake = G(z_g, training=True)
                g_losses, fake_logits = [], []
                for slot in slots:
                    train_mode = not slot.frozen
                    if slot.features is not None:
                        lf, f_fake = slot.features(fake, training=train_mode)
                        _, f_real = slot.features(real_extra, training=train_mode)
                        g_losses.append(obj.g(lf, tf.stop_gradient(f_real), f_fake))
                    else:
                        lf = slot.model(fake, training=train_mode)
                        g_losses.append(obj.g(lf))
                    fake_logits.append(lf)
                g_loss = aggregate(g_losses)
                loss = scaled(g_loss)
            _apply(opt_g, tape, loss, G)
            values = []
            for slot, lf, gl in zip(slots, fake_logits, g_losses, strict=True):
                if slot.frozen:
                    loss_r, acc_r = frozen_real[id(slot)]
                    values += [loss_r, obj.d_fake(lf), acc_r, _acc(lf, False)]
                else:
                    values += stats[id(slot)]
                if multi:
                    values.append(gl)
            if not multi:  # the historical single-D column order
                values = [values[0], values[1], g_loss, values[2], values[3]]
            else:
                values.append(g_loss)
            return tf.stack([tf.cast(v, tf.float32) for v in values])

        def sharded_step(real_d, z_d, eps_d, real_extra, z_g):
            rid = tf.distribute.get_replica_context().replica_id_in_sync_group

            def shard(x, axis=0):
                n = tf.shape(x)[axis] // replicas
                return x[rid * n:(rid + 1) * n] if axis == 0 else x[:, rid * n:(rid + 1) * n]

            return replica_step(shard(real_d, 1), shard(z_d, 1), shard(eps_d, 1), shard(real_extra), shard(z_g))

        def one_step():
            # All randomness is drawn here, in cross-replica context, from one seeded
            # generator: the same global batch whatever the number of replicas.
            real_extra = sample_real(t.batch_size) if need_extra_real else tf.zeros([replicas, 1])
            if trained:
                real_d = tf.stack([sample_real(d_batch) for _ in range(t.n_critic)])
                z_d = draw_z([t.n_critic, d_batch])
                eps_d = rng.uniform([t.n_critic, d_batch]) if obj.has_penalty else tf.zeros([t.n_critic, d_batch])
            else:  # every discriminator frozen: nothing to draw for their updates
                real_d = tf.expand_dims(real_extra[:d_batch], 0)  # only its shape is read
                z_d = tf.zeros([1, d_batch, latent + cond_dim])
                eps_d = tf.zeros([1, d_batch])
            z_g = draw_z([t.batch_size])
            if replicas == 1:
                values = replica_step(real_d, z_d, eps_d, real_extra, z_g)
            else:
                per_replica = strategy.run(sharded_step, args=(real_d, z_d, eps_d, real_extra, z_g))
                values = strategy.reduce(tf.distribute.ReduceOp.MEAN, per_replica, axis=None)
            if ema is not None:
                step = tf.cast(self.step, tf.float32)
                decay = tf.minimum(ema_decay, (1.0 + step) / (10.0 + step))
                for e, w in zip(ema.weights, G.weights, strict=True):
                    e.assign(decay * e + (1.0 - decay) * tf.cast(w, e.dtype))
            self.step.assign_add(1)
            return values

        n_metrics = len(self.metric_names)

        @tf.function
        def run_steps(n_steps):
            self.trace_count += 1  # Python side effect: counts traces, not calls
            out = tf.TensorArray(tf.float32, size=n_steps, element_shape=[n_metrics])
            for i in tf.range(n_steps):
                out = out.write(i, one_step())
            return out.stack()

        return run_steps

    # ------------------------------------------------------------------ run dir
    def _prepare_run_dir(self) -> None:
        if not self.is_chief and self._worker_dir is None:
            # A non-chief worker writes (checkpoints too: saving is collective) into a
            # temporary folder, removed when training ends; only the chief's files stay.
            import tempfile

            self._worker_dir = Path(tempfile.mkdtemp(prefix="mpgan-worker-"))
            self.run_dir, self._manager = self._worker_dir, None
        if self.run_dir is None:
            self.run_dir = next_run_dir(Path(self.config.output_dir) / self.config.name)
        if not self.run_dir.exists():
            self._created_run_dir = True
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "samples").mkdir(exist_ok=True)
        save_config(self.config, self.run_dir / "config.yaml")
        spec = self.dataset.spec.to_dict()
        if "source" in self.dataset.info:
            spec["source"] = str(self.dataset.info["source"])
        atomic_write_text(self.run_dir / "data_spec.json", json.dumps(spec, indent=1))

    @property
    def manager(self) -> tf.train.CheckpointManager:
        if self._manager is None:
            if self.run_dir is None:
                raise MpganError("this trainer has no run directory; pass run_dir to save checkpoints")
            self._manager = tf.train.CheckpointManager(
                self._checkpoint, str(self.run_dir / "checkpoints"),
                max_to_keep=self.train_config.keep_checkpoints, checkpoint_name="ckpt")
        return self._manager

    def save_checkpoint(self) -> str:
        """Save the whole trainer state, and export plain ``.weights.h5`` beside it."""
        path = self.manager.save(checkpoint_number=int(self.step.numpy()))
        atomic_save(self.run_dir / "generator.weights.h5", self.generator.save_weights, suffix=".weights.h5")
        for k, d in enumerate(self.discriminators):
            name = "discriminator" if k == 0 else f"discriminator_{k}"
            atomic_save(self.run_dir / f"{name}.weights.h5", d.save_weights, suffix=".weights.h5")
        return path

    def restore(self, checkpoint: str | None = None) -> bool:
        """Restore the latest (or the given) checkpoint; reconcile history files with it."""
        path = checkpoint or (self.manager.latest_checkpoint if self.run_dir else None)
        if not path:
            return False
        self._checkpoint.read(path).assert_existing_objects_matched().expect_partial()
        step, epoch = int(self.step.numpy()), int(self.epoch.numpy())
        if not self.is_chief:  # the chief alone owns the run's files
            return True
        for fname, key, last in (("history.csv", "step", step), ("epochs.csv", "epoch", epoch)):
            f = self.run_dir / fname
            if f.exists():
                df = pd.read_csv(f)
                df = df[df[key] <= last]
                atomic_save(f, lambda p, df=df: df.to_csv(p, index=False))
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
            out.append(self._step_fn(phase)(tf.constant(m, tf.int32)).numpy())
            n -= m
        return np.concatenate(out) if out else np.zeros((0, len(self.metric_names)), np.float32)

    def _fit_epoch(self, epoch: int) -> None:
        t = self.train_config
        t0 = time.perf_counter()
        chunks, done = [], 0
        while done < self.steps_per_epoch:
            n = min(t.steps_per_call, self.steps_per_epoch - done)
            values = self.train_steps(n)
            first_step = int(self.step.numpy()) - n + 1
            self._check_finite(values, first_step, epoch + 1)
            chunks.append(values)
            done += n
            self.progress.update(n, dict(zip(self.metric_names, values[-1], strict=True)))
        seconds = time.perf_counter() - t0
        values = np.concatenate(chunks)
        last = int(self.step.numpy())
        steps = np.arange(last - len(values) + 1, last + 1)
        hist = pd.DataFrame(values, columns=self.metric_names)
        hist.insert(0, "phase", self.phase_at(steps - 1))
        hist.insert(0, "epoch", epoch + 1)
        hist.insert(0, "step", steps)
        self.last_epoch_history = hist
        self._append_csv("history.csv", hist)
        self.epoch.assign(epoch + 1)
        logs: dict[str, Any] = {"epoch": epoch + 1, "step": last}
        logs.update({k: float(v) for k, v in zip(self.metric_names, values.mean(axis=0), strict=True)})
        logs["seconds"] = seconds
        logs["steps_per_second"] = len(values) / seconds
        phase = int(self.phase_at(last - 1))
        logs["phase"] = phase
        logs["g_optimizer"], logs["d_optimizer"] = self.phase_optimizer_names[phase]
        for cb in self.callbacks:
            cb.on_epoch_end(self, epoch + 1, logs)
        self._append_csv("epochs.csv", pd.DataFrame([logs]))
        final = epoch + 1 == self.total_epochs
        if final or (t.sample_every and (epoch + 1) % t.sample_every == 0):
            self.save_samples(self.run_dir / "samples" / f"epoch_{epoch + 1:04d}")
        if final or (t.checkpoint_every and (epoch + 1) % t.checkpoint_every == 0):
            self.save_checkpoint()

    def _check_finite(self, values: np.ndarray, first_step: int, epoch: int) -> None:
        bad = ~np.isfinite(values)
        if not bad.any():
            return
        row, col = np.argwhere(bad)[0]
        last = self.manager.latest_checkpoint
        where = f"the last good checkpoint is {last}" if last else "no checkpoint had been saved yet"
        raise DivergenceError(
            f"training diverged: {self.metric_names[col]} became {values[row, col]} at step "
            f"{first_step + row} (epoch {epoch}); {where}. Lower the learning rate or change the objective")

    def _append_csv(self, name: str, df: pd.DataFrame) -> None:
        path = self.run_dir / name
        if path.exists():
            old = pd.read_csv(path)
            df = pd.concat([old, df], ignore_index=True)
        atomic_save(path, lambda p: df.to_csv(p, index=False))

    def _cleanup_after_failure(self) -> None:
        """Remove a run directory this process created if no checkpoint made it useful
        (and a non-chief worker's temporary folder in any case)."""
        if self._worker_dir is not None:
            shutil.rmtree(self._worker_dir, ignore_errors=True)
            return
        if self._created_run_dir and (self._manager is None or self._manager.latest_checkpoint is None):
            shutil.rmtree(self.run_dir, ignore_errors=True)

    def _final_outputs(self) -> None:
        from .. import plots

        hist = self.history()
        if len(hist):
            plots.plot_history(hist, self.run_dir / "plots")

    # ------------------------------------------------------------------ outputs
    def history(self) -> pd.DataFrame:
        """Per-step history so far (empty before training)."""
        path = self.run_dir / "history.csv" if self.run_dir else None
        return pd.read_csv(path) if path and path.exists() else pd.DataFrame(columns=["step", "epoch", *self.metric_names])

    def epochs_table(self) -> pd.DataFrame:
        path = self.run_dir / "epochs.csv" if self.run_dir else None
        return pd.read_csv(path) if path and path.exists() else pd.DataFrame()

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
        """``n`` latent vectors from the training prior N(0, latent_std^2), seeded.

        For a conditional generator each vector ends with a one-hot class: ``labels``
        (one class index, or one per row), else drawn from the data's class frequencies.
        """
        rng = np.random.default_rng(seed)
        z = (rng.standard_normal((n, self.latent_dim)) * self.train_config.latent_std).astype(np.float32)
        if not self.condition_dim:
            if labels is not None:
                raise MpganError("labels= needs a conditional generator (generator.params.conditional: true); "
                                 "this run's generator is unconditional")
            return z
        if labels is None:
            labels = rng.choice(self.condition_dim, size=n, p=self.class_prior)
        labels = np.broadcast_to(np.asarray(labels), (n,))
        if labels.dtype.kind not in "iu" or labels.min(initial=0) < 0 or labels.max(initial=0) >= self.condition_dim:
            raise MpganError(f"labels must be class indices in 0..{self.condition_dim - 1}, got {np.unique(labels)[:5]}")
        return np.concatenate([z, np.eye(self.condition_dim, dtype=np.float32)[labels]], axis=1)

    def sample(self, n: int, seed: int = 0, labels: int | np.ndarray | None = None) -> np.ndarray:
        """``n`` samples in model space; the same seed and weights give the same samples.
        ``labels`` asks a conditional generator for given classes (see :meth:`latents`)."""
        return self.generate(self.latents(n, seed, labels))

    def save_samples(self, stem: Path) -> Path:
        """Samples from the fixed latents: a PNG grid (images), histogram (toys) or CSV (tables)."""
        from .. import plots

        x = self.generate(self._fixed_z)
        kind = self.dataset.spec.kind
        title = f"{self.config.name} — epoch {int(self.epoch.numpy())}"
        if kind == "image":
            return plots.save_image_grid(self.dataset.inverse_transform(x), stem.with_suffix(".png"), title=title)
        if kind == "toy":
            more = self.sample(max(2000, len(x)), seed=self.config.seed)
            return plots.plot_toy_samples(self.dataset.x[:20000], more, stem.with_suffix(".png"), title=title)
        table = self.dataset.inverse_transform(x)
        path = stem.with_suffix(".csv")
        atomic_save(path, lambda p: pd.DataFrame(table).to_csv(p, index=False))
        return path


def _apply(optimizer: keras.optimizers.Optimizer, tape: tf.GradientTape, loss: tf.Tensor,
           model: keras.Model) -> None:
    variables = model.trainable_variables
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        with tape:
            loss = optimizer.scale_loss(loss)  # float16: keep small gradients representable
    optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))


def _untracked_state(models: Sequence[keras.Model]) -> list[tf.Variable]:
    """Model variables that are not weights (random-seed states), as plain tf.Variables."""
    out = []
    for model in models:
        weight_ids = {id(w) for w in model.weights}
        out += [getattr(v, "value", v) for v in model.variables if id(v) not in weight_ids]
    return out


def next_run_dir(base: Path) -> Path:
    """``base`` if it is free, else ``base-2``, ``base-3``... (never reuse a run)."""
    if not base.exists():
        return base
    i = 2
    while Path(f"{base}-{i}").exists():
        i += 1
    return Path(f"{base}-{i}")
