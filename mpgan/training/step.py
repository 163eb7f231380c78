"""The compiled training loop, built from the trainer's step plan.

One step (one tick of the trainer's ``step`` counter): draw every random number for the
global batch (real indices, latents, mixing weights) from the trainer's seeded
generator; run ``n_critic`` rounds of discriminator updates with the plan's schedule,
objective, regularizers and augmentation; then one generator update against every
discriminator, with the regularizers' generator terms; then EMA and the counter.
``train_batch`` returns a dict of named scalars; the compiled ``run_steps(n)`` stacks
them in the plan's ``metric_names`` order, one row per step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from ..lazy import lazy_module
from .plan import DiscriminatorSlot, StepPlan

if TYPE_CHECKING:
    from .privacy import DPSGD

tf = lazy_module("tensorflow")
keras = lazy_module("keras")


class LoopHost(Protocol):
    """What the loop reads from its trainer besides the plan: the models, the data and the
    state variables (a checkpoint restores those in place, so the plan holds none)."""

    plan: StepPlan
    dp: DPSGD | None
    generator: keras.Model
    ema_generator: keras.Model | None
    strategy: tf.distribute.Strategy
    rng: tf.random.Generator
    step: tf.Variable
    real_x: tf.Tensor
    real_y: tf.Tensor | None
    n_real: int
    trace_count: int


def safe_mean(x: Any) -> Any:
    """The mean, 0 for an empty tensor (a Poisson batch of real rows may be empty)."""
    x = tf.cast(x, tf.float32)
    return tf.math.divide_no_nan(tf.reduce_sum(x), tf.cast(tf.size(x), tf.float32))


def accuracy(logits: Any, real: bool) -> Any:
    """Share of samples the discriminator puts on the right side of 0 (sigmoid 0.5)."""
    logits = tf.cast(logits, tf.float32)
    return safe_mean(tf.cast(logits > 0 if real else logits < 0, tf.float32))


class DUpdate:
    """One discriminator update in progress: what schedules and regularizers work on."""

    def __init__(self, loop: TrainLoop, slot: DiscriminatorSlot, real: Any, real_labels: Any, fake: Any,
                 fake_labels: Any, eps: Any):
        self.loop, self.slot = loop, slot
        self.real, self.real_labels, self.fake, self.fake_labels, self.eps = real, real_labels, fake, fake_labels, eps
        self.real_logits = self.fake_logits = None
        self.objective_real = self.objective_fake = None
        self.private_real = False  # set when the real term's gradient is DP-SGD's

    def discriminate(self, x: Any, labels: Any) -> Any:
        return self.slot.call(x, labels, training=True)

    def real_loss(self) -> Any:
        """The real term plus regularizers. Under privacy its gradient is left to DP-SGD
        (see ``apply``): the term is returned without one, for the metrics only."""
        plan = self.loop.plan
        self.objective_real = plan.objective.d_real(self.real_logits, plan.label_smoothing)
        if self.loop.dp is not None:  # a Poisson batch may be empty: log 0, not NaN
            self.private_real = True
            self.objective_real = tf.where(tf.size(self.real_logits) > 0, self.objective_real, 0.0)
            return tf.stop_gradient(self.objective_real) + self.loop.regularize(self, "real")
        return self.objective_real + self.loop.regularize(self, "real")

    def real_row_loss(self, x: Any, labels: Any) -> Any:
        """One real row's objective term (what DP-SGD clips)."""
        plan = self.loop.plan
        return plan.objective.d_real(self.discriminate(x, labels), plan.label_smoothing)

    def fake_loss(self) -> Any:
        self.objective_fake = self.loop.plan.objective.d_fake(self.fake_logits)
        return self.objective_fake + self.loop.regularize(self, "fake")

    def apply(self, tape: Any, loss: Any) -> None:
        """One optimizer update; under privacy, a loss with the real term adds its DP-SGD
        gradient (clipped per row, noised) to the tape's gradient of the rest."""
        optimizer = self.slot.optimizers[self.loop.phase]
        if not self.private_real:
            self.loop.apply(optimizer, tape, loss, self.slot.model)
            return
        self.private_real = False
        variables = self.slot.model.trainable_variables
        rest = tape.gradient(loss, variables)
        private = self.loop.dp.gradients(self.real_row_loss, self.real, self.real_labels, variables, self.loop.rng)
        grads = [p if r is None else p + r for p, r in zip(private, rest, strict=True)]
        optimizer.apply_gradients(zip(grads, variables, strict=True))

    def metrics(self) -> dict[str, Any]:
        out = {"d_loss_real": self.objective_real, "d_loss_fake": self.objective_fake,
               "d_acc_real": accuracy(self.real_logits, True), "d_acc_fake": accuracy(self.fake_logits, False)}
        out.update({r.name: r.value() for r in self.slot.regularizers if r.has("real") or r.has("fake")})
        return out


class GUpdate:
    """The generator update as one trained discriminator sees it: what a regularizer's
    generator term reads. It is computed on the generator's tape, so its gradient
    reaches the generator's weights through ``generated`` (G(z)) and ``fake``."""

    def __init__(self, slot: DiscriminatorSlot, z: Any, generated: Any, fake: Any, fake_labels: Any,
                 fake_logits: Any):
        self.slot, self.z, self.generated = slot, z, generated
        self.fake, self.fake_labels, self.fake_logits = fake, fake_labels, fake_logits

    def discriminate(self, x: Any, labels: Any) -> Any:
        return self.slot.call(x, labels, training=True)


class TrainLoop:
    """Builds ``run_steps(n)``, the compiled loop of one optimizer phase."""

    def __init__(self, host: LoopHost, phase: int):
        self.host, self.plan, self.phase = host, host.plan, phase
        self.generator, self.rng, self.dp = host.generator, host.rng, host.dp
        self.replicas = self.plan.batches.replicas
        self.names = list(self.plan.metric_names)

    # -- pieces ------------------------------------------------------------------------
    def scaled(self, loss: Any) -> Any:
        # Under a strategy each replica's gradients are summed: scale its batch-mean
        # loss so the sum is the global-batch mean.
        return loss / self.replicas if self.replicas > 1 else loss

    def apply(self, optimizer: Any, tape: Any, loss: Any, model: Any) -> None:
        variables = model.trainable_variables
        with tape:  # recorded on the tape, so the gradient sees the scaling
            loss = self.scaled(loss)
            if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
                loss = optimizer.scale_loss(loss)  # float16: keep small gradients representable
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))

    def regularize(self, u: DUpdate | GUpdate, side: str) -> Any:
        """The weighted sum of ``side``'s regularizer terms of ``u``'s discriminator (lazy
        ones on their steps only)."""
        total = tf.constant(0.0)
        for reg in u.slot.regularizers:
            if reg.has(side):
                total += reg.term(u, side, self.host.step)
        return total

    def view(self, x: Any) -> Any:
        augment = self.plan.augment
        return augment(x, self.rng) if augment is not None else x

    def real_batch(self, n: int) -> tuple[Any, Any]:
        host = self.host
        idx = self.rng.uniform([n], minval=0, maxval=host.n_real, dtype=tf.int64)
        x = tf.gather(host.real_x, idx)
        y = tf.gather(host.real_y, idx) if host.real_y is not None else None
        return x, y

    # -- one discriminator update ------------------------------------------------------
    def d_update(self, slot: DiscriminatorSlot, real: Any, real_y: Any, fake: Any, fake_y: Any,
                 eps: Any) -> dict[str, Any]:
        if self.dp is not None:  # each update its own Poisson sample of the real rows
            real, real_y = self.dp.real_batch(self.rng, self.host.real_x, self.host.real_y)
        u = DUpdate(self, slot, self.view(real), real_y, self.view(fake), fake_y, eps)
        self.plan.schedule.update(u)
        for reg in slot.regularizers:
            reg.observe(u)
        if self.plan.augment is not None and slot is self.plan.trained[0]:
            self.plan.augment.observe(u.real_logits, self.host.step, self.plan.batches.real)
        return u.metrics()

    def critic(self, real_d: Any, real_yd: Any, z_d: Any, eps_d: Any) -> dict[int, dict[str, Any]]:
        """``n_critic`` rounds of updates of every trained D; their metrics averaged."""
        n_critic = self.plan.batches.n_critic
        sums: dict[int, dict[str, Any]] = {}
        for c in range(n_critic):
            fake = self.generator(z_d[c], training=True)
            fake_y = self.plan.prior.labels_of(z_d[c])
            for slot in self.plan.trained:
                m = self.d_update(slot, real_d[c], None if real_yd is None else real_yd[c], fake, fake_y, eps_d[c])
                acc = sums.setdefault(id(slot), {})
                for k, v in m.items():
                    acc[k] = acc.get(k, 0.0) + tf.cast(v, tf.float32)
        return {k: {n: v / n_critic for n, v in m.items()} for k, m in sums.items()}

    # -- the generator update ----------------------------------------------------------
    def frozen_real_metrics(self, real_rows: Any, real_rows_y: Any) -> dict[int, dict[str, Any]]:
        """A frozen D is a fixed function: its real-side numbers come from one forward
        pass on a discriminator batch of real rows."""
        n, out = self.plan.batches.per_replica(self.plan.batches.real), {}
        for slot in self.plan.slots:
            if slot.frozen:
                logits = slot.call(self.view(real_rows[:n]), None if real_rows_y is None else real_rows_y[:n],
                                   training=False)
                out[id(slot)] = {"d_loss_real": self.plan.objective.d_real(logits, self.plan.label_smoothing),
                                 "d_acc_real": accuracy(logits, True)}
        return out

    def g_losses(self, fake: Any, fake_y: Any, real_rows: Any, real_rows_y: Any) -> tuple[list[Any], list[Any]]:
        """The objective's generator loss against each discriminator, and its logits."""
        losses, logits = [], []
        for slot in self.plan.slots:
            train_mode = not slot.frozen
            if slot.features is not None:
                lf, f_fake = slot.call(fake, fake_y, train_mode, features=True)
                _, f_real = slot.call(self.view(real_rows), real_rows_y, train_mode, features=True)
                losses.append(self.plan.objective.g(lf, tf.stop_gradient(f_real), f_fake))
            else:
                lf = slot.call(fake, fake_y, train_mode)
                losses.append(self.plan.objective.g(lf))
            logits.append(lf)
        return losses, logits

    def g_update(self, z_g: Any, real_rows: Any, real_rows_y: Any) -> tuple[Any, list[Any], dict[int, dict]]:
        """The generator's update: the aggregate of its objective losses plus every trained
        discriminator's regularizer generator terms (the logged ``g_loss`` is the aggregate)."""
        frozen = self.frozen_real_metrics(real_rows, real_rows_y)
        fake_y = self.plan.prior.labels_of(z_g)
        with tf.GradientTape() as tape:
            generated = self.generator(z_g, training=True)
            fake = self.view(generated)
            g_losses, fake_logits = self.g_losses(fake, fake_y, real_rows, real_rows_y)
            g_loss = self.plan.aggregate(g_losses)
            terms = [self.regularize(GUpdate(slot, z_g, generated, fake, fake_y, lf), "g")
                     for slot, lf in zip(self.plan.slots, fake_logits, strict=True)
                     if any(r.has("g") for r in slot.regularizers)]
            loss = g_loss + tf.add_n(terms) if terms else g_loss
        self.apply(self.plan.g_optimizers[self.phase], tape, loss, self.generator)
        for slot, lf in zip(self.plan.slots, fake_logits, strict=True):
            if slot.frozen:
                frozen[id(slot)].update({"d_loss_fake": self.plan.objective.d_fake(lf),
                                         "d_acc_fake": accuracy(lf, False)})
        return g_loss, g_losses, frozen

    # -- the whole step ----------------------------------------------------------------
    def replica_update(self, real_d: Any, real_yd: Any, z_d: Any, eps_d: Any, real_rows: Any, real_rows_y: Any,
                       z_g: Any) -> dict[str, Any]:
        """Every player's update on this replica's share of the step's draws."""
        plan = self.plan
        stats = self.critic(real_d, real_yd, z_d, eps_d) if plan.trained else {}
        g_loss, g_losses, frozen = self.g_update(z_g, real_rows, real_rows_y)
        values: dict[str, Any] = {}
        for k, (slot, gl) in enumerate(zip(plan.slots, g_losses, strict=True)):
            prefix = f"d{k}_" if plan.multi else ""
            values.update({prefix + n: v for n, v in (frozen if slot.frozen else stats)[id(slot)].items()})
            values.update({f"{prefix}g_{r.name}": r.value(("g",)) for r in slot.regularizers if r.has("g")})
            if plan.multi:
                values[f"d{k}_g_loss"] = gl
        values["g_loss"] = g_loss
        if plan.augment is not None:
            values.update(plan.augment.metrics())
        return {n: tf.cast(values[n], tf.float32) for n in self.names}

    def sharded(self, *args: Any) -> dict[str, Any]:
        rid = tf.distribute.get_replica_context().replica_id_in_sync_group
        axes = (1, 1, 1, 1, 0, 0, 0)

        def shard(x, axis):
            if x is None:
                return None
            n = tf.shape(x)[axis] // self.replicas
            return x[rid * n:(rid + 1) * n] if axis == 0 else x[:, rid * n:(rid + 1) * n]

        return self.replica_update(*(shard(a, ax) for a, ax in zip(args, axes, strict=True)))

    def draw(self) -> tuple[Any, ...]:
        """Every random number of one step, for the global batch (cross-replica context)."""
        plan, b = self.plan, self.plan.batches
        c, prior = b.n_critic, plan.prior
        real_rows, real_rows_y = (self.real_batch(b.generator) if plan.needs_real_rows
                                  else (tf.zeros([self.replicas, 1]), None))
        if plan.trained and self.dp is None:
            pairs = [self.real_batch(b.real) for _ in range(c)]
            real_d = tf.stack([p[0] for p in pairs])
            real_yd = tf.stack([p[1] for p in pairs]) if pairs[0][1] is not None else None
            z_d = prior.draw(self.rng, [c, b.fake])
            eps_d = self.rng.uniform([c, b.fake]) if plan.needs_eps else tf.zeros([c, b.fake])
        elif plan.trained:  # privacy: real rows are Poisson-sampled in each update
            real_d, real_yd = tf.zeros([c, 1, 1]), None
            z_d, eps_d = prior.draw(self.rng, [c, b.fake]), tf.zeros([c, b.fake])
        else:  # every discriminator frozen: nothing to draw for their updates
            real_d, real_yd = tf.zeros([1, b.fake, 1]), None
            z_d, eps_d = tf.zeros([1, b.fake, prior.width]), tf.zeros([1, b.fake])
        z_g = prior.draw(self.rng, [b.generator])
        return real_d, real_yd, z_d, eps_d, real_rows, real_rows_y, z_g

    def train_batch(self) -> dict[str, Any]:
        """One step: draw, update every player, EMA, and advance the counter by one."""
        args = self.draw()
        if self.replicas == 1:
            values = self.replica_update(*args)
        else:
            strategy = self.host.strategy
            per_replica = strategy.run(self.sharded, args=args)
            values = {k: strategy.reduce(tf.distribute.ReduceOp.MEAN, v, axis=None) for k, v in per_replica.items()}
        self.update_ema()
        self.host.step.assign_add(1)
        return values

    def update_ema(self) -> None:
        ema = self.host.ema_generator
        if ema is None:
            return
        step = tf.cast(self.host.step, tf.float32)
        decay = tf.minimum(self.plan.ema_decay, (1.0 + step) / (10.0 + step))
        for e, w in zip(ema.weights, self.generator.weights, strict=True):
            e.assign(decay * e + (1.0 - decay) * tf.cast(w, e.dtype))

    def compile(self) -> Callable[[Any], Any]:
        names, host = self.names, self.host

        # autograph=False: the step holds no Python control flow on tensors (tf.cond and
        # tf.while_loop are written out), and converting every function it calls, Keras'
        # layers included, took half of each trace (about 11 s of 23 for the MP-GAN pair).
        @tf.function(autograph=False)
        def run_steps(n_steps):
            host.trace_count += 1  # Python side effect: counts traces, not calls

            def body(i, out):
                values = self.train_batch()
                return i + 1, out.write(i, tf.stack([values[k] for k in names]))

            out = tf.TensorArray(tf.float32, size=n_steps, element_shape=[len(names)])
            _, out = tf.while_loop(lambda i, _: i < n_steps, body, (tf.constant(0), out))
            return out.stack()

        return run_steps


__all__ = ["DUpdate", "GUpdate", "LoopHost", "TrainLoop", "accuracy", "safe_mean"]
