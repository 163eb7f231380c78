"""Differentially private training: the DP-SGD gradient against its definition, the
accountant against a closed form, training from config and API with ε reported, and the
refusals that protect the guarantee."""

import json

import numpy as np
import pytest
import tensorflow as tf
from scipy import optimize, stats

from mpgan.config import load_config
from mpgan.errors import ConfigError
from mpgan.training import Trainer
from mpgan.training.privacy import PrivacyBudget, clip_and_noise

SMALL = ["train.epochs=2", "train.steps_per_epoch=5", "train.steps_per_call=5", "train.tensorboard=false",
         "train.sample_every=0", "generator.params.hidden=[16]", "discriminator.params.hidden=[16]"]
PRIVATE = ["privacy.noise_multiplier=1.0", "privacy.max_grad_norm=1.0"]


def _bc_public() -> dict:
    """Breast cancer's ranges and labels declared public, so runs on it spend ε on DP-SGD and the
    class counts only (the default statistics ε with a noise multiplier is 0.1)."""
    from sklearn.datasets import load_breast_cancer

    from mpgan.data.private import public_draft

    return {"privacy": {"public": public_draft(load_breast_cancer(as_frame=True).frame)}}


BC = ["breast_cancer_mlp", _bc_public()]


def test_clipped_sum_matches_the_definition_row_by_row():
    rng = np.random.default_rng(0)
    grads = [rng.normal(size=(7, 3, 2)).astype("float32"), rng.normal(size=(7, 4)).astype("float32")]
    grads[0][2] *= 0.01  # one small row: left unclipped
    c, denom = 1.5, 4.0
    out = clip_and_noise([tf.constant(g) for g in grads], c, 0.0, denom, tf.random.normal)
    norms = np.sqrt(sum((g.reshape(7, -1) ** 2).sum(1) for g in grads))  # over all variables at once
    factors = np.minimum(1.0, c / norms)
    assert factors[2] == 1.0 and (factors < 1).sum() >= 5
    for g, o in zip(grads, out, strict=True):
        expected = np.tensordot(factors, g, axes=1) / denom
        np.testing.assert_allclose(o.numpy(), expected, rtol=1e-5, atol=1e-6)
    clipped = [np.tensordot(np.eye(7)[i] * factors, g, axes=1) for i in range(7) for g in grads]
    assert max(np.sqrt(sum((clipped[2 * i + j] ** 2).sum() for j in range(2))) for i in range(7)) <= c + 1e-5


def test_noise_is_gaussian_with_std_sigma_c_over_the_batch():
    sigma, c, denom = 1.3, 0.7, 32.0
    zero = [tf.zeros([5, 200, 100])]  # zero gradients: the output is the noise alone
    tf.random.set_seed(1)
    (out,) = clip_and_noise(zero, c, sigma * c, denom, tf.random.normal)
    values = out.numpy().ravel()
    expected_std = sigma * c / denom
    assert abs(values.std() / expected_std - 1) < 0.02 and abs(values.mean()) < 0.02 * expected_std
    assert stats.kstest(values / expected_std, "norm").pvalue > 1e-3


def test_per_row_gradients_equal_gradients_taken_one_row_at_a_time():
    from mpgan.training.privacy import DPSGD

    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(5, activation="tanh"),
                                 tf.keras.layers.Dense(1)])
    x = tf.random.normal([6, 4])
    dp = DPSGD(PrivacyBudget(0.5, 1e-9, 1e-5), max_grad_norm=1e3, d_batch=3, total_steps=1)

    def row_loss(xi, _):
        return tf.reduce_mean(tf.nn.softplus(-model(xi)))

    grads = dp.gradients(row_loss, x, None, model.trainable_variables, tf.random.Generator.from_seed(0))
    one_by_one = []
    for i in range(6):
        with tf.GradientTape() as t:
            loss = tf.reduce_sum(tf.nn.softplus(-model(x[i:i + 1])))
        one_by_one.append(t.gradient(loss, model.trainable_variables))
    for k, g in enumerate(grads):  # no clipping, no noise: the sum over rows / d_batch
        np.testing.assert_allclose(g.numpy(), sum(o[k] for o in one_by_one).numpy() / 3, rtol=1e-4, atol=1e-6)


def _analytic_gaussian_epsilon(sigma: float, delta: float) -> float:
    """Balle & Wang 2018: the exact ε of one Gaussian mechanism of sensitivity 1."""
    def delta_of(eps):
        return (stats.norm.cdf(0.5 / sigma - eps * sigma)
                - np.exp(eps) * stats.norm.cdf(-0.5 / sigma - eps * sigma) - delta)

    return optimize.brentq(delta_of, 0.0, 50.0)


def test_accountant_matches_the_gaussian_mechanism_closed_form():
    exact = _analytic_gaussian_epsilon(2.0, 1e-5)
    pld = PrivacyBudget(1.0, 2.0, 1e-5, accountant="pld").epsilon(1)
    rdp = PrivacyBudget(1.0, 2.0, 1e-5, accountant="rdp").epsilon(1)
    assert pld == pytest.approx(exact, rel=0.01)
    assert rdp >= pld  # RDP's conversion is an upper bound
    steps = PrivacyBudget(0.05, 1.1, 1e-5)
    assert 0 == steps.epsilon(0) < steps.epsilon(100) < steps.epsilon(1000)


def test_target_epsilon_calibrates_the_noise():
    budget = PrivacyBudget(0.1, 1.0, 1e-5).calibrated(3.0, 500)
    assert 0.97 * 3.0 <= budget.epsilon(500) <= 3.0
    tighter = PrivacyBudget(0.1, 1.0, 1e-5).calibrated(1.0, 500)
    assert tighter.noise_multiplier > budget.noise_multiplier


def test_private_training_reports_epsilon_in_history_manifest_and_report(tmp_path):
    from mpgan.metrics.evaluate import evaluate

    cfg = load_config(BC, SMALL + PRIVATE + ["data.params.holdout=0.3"])
    trainer = Trainer.from_config(cfg, run_dir=tmp_path / "run", progress=False)
    before = [w.numpy().copy() for w in trainer.discriminators[0].weights]
    epochs = trainer.fit()
    assert not all(np.array_equal(a, w.numpy()) for a, w in zip(before, trainer.discriminators[0].weights, strict=True))
    assert list(epochs["epsilon"]) == sorted(epochs["epsilon"]) and epochs["epsilon"].iloc[0] > 0
    spent = json.loads((tmp_path / "run" / "manifest.json").read_text())["privacy"]
    n = trainer.n_real
    expected = PrivacyBudget(32 / n, 1.0, 1e-5).epsilon(10)  # mpgan schedule: half of batch 64
    assert spent["split"]["dp_sgd"]["epsilon"] == pytest.approx(expected, abs=1e-3)
    assert spent["epsilon"] == pytest.approx(expected + 0.1, abs=1e-3) == pytest.approx(epochs["epsilon"].iloc[-1],
                                                                                         abs=1e-3)
    report = evaluate(trainer, n=50, metrics=["privacy"], plots=False)
    assert report["dp"]["epsilon"] == spent["epsilon"]


def test_private_training_resumes_exactly(tmp_path):
    """The Poisson batches and the noise come from the checkpointed generator: a run stopped
    and resumed ends with the same weights and the same ε as one run straight through."""
    tf.config.experimental.enable_op_determinism()
    cfg = load_config(BC, SMALL + PRIVATE + ["train.deterministic=true", "train.checkpoint_every=1",
                                             "privacy.statistics_seed=3"])  # both runs draw the same class counts
    straight = Trainer.from_config(cfg, run_dir=tmp_path / "a", progress=False)
    straight.fit()
    Trainer.from_config(cfg, run_dir=tmp_path / "b", progress=False).fit(epochs=1)
    resumed = Trainer.from_run(tmp_path / "b", progress=False)
    resumed.fit()
    for a, b in zip(straight.discriminators[0].weights + straight.generator.weights,
                    resumed.discriminators[0].weights + resumed.generator.weights, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert resumed.privacy_spent() == straight.privacy_spent()


def test_synthesizer_trains_privately_to_a_target_epsilon(tmp_path):
    from sklearn.datasets import load_breast_cancer

    from mpgan.data.private import public_draft
    from mpgan.synthesizers import TabularSynthesizer

    df = load_breast_cancer(as_frame=True).frame.iloc[:, -6:]
    syn = TabularSynthesizer(target="target", run_dir=tmp_path / "syn",
                             overrides=["train.epochs=2", "train.steps_per_epoch=10", "train.steps_per_call=10"],
                             privacy={"target_epsilon": 2.0, "max_grad_norm": 1.0, "public": public_draft(df)}).fit(df)
    spent = syn.trainer.privacy_spent()
    assert 1.9 <= spent["epsilon"] <= 2.0 and spent["target_epsilon"] == 2.0
    assert spent["split"]["statistics"]["epsilon"] == pytest.approx(0.2)
    assert len(syn.sample(20)) == 20


@pytest.mark.parametrize("overrides, message", [
    (["privacy.target_epsilon=0", "privacy.max_grad_norm=1"], "privacy.target_epsilon must be > 0"),
    (["privacy.noise_multiplier=1"], "privacy.max_grad_norm is missing"),
    (["privacy.max_grad_norm=1"], "exactly one of privacy.noise_multiplier or privacy.target_epsilon"),
    ([*PRIVATE, "discriminator.pretrained=runs/x"], "discriminator.pretrained cannot be used with privacy"),
    ([*PRIVATE, "train.augment={policy: [translation], ada: {target: 0.6}}"], "train.augment.ada cannot"),
])
def test_bad_privacy_settings_are_refused_when_the_config_loads(overrides, message):
    with pytest.raises(ConfigError, match=message):
        load_config("breast_cancer_mlp", overrides)


@pytest.mark.parametrize("config, overrides, message", [
    ("breast_cancer_mlp", ["privacy.delta=0.01"], r"privacy.delta \(0.01\) must be below 1/n"),
    ("mnist_default", ["data.name=digits", "data.params={size: 8}"], "privacy is supported for tabular runs only"),
    ("breast_cancer_mlp", ["discriminator.params.pac=2"], "packs rows"),
    ("breast_cancer_mlp", ["train.regularizers=[{name: r1, weight: 1}]"], "regularizer r1 cannot be used"),
    ("breast_cancer_mlp", ["train.regularizers=[{name: lecam, weight: 0.1}]"], "regularizer lecam cannot be used"),
    ("breast_cancer_mlp", ["objective=feature_matching"], "objective feature_matching cannot be used"),
])
def test_settings_that_break_the_guarantee_are_refused_when_the_run_is_built(config, overrides, message):
    cfg = load_config(BC if config == "breast_cancer_mlp" else config, SMALL[:5] + PRIVATE + overrides)
    with pytest.raises(ConfigError, match=message):
        Trainer.from_config(cfg, progress=False)


def test_batchnorm_in_the_discriminator_is_refused():
    import keras

    from mpgan.data import load_dataset
    from mpgan.registry import GENERATORS, OBJECTIVES

    cfg = load_config("breast_cancer_mlp", SMALL + PRIVATE)
    ds = load_dataset(cfg.data.name, **cfg.data.params)
    inp = keras.Input((ds.x.shape[1],))
    d = keras.Model(inp, keras.layers.Dense(1)(keras.layers.BatchNormalization()(keras.layers.Dense(8)(inp))))
    g = GENERATORS.build("mlp_generator", ds.spec, latent_dim=8, hidden=[8])
    with pytest.raises(ConfigError, match="BatchNormalization layer, which cannot be used with privacy"):
        Trainer(cfg, ds, g, d, OBJECTIVES.build("non_saturating"), progress=False)


@pytest.mark.slow
def test_dp_benchmark_smoke(tmp_path):
    """One mpgan cell and one MST cell (the dp-baselines extra) of the side-by-side benchmark."""
    import subprocess
    import sys
    from pathlib import Path

    pytest.importorskip("snsynth")
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "dp_utility.py"
    cmd = [sys.executable, str(script), "--tables", "wine", "--synthesizers", "mpgan", "mst", "--epsilons", "3",
           "--seeds", "1", "--set", "train.epochs=1", "--set", "train.steps_per_epoch=5", "--out", str(tmp_path)]
    subprocess.run(cmd, check=True, capture_output=True)
    cells = __import__("pandas").read_csv(tmp_path / "cells.csv").set_index("synthesizer")
    assert sorted(cells.index) == ["mpgan", "mst"] and (cells["epsilon"] <= 3.0 + 1e-3).all()
    assert cells.loc["mst", "column_shapes"] > 0.75  # MST measures every column's marginal: its shapes hold


def test_cli_synthesize_with_epsilon_reports_it(tmp_path, capsys):
    import yaml
    from sklearn.datasets import load_wine

    from mpgan.cli import main
    from mpgan.data.private import public_draft

    table = tmp_path / "wine.csv"
    load_wine(as_frame=True).frame.to_csv(table, index=False)
    (tmp_path / "public.yaml").write_text(yaml.safe_dump(public_draft(load_wine(as_frame=True).frame)))
    args = ["synthesize", "--data", str(table), "--target", "target", "--out", str(tmp_path / "out.csv"),
            "--epsilon", "5", "--epochs", "1", "--set", "train.steps_per_epoch=5", "--run-dir", str(tmp_path / "r"),
            "--public", str(tmp_path / "public.yaml")]
    assert main(args) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("differential privacy"))
    reported = float(line.split()[3])
    # recompute ε with dp-accounting from the mechanism itself: 5 steps of one Poisson-subsampled
    # Gaussian D update, q = batch / 178 wine rows, δ = min(1e-5, 1 / 10n), at the noise the run recorded
    import dp_accounting as dpa
    from dp_accounting.rdp import RdpAccountant

    rec = json.loads((tmp_path / "r" / "manifest.json").read_text())["privacy"]
    batch = yaml.safe_load((tmp_path / "r" / "config.yaml").read_text())["train"]["batch_size"]
    assert (rec["steps"], rec["updates_per_step"], rec["delta"]) == (5, 1, 1e-5)
    assert rec["sample_rate"] == pytest.approx(batch / 178)

    def epsilon(sigma):
        acc = RdpAccountant()
        acc.compose(dpa.SelfComposedDpEvent(dpa.PoissonSampledDpEvent(batch / 178, dpa.GaussianDpEvent(sigma)), 5))
        return acc.get_epsilon(1e-5)

    sigma = rec["noise_multiplier"]
    eps = epsilon(sigma)
    assert rec["split"]["dp_sgd"]["epsilon"] == pytest.approx(eps, abs=1e-3)
    assert rec["split"]["statistics"]["epsilon"] == pytest.approx(0.5)  # the class counts: a tenth of the target
    assert reported == pytest.approx(eps + 0.5, abs=0.006)  # the total, printed to 3 digits
    # DP-SGD's noise was calibrated to the rest: it spends (almost) all of ε = 4.5, and 2% less noise overspends
    assert 4.4 < eps <= 4.5 + 1e-3 and epsilon(0.98 * sigma) > 4.5
    assert main(["synthesize", "--run", str(tmp_path / "r"), "--epsilon", "1", "--out", str(tmp_path / "o.csv")]) == 2
    assert "--epsilon" in capsys.readouterr().err


def test_a_target_epsilon_out_of_reach_names_what_to_change():
    """Calibration always finds some noise; when it would be many times a batch's clipped
    sum the run is refused, naming the settings to change. A reachable target passes."""
    from mpgan.training.privacy import check_reachable

    budget = PrivacyBudget(32 / 398, 1.0, 1e-5).calibrated(0.02, 3000)
    with pytest.raises(ConfigError, match=r"target_epsilon 0.02 is out of reach with 3000 steps of 32 expected real "
                                          r"rows: .* train fewer steps \(train.epochs\), use larger batches "
                                          r"\(train.batch_size\) or ask for a larger epsilon"):
        check_reachable(0.02, budget.noise_multiplier, 32, 3000)
    check_reachable(3.0, PrivacyBudget(32 / 398, 1.0, 1e-5).calibrated(3.0, 3000).noise_multiplier, 32, 3000)
    cfg = load_config(BC, [*SMALL[:5], "privacy.target_epsilon=0.0001", "privacy.max_grad_norm=1"])
    with pytest.raises(ConfigError, match="is out of reach"):
        Trainer.from_config(cfg, progress=False)
