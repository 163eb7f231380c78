"""Training-step throughput: mpgan's compiled trainer vs a naive MP-GAN loop vs ``keras.Model.fit``.

All methods train the MP-GAN reference pair (``mpgan_generator`` / ``mpgan_discriminator``,
digits at 28x28) with the MP-GAN schedule: the discriminator on half a batch of real
images, then on half a batch of generated ones (two updates), then the generator on a
full batch through the discriminator.

* ``trainer``  -- ``mpgan.Trainer.from_config(...)``; ``trainer.train_steps(n)`` loops n steps
  inside one compiled call.
* ``naive``    -- the original MP-GAN (Keras 2 style) loop: numpy sampling, ``predict`` for the
  fakes, ``train_on_batch`` twice on D and once on a compiled G->D composite with D frozen.
* ``fit``      -- a ``keras.Model`` subclass overriding ``train_step``, run with ``fit``.
* optional trainer variants (``--mixed-precision``, ``--frozen``) are other config overrides.

Timings are interleaved (A, B, C, A, B, C, ...; the order rotates each repeat) so machine
noise hits every method alike, and every method runs the same number of steps per timing.
``--processes N`` repeats the whole measurement in N fresh subprocesses and pools them,
because ``fit`` was seen to be bimodal from one process to the next.

    python benchmarks/train_step_throughput.py --repeats 5 --processes 2 --out benchmarks/results/throughput
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import argparse
import gc
import json
import math
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from mpgan import DISCRIMINATORS, GENERATORS, ConfigError, Trainer, load_config, load_dataset
from mpgan.config import Config
from mpgan.data_spec import Dataset
from mpgan.io import atomic_write_text
from mpgan.report import write_machine_record
from mpgan.report.machine import matmul_gflops

Schedule = Literal["mpgan", "frozen_d"]

# Targets: the minimum trainer/naive speedup per batch size (the compiled step must beat the
# reference Keras loop by a margin worth its complexity: most at small batches, where per-step
# Python work dominates), and trainer >= fit (never slower than the standard Keras route).
TARGETS_VS_NAIVE = {8: 3.5, 64: 1.5}
TARGET_VS_FIT = 1.0


# ----------------------------------------------------------------------------- methods

@dataclass(frozen=True)
class Method:
    """One row group of the table: how to train (``kind``) plus trainer config overrides.

    ``required=False`` marks a variant that depends on a config key which may not exist
    yet; if it cannot be built it is skipped with a note instead of failing the run.
    ``schedule`` says which updates a step does, for the FLOP count.
    """

    name: str
    kind: Literal["trainer", "naive", "fit"]
    overrides: tuple[str, ...] = ()
    schedule: Schedule = "mpgan"
    required: bool = True


BASE_METHODS = (Method("trainer", "trainer"), Method("naive", "naive"), Method("fit", "fit"))
# Extra trainer variants, switched on by a CLI flag of the same name.
VARIANTS = {
    "mixed_precision": Method("trainer_bf16", "trainer", ("train.mixed_precision=mixed_bfloat16",),
                              required=False),
    "frozen": Method("trainer_frozen", "trainer", ("train.freeze_discriminator=true",),
                     schedule="frozen_d", required=False),
}
# The stabilizer switches (--switches): each one alone, timed as a ratio to the plain step.
SWITCHES = (
    Method("trainer_r1", "trainer", ("train.regularizers=[r1]",), required=False),
    Method("trainer_r1_lazy16", "trainer", ("train.regularizers=[{name: r1, every: 16}]",), required=False),
    Method("trainer_lecam", "trainer", ("train.regularizers=[lecam]",), required=False),
    Method("trainer_diffaugment", "trainer", ("train.augment={policy: [translation, cutout, color]}",),
           required=False),
    Method("trainer_ada", "trainer", ("train.augment={policy: [translation, cutout, color], ada: {}}",),
           required=False),
    Method("trainer_spectral_norm", "trainer", ("discriminator.spectral_norm=true",), required=False),
)


class SkipMethod(Exception):
    """A variant that cannot run in this checkout (e.g. its config key does not exist yet)."""


class Runner(Protocol):
    def run(self, steps: int) -> None:
        """Run ``steps`` training steps and return when they are done."""


# ----------------------------------------------------------------------------- helpers

def snapshot(variables: Sequence[Any]) -> list[np.ndarray]:
    return [np.array(v.numpy(), copy=True) for v in variables]


def changed(before: Sequence[np.ndarray], variables: Sequence[Any]) -> bool:
    return any(not np.array_equal(b, v.numpy()) for b, v in zip(before, variables, strict=True))


@contextmanager
def keep_global_policy() -> Iterator[None]:
    """Restore Keras' global dtype policy: a mixed-precision trainer must not leak bf16 into
    the models built after it."""
    policy = keras.mixed_precision.global_policy()
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(policy)


def base_overrides(args: argparse.Namespace, batch: int) -> list[str]:
    return [f"seed={args.seed}", f"train.batch_size={batch}", f"data.params.size={args.size}",
            *args.set]


class DataCache:
    """Datasets by config: every method trains on the same arrays, loaded once per process."""

    def __init__(self) -> None:
        self._cache: dict[str, Dataset] = {}

    def get(self, cfg: Config) -> Dataset:
        key = json.dumps([cfg.data.name, cfg.data.params], sort_keys=True, default=str)
        if key not in self._cache:
            self._cache[key] = load_dataset(cfg.data.name, **cfg.data.params)
        return self._cache[key]


def build_pair(cfg: Config, data: Dataset) -> tuple[keras.Model, keras.Model]:
    """Generator and (logit) discriminator from the registry, exactly as the trainer builds them."""
    keras.utils.set_random_seed(cfg.seed)
    g = GENERATORS.build(cfg.generator.name, data.spec, **cfg.generator.params)
    d = DISCRIMINATORS.build(cfg.discriminator.name, data.spec, **cfg.discriminator.params)
    return g, d


def adam() -> keras.optimizers.Optimizer:
    return keras.optimizers.Adam(2e-4, beta_1=0.5)


# ----------------------------------------------------------------------------- mpgan trainer

class TrainerRunner:
    """mpgan's own step: ``train_steps(n)`` runs n steps in one compiled call.

    The trainer loads its own copy of the (same) dataset from the config, as a user's run would.
    """

    def __init__(self, cfg: Config, data: Dataset):
        del data
        self.trainer = Trainer.from_config(cfg, run_dir=None, progress=False)
        self.g_vars = list(self.trainer.generator.trainable_weights)
        self.d_vars = list(self.trainer.discriminators[0].weights)  # not `trainable_`: may be frozen

    def run(self, steps: int) -> None:
        self.trainer.train_steps(steps)


# ----------------------------------------------------------------------------- (a) naive loop

class NaiveRunner:
    """The MP-GAN reference loop as it ran under Keras 2, made honest under Keras 3.

    D is the mpgan logit discriminator followed by a sigmoid (as the reference's Dense +
    sigmoid), trained with plain binary cross-entropy on probabilities. Keras 3 bakes the
    trainable variables into a model's train function when it is first traced, and compiling
    the composite after ``D.trainable = False`` would leave D frozen for good; so D is
    unfrozen before its own ``train_on_batch`` calls and frozen before the composite's.
    """

    def __init__(self, cfg: Config, data: Dataset):
        self.x = data.x  # (n, 28, 28, 1): keep the channel axis, Keras 3 needs it
        if self.x.ndim != 4:
            raise ValueError(f"naive loop expects images with a channel axis, got {self.x.shape}")
        self.batch = cfg.train.batch_size
        self.generator, self.d_logit = build_pair(cfg, data)
        self.latent = int(self.generator.input_shape[-1])
        self.discriminator = keras.Sequential(
            [keras.Input(data.spec.shape), self.d_logit, layers.Activation("sigmoid")], name="d_sigmoid")
        self.discriminator.compile(optimizer=adam(), loss="binary_crossentropy", metrics=["accuracy"],
                                   jit_compile=False)
        self.discriminator.trainable = False
        self.gan = keras.Sequential([keras.Input((self.latent,)), self.generator, self.discriminator],
                                    name="gan")
        self.gan.compile(optimizer=adam(), loss="binary_crossentropy", jit_compile=False)
        half = self.batch // 2
        self.ones_half, self.zeros_half = np.ones((half, 1)), np.zeros((half, 1))
        self.ones_full = np.ones((self.batch, 1))
        np.random.seed(cfg.seed)
        self.g_vars = list(self.generator.trainable_weights)
        self.d_vars = list(self.d_logit.weights)

    def d_updates(self) -> None:
        half = self.batch // 2
        real = self.x[np.random.randint(0, len(self.x), half)]
        fake = self.generator.predict(np.random.randn(half, self.latent), verbose=0)
        self.discriminator.trainable = True
        self.discriminator.train_on_batch(real, self.ones_half)
        self.discriminator.train_on_batch(fake, self.zeros_half)

    def g_update(self) -> None:
        self.discriminator.trainable = False
        self.gan.train_on_batch(np.random.randn(self.batch, self.latent), self.ones_full)

    def run(self, steps: int) -> None:
        for _ in range(steps):
            self.d_updates()
            self.g_update()

    def check(self) -> None:
        """One step: both D updates change D, the composite changes G and leaves D alone."""
        d0, g0 = snapshot(self.d_vars), snapshot(self.g_vars)
        self.d_updates()
        assert changed(d0, self.d_vars), "naive loop: D did not change in its own updates"
        d1 = snapshot(self.d_vars)
        self.g_update()
        assert not changed(d1, self.d_vars), "naive loop: D changed in the composite's update"
        assert changed(g0, self.g_vars), "naive loop: G did not change"
        assert int(self.discriminator.optimizer.iterations.numpy()) == 2
        assert int(self.gan.optimizer.iterations.numpy()) == 1


# ----------------------------------------------------------------------------- (b) Model.fit

class FitGAN(keras.Model):
    """The MP-GAN schedule as a ``train_step`` override (the Keras DCGAN example's shape).

    Each dataset element is a half batch of real images; latents come from a Keras
    SeedGenerator; losses are BCE on logits; each update touches only its player's
    variables (no ``trainable`` toggling).
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model, seed: int):
        super().__init__(name="fit_gan")
        self.generator = generator
        self.discriminator = discriminator
        self.latent = int(generator.input_shape[-1])
        self.seed_generator = keras.random.SeedGenerator(seed)

    def compile(self, d_optimizer: keras.optimizers.Optimizer,
                g_optimizer: keras.optimizers.Optimizer) -> None:
        super().compile(jit_compile=False)
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)
        self.bce = keras.losses.BinaryCrossentropy(from_logits=True)

    def _update(self, tape: tf.GradientTape, loss: tf.Tensor, model: keras.Model,
                optimizer: keras.optimizers.Optimizer) -> None:
        variables = model.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))

    def train_step(self, real: tf.Tensor) -> dict[str, tf.Tensor]:
        G, D = self.generator, self.discriminator
        half = tf.shape(real)[0]
        with tf.GradientTape() as tape:
            logits = D(real, training=True)
            d_loss_real = self.bce(tf.ones_like(logits), logits)
        self._update(tape, d_loss_real, D, self.d_optimizer)
        fake = G(keras.random.normal((half, self.latent), seed=self.seed_generator), training=True)
        with tf.GradientTape() as tape:
            logits = D(fake, training=True)
            d_loss_fake = self.bce(tf.zeros_like(logits), logits)
        self._update(tape, d_loss_fake, D, self.d_optimizer)
        z = keras.random.normal((2 * half, self.latent), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            logits = D(G(z, training=True), training=True)
            g_loss = self.bce(tf.ones_like(logits), logits)
        self._update(tape, g_loss, G, self.g_optimizer)
        return {"d_loss_real": d_loss_real, "d_loss_fake": d_loss_fake, "g_loss": g_loss}


class FitRunner:
    """``fit`` on a shuffled, repeated ``tf.data`` pipeline of half batches of real images."""

    def __init__(self, cfg: Config, data: Dataset):
        g, d = build_pair(cfg, data)
        self.model = FitGAN(g, d, seed=cfg.seed)
        self.model.compile(d_optimizer=adam(), g_optimizer=adam())
        self.dataset = (tf.data.Dataset.from_tensor_slices(data.x)
                        .shuffle(len(data.x), seed=cfg.seed).repeat()
                        .batch(cfg.train.batch_size // 2, drop_remainder=True)
                        .prefetch(tf.data.AUTOTUNE))
        self.g_vars, self.d_vars = list(g.trainable_weights), list(d.weights)

    def run(self, steps: int) -> None:
        self.model.fit(self.dataset, epochs=1, steps_per_epoch=steps, shuffle=False, verbose=0)


# ----------------------------------------------------------------------------- building

@dataclass
class Built:
    runner: Runner
    flops: float  # per step, analytic


def build_runner(method: Method, cfg: Config, data: Dataset) -> Runner:
    if method.kind == "trainer":
        return TrainerRunner(cfg, data)
    if method.kind == "naive":
        return NaiveRunner(cfg, data)
    return FitRunner(cfg, data)


def warm_up_and_check(method: Method, runner: Any, steps: int) -> str:
    """Warm up (traces everything) and check that each player really learns.

    The naive loop gets its own one-step check first (see :meth:`NaiveRunner.check`). A
    frozen-discriminator variant must leave D unchanged. Base methods fail loudly; a
    variant only gets a note, since its implementation may still be in progress.
    """
    if isinstance(runner, NaiveRunner):
        runner.check()
    d0, g0 = snapshot(runner.d_vars), snapshot(runner.g_vars)
    runner.run(steps)
    problems = []
    if not changed(g0, runner.g_vars):
        problems.append("G did not change during warm-up")
    d_moved = changed(d0, runner.d_vars)
    if method.schedule == "frozen_d" and d_moved:
        problems.append("D changed during warm-up although it should be frozen")
    if method.schedule == "mpgan" and not d_moved:
        problems.append("D did not change during warm-up")
    if problems and method.required:
        raise AssertionError(f"{method.name}: " + "; ".join(problems))
    return "; ".join(problems)


def build_checked(method: Method, args: argparse.Namespace, batch: int, data: Dataset
                  ) -> tuple[Runner, str]:
    """Build and warm up one runner; return it with a note on anything suspicious.

    A variant (``required=False``) that fails to configure or build raises
    :class:`SkipMethod` instead, so a half-finished feature never sinks the whole run.
    """
    cfg = make_config(method, args, batch)
    with keep_global_policy(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            runner = build_runner(method, cfg, data)
            return runner, warm_up_and_check(method, runner, args.warmup_steps)
        except Exception as exc:
            if method.required:
                raise
            raise SkipMethod(f"{method.name} skipped: {type(exc).__name__}: {exc}") from None


def make_config(method: Method, args: argparse.Namespace, batch: int) -> Config:
    try:
        return load_config(None, [*base_overrides(args, batch), *method.overrides])
    except ConfigError as exc:
        if method.required:
            raise
        raise SkipMethod(f"{method.name} skipped: {exc}") from None


# ----------------------------------------------------------------------------- FLOPs

def layer_flops(model: keras.Model) -> list[float]:
    """Forward FLOPs per sample of each Dense / Conv2D / Conv2DTranspose layer, in order.

    Dense 2*in*out; Conv2D 2*k*k*Cin*Cout*Hout*Wout; Conv2DTranspose 2*k*k*Cin*Cout*Hin*Win.
    Element-wise layers (BatchNorm, activations, dropout) and bias adds are left out.
    """
    out: list[float] = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            out += layer_flops(layer)
        elif isinstance(layer, layers.Conv2DTranspose):
            _, h, w, c_in = layer.input.shape
            kh, kw = layer.kernel_size
            out.append(2.0 * kh * kw * c_in * layer.filters * h * w)
        elif isinstance(layer, layers.Conv2D):
            c_in = layer.input.shape[-1]
            _, h, w, c_out = layer.output.shape
            kh, kw = layer.kernel_size
            out.append(2.0 * kh * kw * c_in * c_out * h * w / layer.groups)
        elif isinstance(layer, layers.Dense):
            shape = layer.input.shape[1:]
            out.append(2.0 * math.prod(shape) * layer.units)
    return out


def step_flops(g: keras.Model, d: keras.Model, batch: int, schedule: Schedule) -> float:
    """Analytic FLOPs of one training step.

    A backward pass costs one forward for the weight gradients (if the weights get
    gradients) plus one forward for the input gradients (except into the model's input,
    when nothing upstream needs it). So, with F the forward cost per sample and F1 that
    of the first layer: a D update costs (3F_D - F1_D) per sample; the generator update
    costs (3F_G - F1_G) for G plus 2F_D for D (input gradients only); making the fakes for
    D costs F_G per sample of the half batch.
    """
    fg, fd = layer_flops(g), layer_flops(d)
    f_g, f_d = sum(fg), sum(fd)
    half = batch // 2
    total = batch * (3 * f_g - fg[0] + 2 * f_d)
    if schedule == "mpgan":
        total += half * f_g + 2 * half * (3 * f_d - fd[0])
    return total


def profiled_step_flops(g: keras.Model, d: keras.Model, batch: int, schedule: Schedule
                        ) -> tuple[float, float]:
    """TensorFlow's own count for one step (conv+matmul ops, all ops), to check the analysis.

    Traces the step as a ``tf.function`` with static shapes and runs
    ``tf.compat.v1.profiler`` with ``float_operation()`` on its graph.
    """
    half, latent = batch // 2, int(g.input_shape[-1])

    def bce(logits: tf.Tensor, target: float) -> tf.Tensor:
        labels = tf.fill(tf.shape(logits), target)
        return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))

    @tf.function
    def step(real: tf.Tensor, z_half: tf.Tensor, z_full: tf.Tensor) -> list[tf.Tensor]:
        grads = []
        if schedule == "mpgan":
            fake = g(z_half, training=True)
            for x, target in ((real, 1.0), (fake, 0.0)):
                with tf.GradientTape() as tape:
                    loss = bce(d(x, training=True), target)
                grads += tape.gradient(loss, d.trainable_variables)
        with tf.GradientTape() as tape:
            loss = bce(d(g(z_full, training=True), training=True), 1.0)
        grads += tape.gradient(loss, g.trainable_variables)
        return grads

    concrete = step.get_concrete_function(
        tf.TensorSpec((half, *d.input_shape[1:])), tf.TensorSpec((half, latent)),
        tf.TensorSpec((batch, latent)))
    opts = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    opts["output"] = "none"
    verbosity = tf.get_logger().level
    tf.get_logger().setLevel("ERROR")
    try:
        prof = tf.compat.v1.profiler.profile(graph=concrete.graph, options=opts, cmd="op")
    finally:
        tf.get_logger().setLevel(verbosity)
    heavy = {"Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter", "MatMul", "BatchMatMulV2"}

    def walk(node: Any) -> float:
        own = node.float_ops if node.name in heavy else 0
        return own + sum(walk(c) for c in node.children)

    return float(walk(prof)), float(prof.total_float_ops)


# ----------------------------------------------------------------------------- one process

def thread_info() -> dict[str, Any]:
    return {
        "intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
        "inter_op": tf.config.threading.get_inter_op_parallelism_threads(),
        "cpu_count": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
    }


def nice_steps(n: float) -> int:
    """Round a step count up to two significant digits (137 -> 140), at least 3."""
    n = max(3, math.ceil(n))
    if n < 100:
        return n
    scale = 10 ** (len(str(n)) - 2)
    return math.ceil(n / scale) * scale


def selected_methods(args: argparse.Namespace) -> list[Method]:
    methods = [*BASE_METHODS, *(m for flag, m in VARIANTS.items() if getattr(args, flag))]
    return methods + (list(SWITCHES) if args.switches else [])


def measure(args: argparse.Namespace, process: int, steps_map: dict[int, int] | None) -> dict[str, Any]:
    """The whole measurement in this process: build, warm up, calibrate, time interleaved."""
    say = print if args.verbose else (lambda *a, **k: None)
    threads = thread_info()
    print(f"[process {process}] threads: intra-op {threads['intra_op']}, inter-op {threads['inter_op']} "
          f"(0 = TensorFlow's default), os.cpu_count() {threads['cpu_count']}, "
          f"affinity {threads['affinity']}", flush=True)
    peak = matmul_gflops(args.matmul_size, repeats=7)
    peak_bf16 = matmul_gflops(args.matmul_size, repeats=7, dtype="bfloat16") if args.mixed_precision else None
    print(f"[process {process}] fp32 matmul peak ({args.matmul_size}^2): {peak:.1f} GFLOP/s"
          + (f"; bf16 {peak_bf16:.1f} GFLOP/s" if peak_bf16 else ""), flush=True)

    cache = DataCache()
    methods = selected_methods(args)
    notes: list[str] = []
    skipped: set[str] = set()
    built: dict[tuple[str, int], Built] = {}
    profiled: dict[int, tuple[float, float]] = {}
    t_build = time.perf_counter()
    for batch in args.batches:
        ref_cfg = load_config(None, base_overrides(args, batch))
        data = cache.get(ref_cfg)
        ref_g, ref_d = build_pair(ref_cfg, data)
        if args.profile_flops:
            profiled[batch] = profiled_step_flops(ref_g, ref_d, batch, "mpgan")
        for method in methods:
            if method.name in skipped:
                continue
            try:
                runner, note = build_checked(method, args, batch, data)
            except SkipMethod as exc:
                skipped.add(method.name)
                notes.append(str(exc))
                print(f"[process {process}] note: {exc}", flush=True)
                continue
            if note:
                notes.append(f"{method.name} (batch {batch}): {note}")
            built[method.name, batch] = Built(runner, step_flops(ref_g, ref_d, batch, method.schedule))
            say(f"[process {process}] built {method.name} batch {batch}")
    active = [m for m in methods if m.name not in skipped]
    built = {key: b for key, b in built.items() if key[0] not in skipped}
    print(f"[process {process}] built and warmed up {len(built)} runners in "
          f"{time.perf_counter() - t_build:.0f} s", flush=True)

    # Settle: the first call of any compiled function after another model or function was
    # built costs ~0.7 s extra (seen for the trainer and Keras alike, with no retrace), so
    # every runner gets one more untimed call once everything exists.
    for item in built.values():
        item.runner.run(args.warmup_steps)

    if steps_map is None:  # calibrate: geometric mean over methods of one timing ~ target
        steps_map = {}
        for batch in args.batches:
            per_step = []
            for m in active:
                t0 = time.perf_counter()
                built[m.name, batch].runner.run(args.calibration_steps)
                per_step.append((time.perf_counter() - t0) / args.calibration_steps)
            mean = math.exp(statistics.fmean(math.log(s) for s in per_step))
            steps_map[batch] = nice_steps(args.target_seconds / mean)
        print(f"[process {process}] steps per timing (calibrated to ~{args.target_seconds:g} s): "
              + ", ".join(f"batch {b}: {n}" for b, n in steps_map.items()), flush=True)

    rows: list[dict[str, Any]] = []
    t_start = time.perf_counter()
    for r in range(args.repeats):
        for batch in args.batches:
            k = r % len(active)
            for m in active[k:] + active[:k]:  # rotate so no method always follows the same one
                n = steps_map[batch]
                gc.collect()
                t0 = time.perf_counter()
                built[m.name, batch].runner.run(n)
                seconds = time.perf_counter() - t0
                rows.append({"method": m.name, "batch": batch, "repeat": r, "process": process,
                             "steps_per_s": n / seconds, "steps": n, "seconds": seconds})
                say(f"[p{process} r{r + 1}/{args.repeats}] {m.name:<15} batch {batch:>4}: "
                    f"{n} steps in {seconds:.2f} s = {n / seconds:.2f} steps/s", flush=True)
        print(f"[process {process}] repeat {r + 1}/{args.repeats} done "
              f"({time.perf_counter() - t_start:.0f} s)", flush=True)

    return {
        "process": process, "threads": threads, "peak_gflops": peak, "peak_bf16_gflops": peak_bf16,
        "steps": {str(b): n for b, n in steps_map.items()}, "notes": notes, "rows": rows,
        "methods": [m.name for m in active],
        "flops": {f"{name}:{b}": v.flops for (name, b), v in built.items()},
        "profiled_flops": {str(b): list(v) for b, v in profiled.items()},
    }


# ----------------------------------------------------------------------------- pooling, report

@dataclass
class Summary:
    method: str
    batch: int
    median: float
    low: float
    high: float
    per_process: list[float] = field(default_factory=list)
    gflop_per_step: float = 0.0


def summarize(results: list[dict[str, Any]]) -> list[Summary]:
    rows = [row for res in results for row in res["rows"]]
    flops = {k: v for res in results for k, v in res["flops"].items()}
    methods = list(dict.fromkeys(m for res in results for m in res["methods"]))
    batches = sorted({row["batch"] for row in rows})
    out = []
    for m in methods:
        for b in batches:
            cell = [row for row in rows if row["method"] == m and row["batch"] == b]
            if not cell:
                continue
            values = [row["steps_per_s"] for row in cell]
            procs = sorted({row["process"] for row in cell})
            per_process = [statistics.median(row["steps_per_s"] for row in cell if row["process"] == p)
                           for p in procs]
            out.append(Summary(m, b, statistics.median(values), min(values), max(values), per_process,
                               flops.get(f"{m}:{b}", 0.0) / 1e9))
    return out


def render(results: list[dict[str, Any]], args: argparse.Namespace, argv: Sequence[str]) -> str:
    """The markdown report: setup, throughput table, speedups against the targets."""
    summaries = summarize(results)
    peak = statistics.median(r["peak_gflops"] for r in results)
    bf16 = [r["peak_bf16_gflops"] for r in results if r["peak_bf16_gflops"]]
    threads = results[0]["threads"]
    steps = results[0]["steps"]
    n_proc = len(results)
    peaks = ", ".join(f"{r['peak_gflops']:.1f}" for r in results)
    lines = [
        "# Training-step throughput",
        "",
        f"- `python benchmarks/train_step_throughput.py {' '.join(argv)}`",
        f"- {time.strftime('%Y-%m-%d %H:%M')}, {cpu_name()}, Python {platform.python_version()}, "
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}",
        f"- threads: intra-op {threads['intra_op']}, inter-op {threads['inter_op']} (0 = TensorFlow's "
        f"default), os.cpu_count() {threads['cpu_count']}, affinity {threads['affinity']}",
        f"- fp32 matmul peak ({args.matmul_size}x{args.matmul_size}, median): {peak:.1f} GFLOP/s"
        + (f" (per process: {peaks})" if n_proc > 1 else "")
        + (f"; bf16: {statistics.median(bf16):.1f} GFLOP/s" if bf16 else ""),
        f"- steps per timing: {', '.join(f'batch {b}: {n}' for b, n in steps.items())}; "
        f"{args.repeats} interleaved repeats x {n_proc} process(es) per cell",
        "",
        "| method | batch | steps/s (median) | min–max | "
        + ("per-process medians | " if n_proc > 1 else "")
        + "GFLOP/step | GFLOP/s | % of fp32 peak |",
        "| --- | ---: | ---: | ---: | " + ("---: | " if n_proc > 1 else "") + "---: | ---: | ---: |",
    ]
    for s in summaries:
        gflops = s.gflop_per_step * s.median
        per_proc = (" / ".join(f"{v:.2f}" for v in s.per_process) + " | ") if n_proc > 1 else ""
        lines.append(f"| {s.method} | {s.batch} | {s.median:.2f} | {s.low:.2f}–{s.high:.2f} | {per_proc}"
                     f"{s.gflop_per_step:.3g} | {gflops:.3g} | {100 * gflops / peak:.0f}% |")

    med = {(s.method, s.batch): s.median for s in summaries}
    trainer_like = [m for m in dict.fromkeys(s.method for s in summaries) if m.startswith("trainer")]
    lines += ["", "Speedups (ratio of median steps/s; targets: trainer ≥ 3.5× naive at "
              "batch 8, ≥ 1.5× at batch 64, never below fit):", "",
              "| method | batch | × naive | × fit | × trainer (plain step) |", "| --- | ---: | ---: | ---: | ---: |"]
    for m in trainer_like:
        for b in sorted({s.batch for s in summaries}):
            if (m, b) not in med:
                continue
            cells = []
            for other, target in (("naive", TARGETS_VS_NAIVE.get(b)), ("fit", TARGET_VS_FIT)):
                if (other, b) not in med:
                    cells.append("–")
                    continue
                ratio = med[m, b] / med[other, b]
                verdict = ""
                if m == "trainer" and target is not None:
                    verdict = f" ({'meets' if ratio >= target else 'misses'} ≥ {target:g}×)"
                cells.append(f"{ratio:.2f}×{verdict}")
            plain = f"{med[m, b] / med['trainer', b]:.2f}×" if ("trainer", b) in med else "–"
            lines.append(f"| {m} | {b} | {cells[0]} | {cells[1]} | {plain} |")

    profiled = results[0]["profiled_flops"]
    if profiled:
        lines += ["", "FLOP check (one MP-GAN step, GFLOP): analytic vs TensorFlow's profiler "
                  "(conv+matmul ops / all ops):", ""]
        analytic = {s.batch: s.gflop_per_step for s in summaries if s.method == "trainer"}
        for b, (heavy, total) in profiled.items():
            lines.append(f"- batch {b}: {analytic.get(int(b), math.nan):.3f} vs {heavy / 1e9:.3f} / {total / 1e9:.3f}")
    notes = list(dict.fromkeys(n for r in results for n in r["notes"]))
    if notes:
        lines += ["", "Notes:", "", *(f"- {n}" for n in notes)]
    return "\n".join(lines) + "\n"


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def write_outputs(out: Path, results: list[dict[str, Any]], report: str) -> None:
    header = "method,batch,repeat,process,steps_per_s,steps,seconds"
    lines = [header] + [
        f"{r['method']},{r['batch']},{r['repeat']},{r['process']},{r['steps_per_s']:.6g},{r['steps']},"
        f"{r['seconds']:.6g}" for res in results for r in res["rows"]]
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "results.csv", "\n".join(lines) + "\n")
    atomic_write_text(out / "results.md", report)
    write_machine_record(out)


# ----------------------------------------------------------------------------- CLI

def parse_steps(values: list[str] | None, batches: list[int]) -> dict[int, int] | None:
    """``--steps 40`` for every batch, or ``--steps 8=200 64=40 256=10`` per batch; None: calibrate."""
    if not values:
        return None
    if len(values) == 1 and "=" not in values[0]:
        return dict.fromkeys(batches, int(values[0]))
    pairs = dict(v.split("=", 1) for v in values)
    steps = {int(b): int(n) for b, n in pairs.items()}
    missing = [b for b in batches if b not in steps]
    if missing:
        raise SystemExit(f"error: --steps gives no step count for batch {missing[0]}")
    return steps


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batches", type=int, nargs="+", default=[8, 64, 256], help="even batch sizes")
    p.add_argument("--repeats", type=int, default=5, help="interleaved timings per (method, batch)")
    p.add_argument("--steps", nargs="+", metavar="N|BATCH=N",
                   help="steps per timing, same for every method; default: calibrated so a "
                        "timing takes about --target-seconds")
    p.add_argument("--target-seconds", type=float, default=5.0,
                   help="calibration target for one timing (geometric mean over methods)")
    p.add_argument("--processes", type=int, default=1,
                   help="run the whole measurement in N fresh subprocesses and pool them")
    p.add_argument("--mixed-precision", action="store_true",
                   help="also time the trainer with train.mixed_precision=mixed_bfloat16")
    p.add_argument("--frozen", action="store_true",
                   help="also time the trainer with train.freeze_discriminator=true")
    p.add_argument("--switches", action="store_true",
                   help="also time each stabilizer switch (R1, lazy R1, LeCam, DiffAugment, ADA, spectral norm)")
    p.add_argument("--out", type=Path, help="write results.csv and results.md here")
    p.add_argument("--verbose", action="store_true", help="one line per measurement")
    p.add_argument("--size", type=int, default=28, help="image size (data.params.size)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="extra config override for every method (e.g. generator.params.filters=16)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--warmup-steps", type=int, default=3)
    p.add_argument("--calibration-steps", type=int, default=3)
    p.add_argument("--matmul-size", type=int, default=2048, help="n for the n x n peak matmul")
    p.add_argument("--profile-flops", action="store_true",
                   help="also count one step's FLOPs with tf.compat.v1.profiler, as a check")
    p.add_argument("--worker-json", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--process-index", type=int, default=0, help=argparse.SUPPRESS)
    return p


def worker_argv(args: argparse.Namespace, index: int, steps: dict[int, int] | None, path: Path
                ) -> list[str]:
    """Command line for one subprocess: the same measurement, results as JSON."""
    argv = ["--batches", *map(str, args.batches), "--repeats", str(args.repeats),
            "--target-seconds", str(args.target_seconds), "--size", str(args.size),
            "--seed", str(args.seed), "--warmup-steps", str(args.warmup_steps),
            "--calibration-steps", str(args.calibration_steps), "--matmul-size", str(args.matmul_size),
            "--worker-json", str(path), "--process-index", str(index)]
    for item in args.set:
        argv += ["--set", item]
    if steps:
        argv += ["--steps", *(f"{b}={n}" for b, n in steps.items())]
    for flag in ("mixed_precision", "frozen", "switches", "verbose", "profile_flops"):
        if getattr(args, flag):
            argv.append("--" + flag.replace("_", "-"))
    return argv


def run_subprocesses(args: argparse.Namespace, steps: dict[int, int] | None) -> list[dict[str, Any]]:
    """One fresh interpreter per process, one after another (they would fight over the cores).

    The first calibrates the step counts (unless given); the others reuse them.
    """
    results = []
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2")}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.processes):
            path = Path(tmp) / f"process_{i}.json"
            cmd = [sys.executable, str(Path(__file__).resolve()), *worker_argv(args, i, steps, path)]
            subprocess.run(cmd, check=True, env=env)
            res = json.loads(path.read_text())
            steps = {int(b): n for b, n in res["steps"].items()}
            results.append(res)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser().parse_args(argv)
    if any(b <= 0 or b % 2 for b in args.batches):
        raise SystemExit(f"error: --batches must be positive even numbers, got {args.batches}")
    if args.repeats < 1 or args.processes < 1:
        raise SystemExit("error: --repeats and --processes must be at least 1")
    steps = parse_steps(args.steps, args.batches)

    if args.worker_json is not None:  # a subprocess of --processes N
        res = measure(args, args.process_index, steps)
        atomic_write_text(args.worker_json, json.dumps(res))
        return 0
    if args.processes > 1:
        results = run_subprocesses(args, steps)
    else:
        results = [measure(args, 0, steps)]
    report = render(results, args, argv)
    print()
    print(report)
    if args.out is not None:
        write_outputs(args.out, results, report)
        print(f"wrote {args.out / 'results.csv'} and {args.out / 'results.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
