"""The FID calibration ladder: damage applied as stated, rungs in the order they must be
on real MNIST images, and a run's FID placed on it by `mpgan evaluate`."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mpgan import Trainer, load_config
from mpgan.cli import main
from mpgan.data import load_dataset
from mpgan.metrics.calibration import LADDER, Rung, calibration_ladder, degrade, place
from mpgan.metrics.features import classifier_extractor


def test_noise_is_sigma_in_pixel_units():
    grey = np.zeros((200, 28, 28, 1), np.float32)  # pixel 127.5 in [-1, 1]
    out = degrade(grey, Rung("n", "n", noise=0.1), np.random.default_rng(0))
    pixels = (out + 1) / 2  # [0, 1]
    assert pixels.std() == pytest.approx(0.1, rel=0.02) and abs(pixels.mean() - 0.5) < 0.005


def test_blur_removes_detail_finer_than_its_grid():
    checker = np.indices((28, 28)).sum(0) % 2 * 2.0 - 1.0  # one-pixel checkerboard
    x = np.repeat(checker[None, ..., None], 2, axis=0).astype(np.float32)
    blurred = degrade(x, Rung("b", "b", blur=14), np.random.default_rng(0))
    assert blurred.shape == x.shape and np.abs(blurred).max() < 0.1  # flat grey
    flat = np.full((1, 28, 28, 1), 0.5, np.float32)
    np.testing.assert_allclose(degrade(flat, Rung("b", "b", blur=8), np.random.default_rng(0)), flat, atol=0.01)


@pytest.fixture(scope="module")
def mnist_ladder():
    train = load_dataset("mnist", source="subset")
    test = load_dataset("mnist", source="subset", split="test")
    ext = classifier_extractor("mnist", {"source": "subset"})
    return calibration_ladder(test.x, train.x, train.y, ext, n=1000, seed=0)


def test_ladder_order_on_real_mnist(mnist_ladder):
    f = {k: v["fid"] for k, v in mnist_ladder["rungs"].items()}
    assert list(f) == [r.name for r in LADDER]
    assert f["real"] < f["noise_0.1"] < f["noise_0.2"] < f["noise_0.3"]
    assert f["real"] < f["blur_14"] < f["blur_8"] and f["classes_5"] > f["noise_0.1"]
    assert all(v["n"] == 1000 and v["n_unique"] == 1000 for v in mnist_ladder["rungs"].values())


def test_place_reads_a_value_between_rungs(mnist_ladder):
    f = {k: v["fid"] for k, v in mnist_ladder["rungs"].items()}
    mid = (f["noise_0.1"] + f["noise_0.2"]) / 2
    assert place(mid, mnist_ladder).startswith("between real + noise σ 0.1")
    assert place(f["real"] / 2, mnist_ladder).startswith("below real held-out")
    assert place(f["noise_0.3"] * 2, mnist_ladder).startswith("above real + noise σ 0.3")


def test_evaluate_mnist_run_scores_against_the_held_out_split(tmp_path, capsys):
    run = tmp_path / "run"
    sets = ["name=m", "data={name: mnist, params: {source: subset, size: 8, limit: 300}}",
            "generator.params.latent_dim=8", "train.batch_size=16", "train.steps_per_epoch=3",
            "train.epochs=1", "train.n_samples=16", "train.tensorboard=false"]
    trainer = Trainer.from_config(load_config(None, sets), run_dir=run)
    trainer.fit()
    assert json.loads((run / "data_spec.json").read_text())["source"].startswith("MNIST subset")
    assert "source: subset" in (run / "config.yaml").read_text()
    capsys.readouterr()
    assert main(["evaluate", "--run", str(run), "--n", "200", "--metrics", "fid", "mode_coverage"]) == 0
    out = capsys.readouterr().out
    result = json.loads((run / "eval" / "metrics.json").read_text())
    assert result["reference"] == "200 held-out images (test split)"
    assert set(result["fid"]["ladder"]) == {r.name for r in LADDER} and result["fid"]["ladder_n"] == 200
    cov = result["mode_coverage"]
    # recomputed: the classifier's mean max probability on the run's 200 samples (seed 0) and on
    # the 200 held-out test images evaluate picks (seeded); the class counts are its argmax labels
    ext = classifier_extractor("mnist", {"source": "subset", "size": 8})
    p_fake = ext.probabilities(trainer.sample(200, seed=0))
    held = load_dataset("mnist", source="subset", size=8, split="test")
    p_real = ext.probabilities(held.x[np.random.default_rng(0).choice(len(held), 200, replace=False)])
    assert cov["mean_confidence"] == pytest.approx(p_fake.max(axis=1).mean(), rel=1e-5)
    assert cov["real_confidence"] == pytest.approx(p_real.max(axis=1).mean(), rel=1e-5)
    assert cov["counts"] == np.bincount(p_fake.argmax(axis=1), minlength=10).tolist()
    assert "reads as:" in out and "class shares (classifier labels): 0 " in out
