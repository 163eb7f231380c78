"""The MP-GAN image studies (seed 004, exps. 1 and 2) in --quick mode."""

import h5py
import numpy as np
import pandas as pd
import pytest

from mpgan import Trainer
from mpgan.cli import main
from mpgan.data import load_dataset
from mpgan.metrics.features import classifier_extractor


def frechet(a, b):
    """FID from two feature sets: |mu_a - mu_b|^2 + tr(S_a + S_b) - 2 tr((S_a^1/2 S_b S_a^1/2)^1/2),
    by symmetric eigendecompositions (well defined for singular covariances of few samples)."""
    sa, sb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    w, v = np.linalg.eigh(sa)
    root = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root @ sb @ root), 0, None)).sum()
    return float(((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(sa) + np.trace(sb) - 2 * cross)


def test_optimizer_comparison_quick(tmp_path):
    out = tmp_path / "opt"
    assert main(["experiment", "optimizer_comparison", "--quick", "--settings", "adam", "sgd_then_adam",
                 "--out", str(out)]) == 0
    res = pd.read_csv(out / "results.csv")
    # scored at fixed step counts (quick: every 4 steps), whatever the dataset's size
    assert res[["setting", "step"]].values.tolist() == [["adam", 4], ["adam", 8],
                                                        ["sgd_then_adam", 4], ["sgd_then_adam", 8]]
    # the final FID is the Fréchet distance, recomputed here, between the classifier features of the
    # saved generator's eval.n samples (eval seed) and of the eval.n held-out images evaluate picks
    trainer = Trainer.from_run(out / "runs" / "adam_seed0", progress=False)
    n, seed = trainer.config.eval.n, trainer.config.eval.seed
    assert int(trainer.step.numpy()) == 8
    params = {k: v for k, v in trainer.config.data.params.items() if k != "limit"}
    ext = classifier_extractor("mnist", params)
    held = load_dataset("mnist", **{**params, "split": "test"})
    f_real = ext.features_and_probabilities(held.x[np.random.default_rng(seed).choice(len(held), n, replace=False)])[0]
    f_fake = ext.features_and_probabilities(trainer.sample(n, seed=seed))[0]
    fid = res[(res.setting == "adam") & (res.step == 8)]["fid"].item()
    assert fid == pytest.approx(frechet(f_real, f_fake), rel=1e-6)
    assert res["fid"].nunique() == 4  # every checkpoint scored its own generator
    assert (res["classes_covered"] + res["missing_digits"] == 10).all() and res["classes_covered"].between(0, 10).all()
    # the swap happened half-way: SGD in the first checkpoint interval, Adam in the second
    ep = pd.read_csv(out / "runs" / "sgd_then_adam_seed0" / "epochs.csv")
    assert ep["g_optimizer"].tolist() == ["sgd", "adam"]
    md = (out / "results.md").read_text()
    assert "the article's \"epoch 10\" is read at step 4 and its \"epoch 50\" at step 8" in md
    assert "FID scale (calibration ladder, same extractor, n = 64): real held-out (floor)" in md
    assert "| some digits are missing (Adam, the reference) | 8 |" in md
    assert "not decided (one seed)" in md  # one seed decides nothing
    for f in ("figures/fid_vs_step.png", "figures/classes_covered_vs_step.png",
              "figures/samples_at_article_epochs.png"):
        assert (out / f).is_file(), f


def test_pretrained_discriminator_quick(tmp_path):
    out = tmp_path / "pre"
    assert main(["experiment", "pretrained_discriminator", "--quick", "--settings", "pretrained",
                 "pretrained_frozen", "--out", str(out)]) == 0
    res = pd.read_csv(out / "results.csv")
    assert set(res["setting"]) == {"pretrained", "pretrained_frozen"} and res["fid"].notna().all()

    def weights(path):
        with h5py.File(path) as f:
            out = []
            f.visititems(lambda name, obj: out.append(obj[()]) if isinstance(obj, h5py.Dataset) else None)
            return out

    donor = weights(out / "runs" / "donor" / "discriminator.weights.h5")
    frozen = weights(out / "runs" / "pretrained_frozen_seed0" / "discriminator.weights.h5")
    trained = weights(out / "runs" / "pretrained_seed0" / "discriminator.weights.h5")
    assert all(np.array_equal(a, b) for a, b in zip(donor, frozen, strict=True))  # never updated
    assert not all(np.array_equal(a, b) for a, b in zip(donor, trained, strict=True))
    assert "| freezing D saves little time (< 20% per step) | all | time saved per step:" in (
        out / "results.md").read_text()
    assert (out / "figures" / "samples_at_article_epochs.png").is_file()


def test_study_data_and_steps_errors(capsys):
    assert main(["experiment", "optimizer_comparison", "--quick", "--data", "cifar"]) == 2
    assert "--data must be one of mnist, digits, fashion_mnist, got 'cifar'" in capsys.readouterr().err
    assert main(["experiment", "optimizer_comparison", "--quick", "--steps", "6"]) == 2
    assert "--steps must be a positive multiple of 4" in capsys.readouterr().err
