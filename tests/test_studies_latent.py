"""The latent-trajectories study (seed 004, exp. 3) in --quick mode, and the latent-space helpers."""

import numpy as np
import pandas as pd
import pytest

from mpgan import Trainer
from mpgan import latent as L
from mpgan.cli import main
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


@pytest.mark.slow  # reads real IDX files and trains its own extractor; quick studies cover the path
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
