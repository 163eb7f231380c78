"""The training step's registered parts, by value: R1 against a hand-derived gradient,
spectral norm's largest singular value, DiffAugment's transforms, ADA's controller,
conditional sampling, a regularizer from outside mpgan, and exact resume with every
switch on."""

from __future__ import annotations

from types import SimpleNamespace

import keras
import numpy as np
import pytest
import tensorflow as tf

from mpgan import Trainer, load_config
from mpgan.cli import main
from mpgan.errors import ConfigError, MpganError
from mpgan.registry import AUGMENTATIONS, REGULARIZERS
from mpgan.training.augment import Augment, build_augment
from mpgan.training.discriminators import spectral_normalize
from mpgan.training.regularizers import build_regularizers
from tests.helpers import TINY


def weights(model):
    return [w.numpy().copy() for w in model.weights]


def test_r1_matches_a_hand_derived_gradient():
    """D(x) = v . tanh(W x + b): grad_x D = W^T (v * (1 - tanh^2)); R1 = 0.5 E|grad|^2."""
    rng = np.random.default_rng(0)
    W, b, v = rng.normal(size=(4, 3)), rng.normal(size=4), rng.normal(size=(4, 1))
    d = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="tanh"),
                          keras.layers.Dense(1, use_bias=False)])
    d.layers[0].kernel.assign(W.T)
    d.layers[0].bias.assign(b)
    d.layers[1].kernel.assign(v)
    x = rng.normal(size=(5, 3)).astype(np.float32)
    h = np.tanh(x @ W.T + b)
    grads = (v[:, 0] * (1 - h ** 2)) @ W  # (5, 3)
    expected = 0.5 * np.mean(np.sum(grads ** 2, axis=1))
    r1 = REGULARIZERS.build("r1", weight=10.0)
    u = SimpleNamespace(real=tf.constant(x), real_labels=None, discriminate=lambda x, y: d(x))
    assert float(r1.real_loss(u)) == pytest.approx(expected, rel=1e-5)
    assert r1.has("real") and not r1.has("fake") and r1.weight == 10.0
    r2 = REGULARIZERS.build("r2")
    u2 = SimpleNamespace(fake=tf.constant(x), fake_labels=None, discriminate=lambda x, y: d(x))
    assert float(r2.fake_loss(u2)) == pytest.approx(expected, rel=1e-5) and not r2.has("real")


def test_spectral_norm_brings_the_largest_singular_value_to_one():
    inp = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(6, 3, kernel_initializer=keras.initializers.RandomNormal(stddev=2.0))(inp)
    out = keras.layers.Dense(1, kernel_initializer=keras.initializers.RandomNormal(stddev=3.0))(
        keras.layers.Flatten()(x))
    model = keras.Model(inp, out)
    model.condition_dim = 0
    sn = spectral_normalize(model, power_iterations=1)
    assert hasattr(sn, "condition_dim")
    batch = tf.random.normal((4, 8, 8, 1))
    for _ in range(30):  # one power iteration per training call
        sn(batch, training=True)
    wrapped = [layer for layer in sn.layers if isinstance(layer, keras.layers.SpectralNormalization)]
    assert len(wrapped) == 2
    for layer in wrapped:
        kernel = layer.layer.kernel.numpy()
        sigma = np.linalg.svd(kernel.reshape(-1, kernel.shape[-1]), compute_uv=False)[0]
        assert sigma == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize("name", ["translation", "cutout", "color"])
def test_augmentations_are_differentiable_and_random_per_sample(name):
    fn = AUGMENTATIONS.build(name)
    rng = tf.random.Generator.from_seed(1)
    x = tf.Variable(tf.random.stateless_uniform((16, 28, 28, 1), seed=(1, 2), minval=-1, maxval=1))
    with tf.GradientTape() as tape:
        y = fn(x, rng)
        loss = tf.reduce_sum(y * tf.random.stateless_normal(y.shape, seed=(3, 4)))
    grad = tape.gradient(loss, x)
    assert y.shape == x.shape and grad is not None
    assert np.isfinite(grad.numpy()).all() and np.abs(grad.numpy()).sum() > 0
    changed = np.abs(y.numpy() - x.numpy()).reshape(16, -1).max(axis=1) > 1e-6
    assert changed.sum() >= 8  # most images are transformed, each its own way
    assert len({np.round(d, 4) for d in (y.numpy() - x.numpy()).reshape(16, -1).sum(axis=1)}) > 4


def test_the_same_policy_reaches_real_and_fake(tmp_path, monkeypatch):
    seen = []
    original = Augment.__call__

    def spy(self, x, rng):
        seen.append(tuple(x.shape))
        return original(self, x, rng)

    monkeypatch.setattr(Augment, "__call__", spy)
    t = Trainer.from_config(load_config(None, TINY + ["train.augment={policy: [translation, cutout]}"]),
                            run_dir=tmp_path / "r")
    t.train_steps(2)
    # traced once: D's real half batch, D's fake half batch, G's full fake batch
    assert seen == [(8, 8, 8, 1), (8, 8, 8, 1), (16, 8, 8, 1)]
    assert "aug_p" in t.metric_names


def test_ada_moves_p_up_when_d_overfits_and_down_when_it_does_not():
    aug = build_augment({"policy": ["translation"], "ada": {"target": 0.6, "interval": 2, "kimg": 1}, "p": 0.5})
    aug.build()
    for step in range(4):  # D sure of every real: r_t = 1 > 0.6
        aug.observe(tf.ones([8, 1]), tf.constant(step, tf.int64), 8)
    assert float(aug.p) == pytest.approx(0.5 + 2 * 8 * 2 / 1000) and float(aug.rt) == 1.0
    for step in range(4, 8):  # half the reals on the wrong side: r_t = 0 < 0.6
        aug.observe(tf.constant([[1.0]] * 4 + [[-1.0]] * 4), tf.constant(step, tf.int64), 8)
    assert float(aug.p) == pytest.approx(0.5) and float(aug.rt) == 0.0


def test_registry_errors_name_the_key():
    with pytest.raises(ConfigError, match=r"train.regularizers\[0\].name: unknown regularizer 'r3'"):
        build_regularizers([{"name": "r3"}])
    with pytest.raises(ConfigError, match=r"train.regularizers\[0\].weight must be a number >= 0, got -1"):
        build_regularizers([{"name": "r1", "weight": -1}])
    with pytest.raises(ConfigError, match=r"train.regularizers\[1\].every must be an integer >= 1"):
        build_regularizers(["lecam", {"name": "r1", "every": 0}])
    with pytest.raises(ConfigError, match=r"train.augment.policy\[1\]: unknown augmentation 'rotate'"):
        build_augment({"policy": ["cutout", "rotate"]})


def test_a_regularizer_from_a_test_local_module_trains(tmp_path):
    import tests.local_regularizer  # noqa: F401  (registers logit_l2_test)

    t = Trainer.from_config(load_config(None, TINY + ["train.regularizers=[{name: logit_l2_test, weight: 0.1}]"]),
                            run_dir=tmp_path / "r")
    t.fit()
    hist = t.history()
    assert "logit_l2_test" in hist.columns and (hist["logit_l2_test"] > 0).all()


CONDITIONAL = ["data={name: mnist, params: {source: subset, size: 8, limit: 200}}",
               "generator=dcgan_generator", "generator.params={latent_dim: 8, width: 4, conditional: true}",
               "discriminator=dcgan_discriminator", "discriminator.params={width: 4, conditional: projection}",
               "train.batch_size=16", "train.steps_per_epoch=3", "train.epochs=2", "train.n_samples=16",
               "train.checkpoint_every=1", "train.steps_per_call=3", "train.tensorboard=false"]
SWITCHES = ["train.regularizers=[{name: r1, weight: 1, every: 2}, {name: lecam, weight: 0.1}]",
            "train.augment={policy: [translation, cutout, color], ada: {interval: 2, kimg: 1}}",
            "discriminator.spectral_norm=true", "train.ema=0.9", "train.deterministic=true"]


def test_exact_resume_with_every_switch_on(tmp_path):
    sets = CONDITIONAL + SWITCHES + ["train.epochs=4"]
    full = Trainer.from_config(load_config(None, sets), run_dir=tmp_path / "full")
    full.fit()
    half = Trainer.from_config(load_config(None, sets), run_dir=tmp_path / "half")
    half.fit(epochs=2)
    resumed = Trainer.from_run(tmp_path / "half")
    assert int(resumed.step.numpy()) == 6 and int(resumed.epoch.numpy()) == 2  # 2 epochs of 3 steps
    resumed.fit(epochs=4)
    for a, b in ((full.generator, resumed.generator), (full.discriminators[0], resumed.discriminators[0]),
                 (full.ema_generator, resumed.ema_generator)):
        for x, y in zip(weights(a), weights(b), strict=True):
            np.testing.assert_array_equal(x, y)
    assert float(full.plan.augment.p.numpy()) == float(resumed.plan.augment.p.numpy())
    h_full, h_res = full.history(), resumed.history()
    assert {"r1", "lecam", "aug_p", "ada_rt"} <= set(h_full.columns)
    np.testing.assert_array_equal(h_full.to_numpy(), h_res.to_numpy())


def test_conditional_sampling_and_its_errors(tmp_path, capsys):
    run = tmp_path / "c"
    Trainer.from_config(load_config(None, CONDITIONAL), run_dir=run).fit()
    t = Trainer.from_run(run)
    z = t.latents(6, seed=0, labels=np.array([3, 3, 1, 0, 9, 2]))
    np.testing.assert_array_equal(z[:, t.latent_dim:].argmax(1), [3, 3, 1, 0, 9, 2])
    out = tmp_path / "three.npy"
    assert main(["sample", "--run", str(run), "--label", "3", "--n", "5", "--out", str(out)]) == 0
    assert np.load(out).shape == (5, 8, 8, 1)
    assert main(["sample", "--run", str(run), "--labels", "0,1,2", "--n", "12", "--out", str(tmp_path / "g.png")]) == 0
    capsys.readouterr()
    assert main(["sample", "--run", str(run), "--label", "11", "--out", str(tmp_path / "x.png")]) == 2
    assert "--label 11 is not a class of this run; it has 10 classes, 0..9" in capsys.readouterr().err
    plain = tmp_path / "plain"
    Trainer.from_config(load_config(None, TINY), run_dir=plain).fit()
    assert main(["sample", "--run", str(plain), "--label", "1", "--out", str(tmp_path / "y.png")]) == 2
    assert "--label needs a conditional run" in capsys.readouterr().err


def test_a_conditional_generator_learns_which_class_it_was_asked_for(tmp_path):
    # Two classes anyone can tell apart: dark images (label 0) and bright ones (label 1).
    rng = np.random.default_rng(0)
    dark = rng.integers(0, 40, (64, 8, 8))
    bright = rng.integers(215, 256, (64, 8, 8))
    np.savez(tmp_path / "two.npz", x=np.concatenate([dark, bright]).astype(np.uint8),
             y=np.repeat([0, 1], 64))
    over = [f"data={{name: image_array, params: {{path: {tmp_path / 'two.npz'}}}}}",
            "generator=dcgan_generator", "generator.params={latent_dim: 8, width: 8, depth: 1, conditional: true}",
            "discriminator=dcgan_discriminator", "discriminator.params={width: 8, depth: 1, conditional: projection}",
            "objective=hinge", "train.batch_size=16", "train.epochs=40", "train.steps_per_call=8",
            "train.g_optimizer={name: adam, learning_rate: 0.002}",
            "train.d_optimizer={name: adam, learning_rate: 0.002}"]
    t = Trainer.from_config(load_config(None, over), run_dir=tmp_path / "run")
    t.fit()
    x0 = t.generate(t.latents(64, seed=1, labels=0))
    x1 = t.generate(t.latents(64, seed=1, labels=1))
    # Model space is [-1, 1]: asked-for dark samples are dark, asked-for bright ones bright.
    assert (x0.reshape(64, -1).mean(1) < 0).mean() > 0.9
    assert (x1.reshape(64, -1).mean(1) > 0).mean() > 0.9


def test_conditional_config_on_unlabelled_data_is_refused(tmp_path):
    arr = np.random.default_rng(0).integers(0, 255, (40, 8, 8), dtype=np.uint8)
    np.save(tmp_path / "unlabelled.npy", arr)
    data = f"data={{name: image_array, params: {{path: {tmp_path / 'unlabelled.npy'}}}}}"
    g = ["generator=dcgan_generator", "generator.params={latent_dim: 8, width: 4, conditional: true}",
         "train.batch_size=8"]
    with pytest.raises(MpganError, match=r"dcgan_generator conditional: true needs a labelled dataset"):
        Trainer.from_config(load_config(None, [data, *g]))
    d = ["discriminator=dcgan_discriminator", "discriminator.params={width: 4, conditional: projection}"]
    # a conditional D alone is refused when the config loads, before the data is read
    with pytest.raises(MpganError, match=r"discriminator.params.conditional needs a conditional generator"):
        load_config(None, [data, *d, "train.batch_size=8"])
