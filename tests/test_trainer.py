"""The trainer: run directory contents, learning, one trace, exact resume, errors."""

import dataclasses

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

import mpgan
from mpgan import OBJECTIVES, ConfigError, DivergenceError, ModelError, Trainer, load_config
from mpgan.objectives import NonSaturating
from tests.helpers import TINY, TOY


def weights(model):
    return [w.numpy().copy() for w in model.weights]


def test_fit_writes_run_directory(tmp_path):
    run = tmp_path / "run"
    trainer = Trainer.from_config(load_config(None, TINY), run_dir=run)
    d0, g0 = weights(trainer.discriminators[0]), weights(trainer.generator)
    table = trainer.fit()
    for name in ("config.yaml", "data_spec.json", "history.csv", "epochs.csv",
                 "generator.weights.h5", "discriminator.weights.h5",
                 "samples/epoch_0001.png", "samples/epoch_0002.png",
                 "plots/losses.png", "plots/accuracy.png", "checkpoints/checkpoint"):
        assert (run / name).exists(), name
    hist = pd.read_csv(run / "history.csv")
    assert list(hist.columns) == ["step", "epoch", "phase", "d_loss_real", "d_loss_fake", "g_loss",
                                  "d_acc_real", "d_acc_fake"]
    assert hist["step"].tolist() == list(range(1, 7)) and hist["epoch"].tolist() == [1, 1, 1, 2, 2, 2]
    assert len(table) == 2 and table["seconds"].gt(0).all()
    assert load_config(run / "config.yaml") == trainer.config
    # both players learned, and the whole fit traced its step function once
    assert any(not np.array_equal(a, b) for a, b in zip(d0, weights(trainer.discriminators[0]), strict=True))
    assert any(not np.array_equal(a, b) for a, b in zip(g0, weights(trainer.generator), strict=True))
    assert trainer.trace_count == 1
    assert int(trainer.step.numpy()) == 6 and int(trainer.g_optimizer.iterations.numpy()) == 6
    # the MP-GAN schedule makes two discriminator updates per step (real half, fake half)
    assert int(trainer.d_optimizers[0].iterations.numpy()) == 12


def test_joint_schedule_and_n_critic(tmp_path):
    cfg = load_config(None, TOY + ["train.schedule=joint", "train.n_critic=2", "train.epochs=1"])
    trainer = Trainer.from_config(cfg, run_dir=tmp_path / "r")
    trainer.fit()
    assert int(trainer.d_optimizers[0].iterations.numpy()) == 3 * 2
    assert int(trainer.g_optimizer.iterations.numpy()) == 3


@pytest.mark.slow  # the default suite resumes exactly with every switch on (test_stabilizers)
def test_resume_is_exact(tmp_path):
    """2N steps straight equal N steps, a fresh trainer restored from disk, then N more."""
    tf.config.experimental.enable_op_determinism()
    cfg = load_config(None, TINY + ["train.deterministic=true", "train.epochs=4"])
    straight = Trainer.from_config(cfg, run_dir=tmp_path / "a")
    straight.fit()
    first = Trainer.from_config(cfg, run_dir=tmp_path / "b")
    first.fit(epochs=2)
    resumed = Trainer.from_run(tmp_path / "b")
    assert int(resumed.step.numpy()) == 6 and int(resumed.epoch.numpy()) == 2
    resumed.fit(epochs=4)
    for a, b in zip(weights(straight.generator) + weights(straight.discriminators[0]),
                    weights(resumed.generator) + weights(resumed.discriminators[0]), strict=True):
        np.testing.assert_array_equal(a, b)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "a" / "history.csv"),
                                  pd.read_csv(tmp_path / "b" / "history.csv"))


def test_sample_is_deterministic(tmp_path):
    trainer = Trainer.from_config(load_config(None, TINY + ["train.epochs=1"]), run_dir=tmp_path / "r")
    trainer.fit()
    a, b, c = trainer.sample(5, seed=3), trainer.sample(5, seed=3), trainer.sample(5, seed=4)
    assert a.shape == (5, 8, 8, 1) and np.array_equal(a, b) and not np.array_equal(a, c)
    assert a.min() >= -1 and a.max() <= 1


def test_batch_larger_than_dataset_is_clear(tmp_path):
    cfg = load_config(None, TINY + ["data.params.limit=10"])
    with pytest.raises(ConfigError, match=r"train.batch_size \(16\) exceeds the dataset's 10 samples"):
        Trainer.from_config(cfg, run_dir=tmp_path / "r")
    assert not (tmp_path / "r").exists()


def test_generator_shape_mismatch_is_clear(tmp_path):
    @mpgan.GENERATORS.register("seven_by_seven_test", override=True)
    def seven(data_spec, latent_dim=8):
        """Always 7x7, whatever the data."""
        z = keras.Input((latent_dim,))
        return keras.Model(z, keras.layers.Reshape((7, 7, 1))(keras.layers.Dense(49)(z)))

    cfg = load_config(None, TINY + ["generator=seven_by_seven_test"])
    with pytest.raises(ModelError, match=r"generator output shape .*7, 7, 1.* does not match the dataset's sample shape \(8, 8, 1\)"):
        mpgan.train(cfg, run_dir=tmp_path / "r")
    assert not (tmp_path / "r").exists()
    cfg = load_config(None, TINY + ["generator=toy_generator"])
    with pytest.raises(ModelError, match="toy_generator models 'toy' data but the dataset's kind is 'image'"):
        mpgan.train(cfg, run_dir=tmp_path / "r")
    assert not (tmp_path / "r").exists()


class _Exploding(NonSaturating):
    def g(self, fake_logits):
        return super().g(fake_logits) * float("nan")


def test_divergence_stops_with_message_and_keeps_last_checkpoint(tmp_path):
    OBJECTIVES.register("exploding_test", override=True)(lambda: _Exploding())
    run = tmp_path / "r"
    cfg = load_config(None, TOY + ["objective=exploding_test"])
    with pytest.raises(DivergenceError, match=r"g_loss became nan at step 1 \(epoch 1\); no checkpoint"):
        Trainer.from_config(cfg, run_dir=run).fit()
    assert not run.exists()  # nothing half-written
    # with a good checkpoint first, the run stays and the checkpoint is intact
    good = Trainer.from_config(load_config(None, TOY + ["train.epochs=1"]), run_dir=run)
    good.fit()
    bad = Trainer.from_run(run)
    bad.plan = dataclasses.replace(bad.plan, objective=_Exploding())  # what its compiled loop will read
    with pytest.raises(DivergenceError, match="the last good checkpoint is .*ckpt-3"):
        bad.fit(epochs=2)
    again = Trainer.from_run(run)
    assert int(again.step.numpy()) == 3
    assert all(np.isfinite(w).all() for w in weights(again.generator))
