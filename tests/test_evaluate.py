"""`mpgan evaluate` on image, toy and tabular runs, and metrics during training."""

import json

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist
from scipy.stats import ks_2samp
from sklearn.model_selection import train_test_split

from mpgan import Trainer, load_config
from mpgan.cli import main
from mpgan.metrics import MetricsCallback
from tests.helpers import TINY


@pytest.fixture(scope="module")
def image_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("eval") / "run"
    Trainer.from_config(load_config(None, TINY + ["train.epochs=1"]), run_dir=run).fit()
    return run


def test_evaluate_image_run(image_run, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("MPGAN_CACHE", str(tmp_path / "cache"))
    assert main(["evaluate", "--run", str(image_run), "--n", "120"]) == 0
    out = capsys.readouterr().out
    assert "fid.value" in out and "mode_coverage.n_missing" in out
    result = json.loads((image_run / "eval" / "metrics.json").read_text())
    for name in ("fid", "kid", "is", "precision_recall", "mode_coverage", "discriminator_accuracy"):
        assert name in result, name
    # digits has no held-out split: half of the run's 200 images are the reference
    assert result["fid"]["n_fake"] == 120 and result["fid"]["n_real"] == 100
    assert result["reference"].startswith("100 training images")
    ladder = result["fid"]["ladder"]
    assert ladder["real"] < ladder["noise_0.3"] and result["fid"]["ladder_n"] == 100
    assert "calibration ladder" in out and "reads as:" in out
    assert result["fid"]["value"] > 0 and result["extractor"].startswith("classifier:digits")
    flat = pd.read_csv(image_run / "eval" / "metrics.csv")
    assert flat.loc[0, "fid.value"] == pytest.approx(result["fid"]["value"])
    assert (image_run / "eval" / "samples.png").exists() and (image_run / "eval" / "mode_coverage.png").exists()


def test_evaluate_selected_metrics_and_errors(image_run, capsys, tmp_path):
    out = tmp_path / "ev"
    assert main(["evaluate", "--run", str(image_run), "--n", "50", "--metrics", "discriminator_accuracy",
                 "--out", str(out)]) == 0
    result = json.loads((out / "metrics.json").read_text())
    assert "fid" not in result and 0 <= result["discriminator_accuracy"]["mean"] <= 1
    capsys.readouterr()
    assert main(["evaluate", "--run", str(image_run), "--metrics", "fidd"]) == 2
    assert "unknown metric(s) fidd for image data; available: fid" in capsys.readouterr().err


def test_evaluate_toy_run(tmp_path):
    run = tmp_path / "toy"
    sets = ["name=toy", "data=normal", "data.params.n=1000", "generator=toy_generator",
            "discriminator=toy_discriminator", "train.batch_size=64", "train.epochs=1", "train.steps_per_epoch=5"]
    Trainer.from_config(load_config(None, sets), run_dir=run).fit()
    assert main(["evaluate", "--run", str(run), "--n", "500"]) == 0
    result = json.loads((run / "eval" / "metrics.json").read_text())
    dist = result["distribution"]
    # scored against the distribution the data came from (N(10, 1)) and against the real sample
    assert dist["moment_errors_dist"]["ref_mean"] == 10.0 and dist["moment_errors_dist"]["ref_std"] == 1.0
    assert dist["n_fake"] == 500 and dist["n_real"] == 1000
    assert dist["moment_errors_dist"]["mean"] == pytest.approx(dist["moments"]["mean"])
    assert (run / "eval" / "histogram.png").exists()


def test_evaluate_tabular_run(tmp_path):
    run = tmp_path / "tab"
    sets = ["name=tab", "data=wine", "generator=mlp_generator", "discriminator=mlp_discriminator",
            "train.batch_size=32", "train.epochs=1", "train.steps_per_epoch=5"]
    trainer = Trainer.from_config(load_config(None, sets), run_dir=run)
    trainer.fit()
    assert main(["evaluate", "--run", str(run), "--n", "150"]) == 0
    tab = json.loads((run / "eval" / "metrics.json").read_text())["tabular"]
    # recomputed independently: the run's 150 samples (seed 0) against the 70 % stratified split
    # (seed 0) of the 178 real rows that a run without held-out rows is scored on
    real = trainer.dataset.frame
    synth = pd.DataFrame(trainer.dataset.inverse_transform(trainer.sample(150, seed=0)))[real.columns]
    train, test = train_test_split(real, test_size=0.3, random_state=0, stratify=real["target"])
    assert (tab["n_real_train"], tab["n_real_test"], tab["n_synthetic"]) == (124, 54, 150)
    numeric = [c for c in real.columns if c != "target"]
    cols = {c["column"]: c for c in tab["columns"]["per_column"]}
    for c in numeric:
        assert cols[c]["ks"] == pytest.approx(ks_2samp(train[c], synth[c]).statistic, abs=1e-12), c
        assert cols[c]["mean_real"] == pytest.approx(train[c].mean(), rel=1e-9), c
        assert cols[c]["mean_fake"] == pytest.approx(synth[c].mean(), rel=1e-9), c
    p_real = train["target"].astype(int).value_counts(normalize=True)
    p_fake = synth["target"].astype(int).value_counts(normalize=True)
    assert cols["target"]["tvd"] == pytest.approx(0.5 * p_real.sub(p_fake, fill_value=0).abs().sum())
    upper = np.triu_indices(len(numeric), k=1)
    corr_diff = np.abs(synth[numeric].corr().to_numpy() - train[numeric].corr().to_numpy())[upper]
    assert tab["correlation"]["mean_abs_diff"] == pytest.approx(corr_diff.mean(), rel=1e-9)

    def encode(df):  # z-scores with the real training rows' mean and std, one-hot class
        z = (df[numeric] - train[numeric].mean()) / train[numeric].std(ddof=0)
        return np.hstack([z.to_numpy(), np.equal.outer(df["target"].astype(int).to_numpy(), [0, 1, 2])])

    dcr = tab["dcr"]
    assert dcr["median"] == pytest.approx(np.median(cdist(encode(synth), encode(train)).min(axis=1)), rel=1e-9)
    assert dcr["holdout_median"] == pytest.approx(np.median(cdist(encode(test), encode(train)).min(axis=1)),
                                                  rel=1e-9)
    assert f"mean {tab['columns']['mean_ks']:.4g}, max {tab['columns']['max_ks']:.4g}" in (
        run / "eval" / "report.md").read_text()


def test_metrics_during_training_land_in_epochs_csv(tmp_path, monkeypatch):
    monkeypatch.setenv("MPGAN_CACHE", str(tmp_path / "cache"))
    run = tmp_path / "r"
    cfg = load_config(None, TINY + ["eval.every=1", "eval.n=64", "eval.metrics=[fid, mode_coverage]"])
    from mpgan.metrics import metrics_callbacks

    cbs = metrics_callbacks(cfg)
    assert len(cbs) == 1 and isinstance(cbs[0], MetricsCallback)
    Trainer.from_config(cfg, run_dir=run, callbacks=cbs).fit()
    epochs = pd.read_csv(run / "epochs.csv")
    assert epochs["metric.fid.value"].notna().all() and (epochs["metric.fid.n_fake"] == 64).all()
    assert "metric.mode_coverage.n_missing" in epochs.columns
