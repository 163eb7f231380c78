"""The MP-GAN image studies (seed 004) in --quick mode, and the latent-space helpers."""

import h5py
import numpy as np
import pandas as pd
import pytest

from mpgan import latent as L
from mpgan.cli import main
from mpgan.errors import MpganError


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


def test_optimizer_comparison_quick(tmp_path):
    out = tmp_path / "opt"
    assert main(["experiment", "optimizer_comparison", "--quick", "--settings", "adam", "sgd_then_adam",
                 "--out", str(out)]) == 0
    res = pd.read_csv(out / "results.csv")
    assert res[["setting", "epoch"]].values.tolist() == [["adam", 1], ["adam", 2],
                                                         ["sgd_then_adam", 1], ["sgd_then_adam", 2]]
    assert res["fid"].notna().all() and (res["fid"] > 0).all() and res["missing_digits"].between(0, 10).all()
    # the swap happened half-way: SGD in epoch 1, Adam in epoch 2
    ep = pd.read_csv(out / "runs" / "sgd_then_adam_seed0" / "epochs.csv")
    assert ep["g_optimizer"].tolist() == ["sgd", "adam"]
    for f in ("results.md", "figures/fid_vs_epoch.png", "figures/samples_by_epoch.png",
              "figures/missing_digits_vs_epoch.png"):
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
    assert "Freezing the discriminator:" in (out / "results.md").read_text()
    assert (out / "figures" / "samples_by_epoch.png").is_file()


def test_latent_trajectories_quick(tmp_path):
    out = tmp_path / "lat"
    assert main(["experiment", "latent_trajectories", "--quick", "--out", str(out)]) == 0
    res = pd.read_csv(out / "results.csv")
    assert res["radius"].iloc[0] == 0 and res["radius_over_typical"].max() == pytest.approx(1.5)
    assert res["radius"].max() == pytest.approx(1.5 * 16 ** 0.5)  # quick: latent_dim 16, latent_std 1
    assert res["confidence"].between(0.1 - 1e-6, 1).all()  # max of 10 class probabilities
    assert res["realism"].between(0, 1).all() and res["ink"].between(0, 1).all()
    md = (out / "results.md").read_text()
    assert "Verdict: the article's claim" in md and "is NOT TESTED" in md  # one seed: no test
    for f in ("realism_vs_radius.png", "confidence_vs_radius.png", "interpolation_spherical.png", "plane_dims_0_1_others_0.png",
              "samples_by_radius.png"):
        assert (out / "figures" / f).is_file(), f


def test_studies_train_on_local_mnist_files(tmp_path, monkeypatch):
    from mpgan.data import write_idx

    root = tmp_path / "data"
    (root / "mnist").mkdir(parents=True)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(300, 28, 28), dtype=np.uint8)
    y = (np.arange(300) % 10).astype(np.uint8)
    write_idx(root / "mnist" / "train-images-idx3-ubyte.gz", x)
    write_idx(root / "mnist" / "train-labels-idx1-ubyte.gz", y)
    monkeypatch.setenv("MPGAN_DATA", str(root))
    monkeypatch.setenv("MPGAN_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "lat"
    assert main(["experiment", "latent_trajectories", "--quick", "--dataset", "mnist", "--out", str(out)]) == 0
    cfg = (out / "runs" / "seed0" / "config.yaml").read_text()
    assert "name: mnist" in cfg
    assert pd.read_csv(out / "results.csv")["confidence"].notna().all()
