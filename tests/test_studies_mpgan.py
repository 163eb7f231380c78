"""The MP-GAN image studies (seed 004) in --quick mode, and the latent-space helpers."""

import h5py
import numpy as np
import pandas as pd
import pytest

from mpgan import Trainer
from mpgan import latent as L
from mpgan.cli import main
from mpgan.data import load_dataset
from mpgan.errors import MpganError
from mpgan.metrics.features import classifier_extractor


def test_latent_helpers():
    z = L.plane_grid(6, (1, 4), n=3, extent=2.0)
    assert z.shape == (9, 6)
    assert np.all(z[:, [0, 2, 3, 5]] == 0)
    assert sorted(set(z[:, 1])) == [-2.0, 0.0, 2.0] and sorted(set(z[:, 4])) == [-2.0, 0.0, 2.0]
    origin = np.arange(6.0)
    zo = L.plane_grid(6, (0, 1), n=2, origin=origin)
    assert np.all(zo[:, 2:] == origin[2:])
    with pytest.raises(MpganError, match="dims must be two different latent coordinates in 0..5"):
        L.plane_grid(6, (2, 2))
    a, b = np.array([3.0, 0, 0]), np.array([0, 1.0, 0])
    s = L.slerp(a, b, 5)
    np.testing.assert_allclose(s[0], a, atol=1e-6)
    np.testing.assert_allclose(s[-1], b, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(s, axis=1), np.linspace(3, 1, 5), rtol=1e-5)
    np.testing.assert_allclose(L.lerp(a, b, 3)[1], (a + b) / 2)
    np.testing.assert_allclose(np.linalg.norm(L.at_radius(2.5, 10, 7), axis=1), 2.5, rtol=1e-5)


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


def test_latent_trajectories_quick(tmp_path):
    out = tmp_path / "lat"
    assert main(["experiment", "latent_trajectories", "--quick", "--settings", "reference", "--out", str(out)]) == 0
    res = pd.read_csv(out / "results.csv")
    assert res["radius"].iloc[0] == 0 and res["radius_over_typical"].max() == pytest.approx(1.5)
    assert res["radius"].max() == pytest.approx(1.5 * 16 ** 0.5)  # quick: latent_dim 16, latent_std 1
    # recomputed from the saved generator: at radius 0 all 200 directions give the one image G(0), so
    # the confidence is the classifier's max probability on it; at the typical radius, the mean over
    # the study's 200 directions (seed + 1)
    trainer = Trainer.from_run(out / "runs" / "reference_seed0", progress=False)
    ext = classifier_extractor("mnist", {k: v for k, v in trainer.config.data.params.items() if k != "limit"})
    p0 = ext.probabilities(trainer.generate(np.zeros((1, 16), np.float32)))
    p1 = ext.probabilities(trainer.generate(L.at_radius(16 ** 0.5, 200, 16, seed=1)))
    at = res.set_index("radius_over_typical")
    assert at.loc[0.0, "confidence"] == pytest.approx(p0.max(), rel=1e-4)
    assert at.loc[1.0, "confidence"] == pytest.approx(p1.max(axis=1).mean(), rel=1e-4)
    assert res["realism"].between(0, 1).all() and res["ink"].between(0, 1).all()
    assert (res["digit_share"] <= res["realism"]).all()  # a digit is inside the manifold and inked
    md = (out / "results.md").read_text()
    assert "| reference |" in md and "not decided (one seed)" in md  # one seed: no verdict
    for f in ("realism_vs_radius.png", "confidence_vs_radius.png", "interpolation_spherical.png",
              "plane_dims_0_1_others_0.png", "samples_by_radius.png"):
        assert (out / "figures" / f).is_file(), f


def test_studies_train_on_local_mnist_files(tmp_path, monkeypatch):
    from mpgan.data import write_idx

    root = tmp_path / "data"
    (root / "mnist").mkdir(parents=True)
    rng = np.random.default_rng(0)
    for split, n in (("train", 300), ("t10k", 100)):
        write_idx(root / "mnist" / f"{split}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(root / "mnist" / f"{split}-labels-idx1-ubyte.gz", (np.arange(n) % 10).astype(np.uint8))
    monkeypatch.setenv("MPGAN_DATA", str(root))
    monkeypatch.setenv("MPGAN_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "lat"
    assert main(["experiment", "latent_trajectories", "--quick", "--settings", "reference", "--out", str(out)]) == 0
    cfg = (out / "runs" / "reference_seed0" / "config.yaml").read_text()
    assert "name: mnist" in cfg and "source: files" in cfg
    assert pd.read_csv(out / "results.csv")["confidence"].notna().all()


def test_study_data_and_steps_errors(capsys):
    assert main(["experiment", "optimizer_comparison", "--quick", "--data", "cifar"]) == 2
    assert "--data must be one of mnist, digits, fashion_mnist, got 'cifar'" in capsys.readouterr().err
    assert main(["experiment", "optimizer_comparison", "--quick", "--steps", "6"]) == 2
    assert "--steps must be a positive multiple of 4" in capsys.readouterr().err
