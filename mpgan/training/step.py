"""The compiled training step, built from registered parts.

One step: draw every random number for the global batch (real indices, latents,
mixing weights) from the trainer's seeded generator; run ``n_critic`` discriminator
updates with the configured schedule, objective, regularizers and augmentation; then
one generator update against every discriminator; then EMA and the step counter.
``one_step`` returns a dict of named scalars; the compiled loop stacks them in
``names`` order, one row per step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..lazy import lazy_module

tf = lazy_module("tensorflow")
keras = lazy_module("keras")

D_METRICS = ("d_loss_real", "d_loss_fake", "d_acc_real", "d_acc_fake")


@dataclass
class DiscriminatorSlot:
    """One discriminator with its training settings; ``optimizers`` has one per phase."""

    model: Any
    name: str
    frozen: bool
    optimizers: list = field(default_factory=list)
    features: Any = None  # (logits, penultimate features) model, for feature matching
    regularizers: list = field(default_factory=list)

    @property
    def conditional(self) -> bool:
        return bool(getattr(self.model, "condition_dim", 0))

    def call(self, x, labels, training: bool, features: bool = False):
        model = self.features if features else self.model
        return model([x, labels], training=training) if self.conditional else model(x, training=training)


def safe_mean(x):
    """The mean, 0 for an empty tensor (a Poisson batch of real rows may be empty)."""
    x = tf.cast(x, tf.float32)
    return tf.math.divide_no_nan(tf.reduce_sum(x), tf.cast(tf.size(x), tf.float32))


def accuracy(logits, real: bool):
    """Share of samples the discriminator puts on the right side of 0 (sigmoid 0.5)."""
    logits = tf.cast(logits, tf.float32)
    return safe_mean(tf.cast(logits > 0 if real else logits < 0, tf.float32))


def aggregator(name: str, params: dict[str, Any]) -> Callable[[list], Any]:
    """How the generator combines its losses against several discriminators
    (validated by the config)."""
    if name == "gman":  # Durugkar et al. 2016: softmax weights, temperature 0 = mean, large = max
        temperature = float(params.get("temperature", 1.0))

        def gman(losses):
            stacked = tf.stack(losses)
            return tf.reduce_sum(tf.stop_gradient(tf.nn.softmax(temperature * stacked)) * stacked)

        return gman
    if name == "hypervolume":  # Albuquerque et al. 2019: -sum log(eta - l_k), eta = delta * max l
        delta = float(params.get("delta", 1.5))

        def hypervolume(losses):
            stacked = tf.stack(losses)
            return -tf.reduce_sum(tf.math.log(tf.stop_gradient(delta * tf.reduce_max(stacked)) - stacked))

        return hypervolume
    return lambda losses: tf.add_n(losses) / len(losses)


class DUpdate:
    """One discriminator update in progress: what schedules and regularizers work on."""

    def __init__(self, step: TrainStep, slot: DiscriminatorSlot, real, real_labels, fake, fake_labels, eps):
        self.step, self.slot = step, slot
        self.real, self.real_labels, self.fake, self.fake_labels, self.eps = real, real_labels, fake, fake_labels, eps
        self.real_logits = self.fake_logits = None
        self.objective_real = self.objective_fake = None
        self.private_real = False  # set when the real term's gradient is DP-SGD's

    def discriminate(self, x, labels):
        return self.slot.call(x, labels, training=True)

    def real_loss(self):
        """The real term plus regularizers. Under privacy its gradient is left to DP-SGD
        (see ``apply``): the term is returned without one, for the metrics only."""
        self.objective_real = self.step.objective.d_real(self.real_logits, self.step.smoothing)
        if self.step.dp is not None:  # a Poisson batch may be empty: log 0, not NaN
            self.private_real = True
            self.objective_real = tf.where(tf.size(self.real_logits) > 0, self.objective_real, 0.0)
            return tf.stop_gradient(self.objective_real) + self.step.regularize(self, "real")
        return self.objective_real + self.step.regularize(self, "real")

    def real_row_loss(self, x, labels):
        """One real row's objective term (what DP-SGD clips)."""
        return self.step.objective.d_real(self.discriminate(x, labels), self.step.smoothing)

    def fake_loss(self):
        self.objective_fake = self.step.objective.d_fake(self.fake_logits)
        return self.objective_fake + self.step.regularize(self, "fake")

    def apply(self, tape, loss):
        """One optimizer step; under privacy, a loss with the real term adds its DP-SGD
        gradient (clipped per row, noised) to the tape's gradient of the rest."""
        optimizer = self.slot.optimizers[self.step.phase]
        if not self.private_real:
            self.step.apply(optimizer, tape, loss, self.slot.model)
            return
        self.private_real = False
        variables = self.slot.model.trainable_variables
        rest = tape.gradient(loss, variables)
        private = self.step.dp.gradients(self.real_row_loss, self.real, self.real_labels, variables, self.step.rng)
        grads = [p if r is None else p + r for p, r in zip(private, rest, strict=True)]
        optimizer.apply_gradients(zip(grads, variables, strict=True))

    def metrics(self) -> dict[str, Any]:
        out = {"d_loss_real": self.objective_real, "d_loss_fake": self.objective_fake,
               "d_acc_real": accuracy(self.real_logits, True), "d_acc_fake": accuracy(self.fake_logits, False)}
        out.update({r.name: r.value() for r in self.slot.regularizers})
        return out


class TrainStep:
    """Builds ``run_steps(n)``, the compiled loop of one optimizer phase."""

    def __init__(self, trainer: Any, phase: int):
        t = trainer.train_config
        self.trainer, self.phase, self.config = trainer, phase, t
        self.G, self.slots, self.objective = trainer.generator, trainer.slots, trainer.objective
        self.schedule, self.augment, self.prior = trainer.schedule, trainer.augment, trainer.prior
        self.rng, self.smoothing = trainer.rng, float(t.label_smoothing)
        self.trained = [s for s in self.slots if not s.frozen]
        self.n_critic = self.schedule.n_critic or t.n_critic
        self.d_batch = t.batch_size // 2 if self.schedule.half_batch else t.batch_size
        self.replicas = trainer.strategy.num_replicas_in_sync
        self.aggregate = aggregator(t.aggregate, t.aggregate_params)
        self.multi = len(self.slots) > 1
        self.dp = trainer.dp  # DP-SGD (training/privacy.py) or None
        self.names = self._names()

    # -- names -------------------------------------------------------------------------
    def _names(self) -> list[str]:
        def d_names(slot):
            regs = [r.name for r in slot.regularizers] if not slot.frozen else []
            return [*D_METRICS, *regs]

        if not self.multi:  # the historical single-D column order
            d = d_names(self.slots[0])
            names = [d[0], d[1], "g_loss", *d[2:]]
        else:
            names = [f"d{k}_{m}" for k, s in enumerate(self.slots) for m in [*d_names(s), "g_loss"]]
            names.append("g_loss")
        if self.augment is not None:
            names += list(self.augment_metric_names())
        return names

    def augment_metric_names(self) -> list[str]:
        return ["aug_p", "ada_rt"] if self.augment.ada is not None else ["aug_p"]

    # -- pieces ------------------------------------------------------------------------
    def scaled(self, loss):
        # Under a strategy each replica's gradients are summed: scale its batch-mean
        # loss so the sum is the global-batch mean.
        return loss / self.replicas if self.replicas > 1 else loss

    def apply(self, optimizer, tape, loss, model) -> None:
        variables = model.trainable_variables
        with tape:  # recorded on the tape, so the gradient sees the scaling
            loss = self.scaled(loss)
            if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
                loss = optimizer.scale_loss(loss)  # float16: keep small gradients representable
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))

    def regularize(self, u: DUpdate, side: str):
        """The weighted sum of ``side``'s regularizer terms (lazy ones on their steps only)."""
        total = tf.constant(0.0)
        for reg in u.slot.regularizers:
            if reg.has(side):
                total += reg.term(u, side, self.trainer.step)
        return total

    def view(self, x):
        return self.augment(x, self.rng) if self.augment is not None else x

    def real_batch(self, n):
        idx = self.rng.uniform([n], minval=0, maxval=self.trainer.n_real, dtype=tf.int64)
        x = tf.gather(self.trainer.real_x, idx)
        y = tf.gather(self.trainer.real_y, idx) if self.trainer.real_y is not None else None
        return x, y

    # -- one discriminator update ------------------------------------------------------
    def d_update(self, slot, real, real_y, fake, fake_y, eps) -> dict[str, Any]:
        if self.dp is not None:  # each update its own Poisson sample of the real rows
            real, real_y = self.dp.real_batch(self.rng, self.trainer.real_x, self.trainer.real_y)
        u = DUpdate(self, slot, self.view(real), real_y, self.view(fake), fake_y, eps)
        self.schedule.update(u)
        for reg in slot.regularizers:
            reg.observe(u)
        if self.augment is not None and slot is self.trained[0]:
            self.augment.observe(u.real_logits, self.trainer.step, self.d_batch)
        return u.metrics()

    def critic(self, real_d, real_yd, z_d, eps_d) -> dict[int, dict[str, Any]]:
        """``n_critic`` rounds of updates of every trained D; their metrics averaged."""
        sums: dict[int, dict[str, Any]] = {}
        for c in range(self.n_critic):
            fake = self.G(z_d[c], training=True)
            fake_y = self.prior.labels_of(z_d[c])
            for slot in self.trained:
                m = self.d_update(slot, real_d[c], None if real_yd is None else real_yd[c], fake, fake_y, eps_d[c])
                acc = sums.setdefault(id(slot), {})
                for k, v in m.items():
                    acc[k] = acc.get(k, 0.0) + tf.cast(v, tf.float32)
        return {k: {n: v / self.n_critic for n, v in m.items()} for k, m in sums.items()}

    # -- the generator update ----------------------------------------------------------
    def g_update(self, z_g, real_extra, real_extra_y):
        frozen = {}
        for slot in self.slots:  # a frozen D is a fixed function: one forward pass on reals
            if slot.frozen:
                lr = slot.call(self.view(real_extra[:self.d_batch // self.replicas]),
                               None if real_extra_y is None else real_extra_y[:self.d_batch // self.replicas],
                               training=False)
                frozen[id(slot)] = {"d_loss_real": self.objective.d_real(lr, self.smoothing),
                                    "d_acc_real": accuracy(lr, True)}
        fake_y = self.prior.labels_of(z_g)
        with tf.GradientTape() as tape:
            fake = self.view(self.G(z_g, training=True))
            g_losses, fake_logits = [], []
            for slot in self.slots:
                train_mode = not slot.frozen
                if slot.features is not None:
                    lf, f_fake = slot.call(fake, fake_y, train_mode, features=True)
                    _, f_real = slot.call(self.view(real_extra), real_extra_y, train_mode, features=True)
                    g_losses.append(self.objective.g(lf, tf.stop_gradient(f_real), f_fake))
                else:
                    lf = slot.call(fake, fake_y, train_mode)
                    g_losses.append(self.objective.g(lf))
                fake_logits.append(lf)
            g_loss = self.aggregate(g_losses)
        self.apply(self.trainer.g_optimizers[self.phase], tape, g_loss, self.G)
        for slot, lf in zip(self.slots, fake_logits, strict=True):
            if slot.frozen:
                frozen[id(slot)].update({"d_loss_fake": self.objective.d_fake(lf), "d_acc_fake": accuracy(lf, False)})
        return g_loss, g_losses, frozen

    # -- the whole step ----------------------------------------------------------------
    def replica_step(self, real_d, real_yd, z_d, eps_d, real_extra, real_extra_y, z_g) -> dict[str, Any]:
        stats = self.critic(real_d, real_yd, z_d, eps_d) if self.trained else {}
        g_loss, g_losses, frozen = self.g_update(z_g, real_extra, real_extra_y)
        values: dict[str, Any] = {}
        for k, (slot, gl) in enumerate(zip(self.slots, g_losses, strict=True)):
            m = frozen[id(slot)] if slot.frozen else stats[id(slot)]
            prefix = f"d{k}_" if self.multi else ""
            values.update({prefix + n: v for n, v in m.items()})
            if self.multi:
                values[f"d{k}_g_loss"] = gl
        values["g_loss"] = g_loss
        if self.augment is not None:
            values.update(self.augment.metrics())
        return {n: tf.cast(values[n], tf.float32) for n in self.names}

    def sharded(self, *args):
        rid = tf.distribute.get_replica_context().replica_id_in_sync_group
        axes = (1, 1, 1, 1, 0, 0, 0)

        def shard(x, axis):
            if x is None:
                return None
            n = tf.shape(x)[axis] // self.replicas
            return x[rid * n:(rid + 1) * n] if axis == 0 else x[:, rid * n:(rid + 1) * n]

        return self.replica_step(*(shard(a, ax) for a, ax in zip(args, axes, strict=True)))

    def draw(self):
        """Every random number of one step, for the global batch (cross-replica context)."""
        t, c, b = self.config, self.n_critic, self.d_batch
        need_extra = self.objective.needs_features or any(s.frozen for s in self.slots)
        real_extra, real_extra_y = self.real_batch(t.batch_size) if need_extra else (tf.zeros([self.replicas, 1]), None)
        if self.trained and self.dp is None:
            pairs = [self.real_batch(b) for _ in range(c)]
            real_d = tf.stack([p[0] for p in pairs])
            real_yd = tf.stack([p[1] for p in pairs]) if pairs[0][1] is not None else None
            z_d = self.prior.draw(self.rng, [c, b])
            needs_eps = any(r.needs_eps for s in self.trained for r in s.regularizers)
            eps_d = self.rng.uniform([c, b]) if needs_eps else tf.zeros([c, b])
        elif self.trained:  # privacy: real rows are Poisson-sampled in each update
            real_d, real_yd = tf.zeros([c, 1, 1]), None
            z_d, eps_d = self.prior.draw(self.rng, [c, b]), tf.zeros([c, b])
        else:  # every discriminator frozen: nothing to draw for their updates
            real_d, real_yd = tf.zeros([1, b, 1]), None
            z_d, eps_d = tf.zeros([1, b, self.prior.width]), tf.zeros([1, b])
        z_g = self.prior.draw(self.rng, [t.batch_size])
        return real_d, real_yd, z_d, eps_d, real_extra, real_extra_y, z_g

    def one_step(self) -> dict[str, Any]:
        args = self.draw()
        if self.replicas == 1:
            values = self.replica_step(*args)
        else:
            strategy = self.trainer.strategy
            per_replica = strategy.run(self.sharded, args=args)
            values = {k: strategy.reduce(tf.distribute.ReduceOp.MEAN, v, axis=None) for k, v in per_replica.items()}
        self.update_ema()
        self.trainer.step.assign_add(1)
        return values

    def update_ema(self) -> None:
        ema = self.trainer.ema_generator
        if ema is None:
            return
        step = tf.cast(self.trainer.step, tf.float32)
        decay = tf.minimum(self.config.ema, (1.0 + step) / (10.0 + step))
        for e, w in zip(ema.weights, self.G.weights, strict=True):
            e.assign(decay * e + (1.0 - decay) * tf.cast(w, e.dtype))

    def compile(self) -> Callable[[Any], Any]:
        names, trainer = self.names, self.trainer

        # autograph=False: the step holds no Python control flow on tensors (tf.cond and
        # tf.while_loop are written out), and converting every function it calls, Keras'
        # layers included, took half of each trace (about 11 s of 23 for the MP-GAN pair).
        @tf.function(autograph=False)
        def run_steps(n_steps):
            trainer.trace_count += 1  # Python side effect: counts traces, not calls

            def body(i, out):
                values = self.one_step()
                return i + 1, out.write(i, tf.stack([values[k] for k in names]))

            out = tf.TensorArray(tf.float32, size=n_steps, element_shape=[len(names)])
            _, out = tf.while_loop(lambda i, _: i < n_steps, body, (tf.constant(0), out))
            return out.stack()

        return run_steps


def metric_names(steps: Sequence[TrainStep]) -> list[str]:
    return steps[0].names if steps else []


__all__ = ["D_METRICS", "DUpdate", "DiscriminatorSlot", "TrainStep", "accuracy", "aggregator"]
