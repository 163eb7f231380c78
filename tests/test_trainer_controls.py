"""Trainer controls: optimizer swaps, frozen and pretrained discriminators, several
discriminators, EMA, TensorBoard, mixed precision, penalties and feature matching."""

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from mpgan import OBJECTIVES, ModelError, Trainer, load_config
from mpgan.data import load_dataset
from mpgan.models import build_classifier
from mpgan.training.aggregators import build_aggregator
from tests.helpers import TINY, TOY


def weights(model):
    return [w.numpy().copy() for w in model.weights]


def same(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def trainer(tmp_path, *sets, name="r", base=TINY):
    return Trainer.from_config(load_config(None, base + list(sets)), run_dir=tmp_path / name)


def toy(tmp_path, *sets, name="r"):
    """A trainer on 1-D toy data: for mechanics that are the same whatever the data."""
    return trainer(tmp_path, *sets, name=name, base=TOY)


SGD_TO_ADAM = ["train.g_optimizer={name: sgd, learning_rate: 0.01, params: {momentum: 0.9}}",
               "train.d_optimizer=sgd",
               "train.swaps=[{at_epoch: 1, g_optimizer: {name: adam}, d_optimizer: {name: rmsprop}}]"]


def test_swap_at_epoch_changes_optimizers_and_keeps_learning(tmp_path):
    t = toy(tmp_path, *SGD_TO_ADAM)
    t.fit(epochs=1)
    g_mid = weights(t.generator)
    t.fit(epochs=2)
    import keras
    assert isinstance(t.g_optimizers[0], keras.optimizers.SGD)
    assert isinstance(t.g_optimizers[1], keras.optimizers.Adam)
    assert isinstance(t.slots[0].optimizers[1], keras.optimizers.RMSprop)
    assert [int(o.iterations.numpy()) for o in t.g_optimizers] == [3, 3]
    assert not same(g_mid, weights(t.generator))  # learning continued after the swap
    assert t.trace_count == 2  # one trace per phase, none per step
    hist = pd.read_csv(tmp_path / "r" / "history.csv")
    assert hist["phase"].tolist() == [0, 0, 0, 1, 1, 1]
    epochs = pd.read_csv(tmp_path / "r" / "epochs.csv")
    assert epochs["g_optimizer"].tolist() == ["sgd", "adam"]
    assert epochs["d_optimizer"].tolist() == ["sgd", "rmsprop"]


def test_swap_at_step_splits_a_compiled_call(tmp_path):
    t = toy(tmp_path, "train.steps_per_call=50", "train.swaps=[{at_step: 2, g_optimizer: sgd}]")
    t.fit()
    hist = pd.read_csv(tmp_path / "r" / "history.csv")
    assert hist["phase"].tolist() == [0, 0, 1, 1, 1, 1]
    assert [int(o.iterations.numpy()) for o in t.g_optimizers] == [2, 4]


def test_resume_across_a_swap_is_exact(tmp_path):
    tf.config.experimental.enable_op_determinism()
    sets = [*SGD_TO_ADAM, "train.deterministic=true", "train.epochs=3",
            "train.swaps=[{at_epoch: 2, g_optimizer: adam, d_optimizer: adam}]", "train.ema=0.9"]
    straight = toy(tmp_path, *sets, name="a")
    straight.fit()
    part = toy(tmp_path, *sets, name="b")
    part.fit(epochs=1)
    resumed = Trainer.from_run(tmp_path / "b")
    resumed.fit()
    for m in ("generator", "ema_generator"):
        assert same(weights(getattr(straight, m)), weights(getattr(resumed, m))), m
    assert same(weights(straight.discriminators[0]), weights(resumed.discriminators[0]))
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "a" / "history.csv"),
                                  pd.read_csv(tmp_path / "b" / "history.csv"))


def test_frozen_discriminator_is_never_updated(tmp_path):
    t = toy(tmp_path, "train.freeze_discriminator=true")
    d0, g0 = weights(t.discriminators[0]), weights(t.generator)
    t.fit()
    assert same(d0, weights(t.discriminators[0]))
    assert not same(g0, weights(t.generator))
    assert t.slots[0].optimizers == [] and t.d_optimizers == []
    hist = pd.read_csv(tmp_path / "r" / "history.csv")
    assert np.isfinite(hist[["d_loss_real", "d_loss_fake", "d_acc_real", "d_acc_fake"]].to_numpy()).all()


def test_pretrained_discriminator_sources_and_mismatch(tmp_path):
    source = trainer(tmp_path, "train.epochs=1", name="source")
    source.fit()
    trained = weights(source.discriminators[0])
    ckpt = source.manager.latest_checkpoint
    for where in (str(tmp_path / "source"), str(tmp_path / "source" / "discriminator.weights.h5"), ckpt):
        t = trainer(tmp_path, f"discriminator.pretrained={where}", name="x")
        assert same(trained, weights(t.discriminators[0])), where
    with pytest.raises(ModelError, match="do not fit discriminator"):
        trainer(tmp_path, "discriminator={name: dcgan_discriminator, pretrained: " + str(tmp_path / "source") + "}")
    with pytest.raises(ModelError, match="does not exist"):
        trainer(tmp_path, "discriminator.pretrained=/nope/d.weights.h5")
    with pytest.raises(ModelError, match="not a run directory, a .weights.h5 file or a checkpoint"):
        trainer(tmp_path, "discriminator.pretrained=/nope/thing")


def test_discriminator_from_a_trained_classifier(tmp_path):
    data = load_dataset("digits", size=8, limit=200)
    clf = build_classifier(data.spec, width=8)
    path = tmp_path / "clf.weights.h5"
    clf.save_weights(str(path))
    t = trainer(tmp_path, "discriminator={name: classifier_discriminator, params: {weights: " + str(path)
                + ", width: 8}}", "train.freeze_discriminator=false")
    # the classifier's body (all but its class head) reappears in the discriminator,
    # followed by a new real/fake head
    body, d = weights(clf)[:-2], weights(t.discriminators[0])
    assert same(body, d[:-2])
    assert d[-2].shape == (body[-2].shape[1], 1)
    t.fit(epochs=1)


def test_several_discriminators_with_views(tmp_path):
    t = trainer(tmp_path, "discriminators=[mpgan_discriminator, {name: dcgan_discriminator, view: 2, "
                "params: {depth: 1, width: 8}}, {name: mpgan_discriminator, freeze: true}]",
                "train.aggregate=gman", "train.aggregate_params={temperature: 2.0}")
    d = [weights(m) for m in t.discriminators]
    t.fit()
    after = [weights(m) for m in t.discriminators]
    assert not same(d[0], after[0]) and not same(d[1], after[1]) and same(d[2], after[2])
    assert t.discriminators[1].input_shape == (None, 8, 8, 1)
    hist = pd.read_csv(tmp_path / "r" / "history.csv")
    for k in range(3):
        for m in ("d_loss_real", "d_loss_fake", "d_acc_real", "d_acc_fake", "g_loss"):
            assert f"d{k}_{m}" in hist.columns
    assert "g_loss" in hist.columns and np.isfinite(hist.drop(columns=["step"]).to_numpy()).all()


def test_aggregators_by_value():
    losses = [tf.constant(0.5), tf.constant(1.0), tf.constant(2.0)]
    assert float(build_aggregator("mean", {})(losses)) == pytest.approx(3.5 / 3)
    assert float(build_aggregator("gman", {"temperature": 0.0})(losses)) == pytest.approx(3.5 / 3)
    w = np.exp([0.5, 1.0, 2.0]) / np.exp([0.5, 1.0, 2.0]).sum()
    assert float(build_aggregator("gman", {"temperature": 1.0})(losses)) == pytest.approx(float(w @ [0.5, 1, 2]), rel=1e-6)
    assert float(build_aggregator("gman", {"temperature": 50.0})(losses)) == pytest.approx(2.0, rel=1e-4)
    eta = 1.5 * 2.0
    assert float(build_aggregator("hypervolume", {})(losses)) == pytest.approx(
        -np.log([eta - 0.5, eta - 1.0, eta - 2.0]).sum(), rel=1e-6)


def test_ema_generator_is_used_for_sampling(tmp_path):
    t = toy(tmp_path, "train.ema=0.9")
    t.fit()
    assert not same(weights(t.generator), weights(t.ema_generator))
    z = np.random.default_rng(0).standard_normal((4, t.latent_dim)).astype(np.float32)
    np.testing.assert_array_equal(t.sample(4, seed=0), t.ema_generator(z, training=False).numpy())


def test_latent_std_scales_training_and_sampling_latents(tmp_path):
    t = trainer(tmp_path, "train.latent_std=2.0")
    z = t.latents(2000, seed=3)
    assert z.std() == pytest.approx(2.0, rel=0.03)
    np.testing.assert_array_equal(z, 2 * trainer(tmp_path, name="s").latents(2000, seed=3))
    np.testing.assert_array_equal(t.sample(4, seed=3), t.generate(z[:4]))


def test_tensorboard_events_read_back(tmp_path):
    t = trainer(tmp_path)
    t.fit()
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(tmp_path / "r" / "tensorboard"), size_guidance={"tensors": 0, "images": 0})
    acc.Reload()
    tags = acc.Tags()["tensors"]
    assert "step/g_loss" in tags and "epoch/d_acc_real" in tags and "samples" in tags
    g = acc.Tensors("step/g_loss")
    hist = pd.read_csv(tmp_path / "r" / "history.csv")
    assert [e.step for e in g] == hist["step"].tolist()
    np.testing.assert_allclose([tf.make_ndarray(e.tensor_proto) for e in g], hist["g_loss"], rtol=1e-6)


def test_mixed_bfloat16(tmp_path):
    t = toy(tmp_path, "train.mixed_precision=mixed_bfloat16")
    assert t.generator.layers[1].compute_dtype == "bfloat16"
    t.fit(epochs=1)
    assert t.sample(3).dtype == np.float32
    import keras
    assert keras.config.dtype_policy().name == "float32"  # the global policy is restored


def test_mixed_float16_uses_loss_scaling(tmp_path):
    import keras

    t = toy(tmp_path, "train.mixed_precision=mixed_float16", "train.epochs=1")
    assert isinstance(t.g_optimizer, keras.optimizers.LossScaleOptimizer)
    t.fit()
    assert np.isfinite(pd.read_csv(tmp_path / "r" / "history.csv")["g_loss"]).all()


@pytest.mark.parametrize("schedule", ["mpgan", "joint"])
def test_wasserstein_gp_trains(tmp_path, schedule):
    t = toy(tmp_path, "objective=wasserstein_gp", f"train.schedule={schedule}", "train.n_critic=2",
                "train.epochs=1")
    t.fit()
    assert int(t.d_optimizers[0].iterations.numpy()) == 3 * 2 * (1 if schedule == "joint" else 2)


def test_feature_matching_combined_trains(tmp_path):
    t = toy(tmp_path, "objective={name: combined, params: {terms: [{name: non_saturating}, "
                "{name: feature_matching, weight: 0.5}]}}", "train.epochs=1")
    assert t.slots[0].features is not None
    g0 = weights(t.generator)
    t.fit()
    assert not same(g0, weights(t.generator))


def test_gradient_penalty_by_value():
    """For a linear critic D(x) = w.x the input gradient is w everywhere: penalty = (|w| - 1)^2."""
    from types import SimpleNamespace

    import keras

    from mpgan.registry import REGULARIZERS

    d = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, use_bias=False)])
    d.layers[0].kernel.assign([[2.0], [0.0], [0.0]])
    obj = OBJECTIVES.build("wasserstein_gp", gp_weight=10.0)
    assert obj.regularizers == (("gradient_penalty", {"weight": 10.0}),)
    gp = REGULARIZERS.build("gradient_penalty", **obj.regularizers[0][1])
    u = SimpleNamespace(real=tf.ones((4, 3)), fake=tf.zeros((4, 3)), eps=tf.constant([0.1, 0.5, 0.7, 0.9]),
                        real_labels=None, fake_labels=None, discriminate=lambda x, y: d(x))
    assert gp.weight * float(gp.fake_loss(u)) == pytest.approx(10.0 * (2.0 - 1.0) ** 2, rel=1e-5)
    assert float(obj.d_real(tf.constant([[1.0], [3.0]]))) == pytest.approx(-2.0)
    assert float(obj.g(tf.constant([[1.0], [3.0]]))) == pytest.approx(-2.0)


def test_feature_matching_and_combined_by_value():
    fm = OBJECTIVES.build("feature_matching")
    real = tf.constant([[1.0, 2.0], [3.0, 4.0]])  # mean (2, 3)
    fake = tf.constant([[0.0, 0.0], [2.0, 2.0]])  # mean (1, 1)
    assert float(fm.g(None, real, fake)) == pytest.approx((1 + 4) / 2)
    comb = OBJECTIVES.build("combined", terms=[{"name": "least_squares", "weight": 2.0}, "hinge"])
    logits = tf.constant([[0.5], [-1.0]])
    ls, hi = OBJECTIVES.build("least_squares"), OBJECTIVES.build("hinge")
    assert float(comb.g(logits)) == pytest.approx(2 * float(ls.g(logits)) + float(hi.g(logits)))
    assert float(comb.d_real(logits)) == pytest.approx(2 * float(ls.d_real(logits)) + float(hi.d_real(logits)))


def test_objective_config_errors():
    from mpgan import MpganError

    with pytest.raises(MpganError, match="needs params.terms"):
        OBJECTIVES.build("combined", terms=[])
    with pytest.raises(MpganError, match=r"terms\[0\] has unknown keys \['wieght'\]"):
        OBJECTIVES.build("combined", terms=[{"name": "hinge", "wieght": 1}])


def test_callback_metrics_land_in_epochs_csv(tmp_path):
    from mpgan import Callback

    class Mean(Callback):
        def __init__(self):
            self.calls, self.means = [], []

        def on_train_begin(self, trainer):
            self.calls.append("begin")

        def on_epoch_end(self, trainer, epoch, logs):
            logs["sample_mean"] = float(trainer.sample(8).mean())
            self.means.append((int(trainer.step.numpy()), logs["sample_mean"]))
            self.calls.append(epoch)

        def on_train_end(self, trainer):
            self.calls.append("end")

    cb = Mean()
    t = Trainer.from_config(load_config(None, TOY), run_dir=tmp_path / "r", callbacks=[cb])
    t.fit()
    assert cb.calls == ["begin", 1, 2, "end"]
    epochs = pd.read_csv(tmp_path / "r" / "epochs.csv")
    # each epoch's row holds the value its callback computed, after that epoch's 3 steps
    assert [s for s, _ in cb.means] == [3, 6] and epochs["step"].tolist() == [3, 6]
    assert epochs["sample_mean"].tolist() == pytest.approx([m for _, m in cb.means], rel=1e-12, abs=0)
    assert cb.means[0][1] != cb.means[1][1]  # the generator trained between the two epochs
    assert cb.means[1][1] == pytest.approx(float(t.sample(8).mean()), rel=1e-6)  # the final generator's samples
