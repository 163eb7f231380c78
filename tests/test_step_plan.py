"""The step plan (computed once, read by the loop and DP-SGD), the generator side of a
regularizer by value, and the aggregator registry checked without TensorFlow."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import keras
import numpy as np
import pytest
import tensorflow as tf

from mpgan import Trainer, load_config
from mpgan.errors import ConfigError
from mpgan.registry import AGGREGATORS, REGULARIZERS
from mpgan.training.plan import Batches, DiscriminatorSlot, StepPlan
from mpgan.training.privacy import DPSGD, PrivacyBudget
from mpgan.training.regularizers import Regularizer
from mpgan.training.schedules import JointSchedule, MPGanSchedule

C, WEIGHT, LR, LATENT, BATCH = 3.0, 0.5, 0.1, 3, 16
TOY = ["name=g", "data=gaussian_mixture", "data.params.n=256", "generator=toy_generator",
       f"generator.params={{latent_dim: {LATENT}, hidden: [4]}}", "discriminator=toy_discriminator",
       "discriminator.params={hidden: [4]}", f"train.batch_size={BATCH}", "train.tensorboard=false",
       f"train.g_optimizer={{name: sgd, learning_rate: {LR}}}", f"train.d_optimizer={{name: sgd, learning_rate: {LR}}}"]
TWO_DS = "discriminators=[{name: toy_discriminator, params: {hidden: [4]}}, {name: toy_discriminator, params: {hidden: [4]}}]"

SEEN_Z = tf.Variable(tf.zeros([BATCH, LATENT]), trainable=False)  # the z the generator term saw


@REGULARIZERS.register("g_square_test", override=True)
def g_square_test(weight: float = 1.0, every: int = 1) -> Regularizer:
    """A generator-only term: C * mean(G(z)^2); records the z it saw."""
    def g(u):
        SEEN_Z.assign(u.z)
        return C * tf.reduce_mean(tf.square(u.generated))

    return Regularizer.from_fn("g_square_test", weight, every, g=g)


def weights(model):
    return [w.numpy().copy() for w in model.trainable_variables]


@pytest.mark.parametrize(("sets", "counter", "factor"), [
    ([], 0, 2.0),      # every 2, due at step 0: weighted x2
    ([], 1, 0.0),      # every 2, not due at step 1: no change at all
    ([TWO_DS], 0, 2.0),  # every 1, one term per trained discriminator: two
])
def test_a_regularizers_generator_term_moves_the_generator_by_its_gradient(sets, counter, factor):
    every = 1 if sets else 2
    reg = f"train.regularizers=[{{name: g_square_test, weight: {WEIGHT}, every: {every}}}]"
    plain = Trainer.from_config(load_config(None, TOY + sets), progress=False)
    term = Trainer.from_config(load_config(None, [*TOY, *sets, reg]), progress=False)
    w0 = weights(term.generator)
    assert all(np.array_equal(a, b) for a, b in zip(w0, weights(plain.generator), strict=True))
    g0 = keras.models.clone_model(term.generator)
    g0.set_weights(term.generator.get_weights())
    for t in (plain, term):
        t.step.assign(counter)
    row_plain, row_term = plain.train_steps(1)[0], term.train_steps(1)[0]
    # the generator's weights moved, beyond the plain update, by -lr * weight * factor * grad
    z = tf.constant(SEEN_Z.numpy())
    with tf.GradientTape() as tape:
        value = C * tf.reduce_mean(tf.square(g0(z, training=True)))
    grads = tape.gradient(value, g0.trainable_variables)
    for a, b, g in zip(weights(term.generator), weights(plain.generator), grads, strict=True):
        np.testing.assert_allclose(a - b, -LR * WEIGHT * factor * g.numpy(), rtol=1e-4, atol=1e-6)
    if factor == 0.0:
        assert all(np.array_equal(a, b) for a, b in zip(weights(term.generator), weights(plain.generator),
                                                        strict=True))
    # logged: the raw term as g_NAME (per discriminator when there are several); g_loss stays the objective's
    names = dict(zip(term.metric_names, row_term, strict=True))
    logged = [names[k] for k in ("d0_g_g_square_test", "d1_g_g_square_test")] if sets else [names["g_g_square_test"]]
    assert logged == pytest.approx([float(value) if factor else 0.0] * len(logged), rel=1e-5)
    assert names["g_loss"] == pytest.approx(dict(zip(plain.metric_names, row_plain, strict=True))["g_loss"], rel=1e-6)
    assert "g_square_test" not in term.metric_names  # no discriminator side, no column for it


def test_the_plan_holds_the_batches_once():
    cfg = SimpleNamespace(batch_size=16, n_critic=2, schedule="mpgan")
    assert Batches.of(cfg, MPGanSchedule(), 1) == Batches(16, 8, 8, 2, 1)
    assert Batches.of(cfg, JointSchedule(n_critic=5), 2) == Batches(16, 16, 16, 5, 2)
    with pytest.raises(ConfigError, match="train.batch_size must be even for the mpgan schedule, got 15"):
        Batches.of(SimpleNamespace(batch_size=15, n_critic=1, schedule="mpgan"), MPGanSchedule(), 1)
    with pytest.raises(ConfigError, match=r"train.batch_size \(12\) must split evenly over 4 replicas"):
        Batches.of(SimpleNamespace(batch_size=12, n_critic=1, schedule="mpgan"), MPGanSchedule(), 4)
    t = Trainer.from_config(load_config(None, [*TOY, "train.schedule=joint", "train.n_critic=3"]), progress=False)
    assert t.plan.batches == Batches(16, 16, 16, 3, 1)
    assert t.plan.trained == t.slots and t.plan.g_optimizers == t.g_optimizers
    assert list(t.plan.metric_names) == t.metric_names == ["d_loss_real", "d_loss_fake", "g_loss",
                                                           "d_acc_real", "d_acc_fake"]


def _plan(batches: Batches, frozen: tuple[bool, ...]) -> StepPlan:
    slots = tuple(DiscriminatorSlot(SimpleNamespace(), f"d{k}", f) for k, f in enumerate(frozen))
    objective = SimpleNamespace(name="non_saturating", needs_features=False)
    return StepPlan(batches, slots, (), objective, AGGREGATORS.build("mean"), MPGanSchedule(), None, None)


def test_dp_sgd_reads_the_plans_batches_and_updates():
    plan = _plan(Batches(64, 32, 32, 3, 1), (False, True, False))
    assert [s.name for s in plan.trained] == ["d0", "d2"] and plan.d_updates_per_step == 6
    settings = SimpleNamespace(delta=1e-5, noise_multiplier=1.3, target_epsilon=None, max_grad_norm=0.5,
                               accountant="rdp")
    dp = DPSGD.from_plan(plan, settings, n_rows=1000, total_steps=10, kind="tabular")
    assert dp.d_batch == 32 and dp.budget == PrivacyBudget(32 / 1000, 1.3, 1e-5, 6, "rdp")
    assert DPSGD.from_plan(plan, None, 1000, 10, "tabular") is None
    with pytest.raises(ConfigError, match="privacy runs on one device"):
        DPSGD.from_plan(_plan(Batches(64, 32, 32, 1, 2), (False,)), settings, 1000, 10, "tabular")


def test_aggregators_are_registered_and_checked():
    assert AGGREGATORS.names() == ["gman", "hypervolume", "mean"]
    AGGREGATORS.get("gman").check({"temperature": 2})
    AGGREGATORS.get("hypervolume").check({"delta": 1.01})
    with pytest.raises(ConfigError, match=r"train.aggregate_params.delta must be > 1, got 1"):
        AGGREGATORS.get("hypervolume").check({"delta": 1})
    with pytest.raises(ConfigError, match=r"train.aggregate_params for mean take nothing, got \['delta'\]"):
        AGGREGATORS.get("mean").check({"delta": 2})
    with pytest.raises(ConfigError, match=r"train.aggregate_params for gman take \['temperature'\], got \['t'\]"):
        AGGREGATORS.get("gman").check({"t": 2})
    with pytest.raises(ConfigError, match=r"train.aggregate_params.temperature must be a number, got 'hot'"):
        AGGREGATORS.get("gman").check({"temperature": "hot"})


def test_aggregator_check_and_list_do_not_load_tensorflow():
    code = ("import sys\nfrom mpgan.registry import AGGREGATORS\nimport mpgan\n"
            "from mpgan.errors import ConfigError\n"
            "AGGREGATORS.get('gman').check({'temperature': 0.5})\n"
            "try:\n    AGGREGATORS.get('hypervolume').check({'delta': 0.5})\nexcept ConfigError as e:\n    print(e)\n"
            "from mpgan.cli import main\nmain(['list', 'aggregators'])\n"
            "print([m for m in ('tensorflow', 'keras') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].endswith("train.aggregate_params.delta must be > 1, got 0.5")
    assert [ln.split()[0] for ln in lines[2:5]] == ["gman", "hypervolume", "mean"] and lines[-1] == "[]"
