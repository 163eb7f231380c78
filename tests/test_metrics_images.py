"""Image metrics: formula checks on random Gaussian features (no TensorFlow), then the
classifier feature extractor on 8x8 digits (trained once per module, cached in tmp)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from mpgan.errors import DataError, MpganError
from mpgan.metrics.images import (
    discriminator_accuracy,
    evaluate_images,
    fid_from_features,
    fid_sample_size_study,
    frechet_distance,
    inception_score_from_probs,
    kid_from_features,
    mode_coverage,
    precision_recall_from_features,
)

# --------------------------------------------------------------------------- formulas


def test_frechet_identical_sets_is_zero():
    f = np.random.default_rng(0).normal(size=(500, 16))
    assert fid_from_features(f, f)["value"] == pytest.approx(0.0, abs=1e-6)


def test_frechet_diagonal_closed_form_and_symmetry():
    rng = np.random.default_rng(1)
    mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
    s1, s2 = rng.uniform(0.2, 3.0, size=6), rng.uniform(0.2, 3.0, size=6)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum(s1**2 + s2**2 - 2 * s1 * s2)
    d12 = frechet_distance(mu1, np.diag(s1**2), mu2, np.diag(s2**2))
    d21 = frechet_distance(mu2, np.diag(s2**2), mu1, np.diag(s1**2))
    assert d12 == pytest.approx(expected, rel=1e-9)
    assert d21 == pytest.approx(d12, rel=1e-9)


def test_frechet_full_covariance_symmetric_and_finite_when_singular():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(300, 5)), rng.normal(size=(300, 5)) @ rng.normal(size=(5, 5))
    r = fid_from_features(a, b)
    assert r["value"] == pytest.approx(fid_from_features(b, a)["value"], rel=1e-6)
    assert (r["n_real"], r["n_fake"]) == (300, 300)
    from mpgan.metrics.images import _trace_sqrt_product  # the symmetric fallback agrees with sqrtm

    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    by_eigh = np.sum((a.mean(0) - b.mean(0)) ** 2) + np.trace(s1 + s2) - 2 * _trace_sqrt_product(s1, s2)
    assert r["value"] == pytest.approx(by_eigh, rel=1e-8)
    # fewer samples than features: singular covariances, still a finite non-negative number
    small = fid_from_features(rng.normal(size=(10, 40)), rng.normal(size=(12, 40)) + 1.0)
    assert np.isfinite(small["value"]) and small["value"] > 0


def test_kid_same_distribution_near_zero_shifted_positive():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(600, 16)), rng.normal(size=(600, 16))
    same = kid_from_features(a, b, subsets=20, subset_size=200)
    assert abs(same["value"]) < max(3 * same["std"], 0.02)
    shifted = kid_from_features(a, b + 0.5, subsets=20, subset_size=200)
    assert shifted["value"] > 10 * max(same["std"], 1e-3)
    assert (shifted["n_real"], shifted["n_fake"], shifted["subset_size"]) == (600, 600, 200)
    assert kid_from_features(a[:50], b, subset_size=1000)["subset_size"] == 50


def test_inception_score_bounds():
    p = np.full((40, 5), 0.2)
    r = inception_score_from_probs(p, splits=4)
    assert r["value"] == pytest.approx(1.0) and r["n_fake"] == 40
    onehot = np.tile(np.eye(7), (30, 1))  # 210 rows, every split of 21 covers the 7 classes evenly
    assert inception_score_from_probs(onehot, splits=10)["value"] == pytest.approx(7.0)
    with pytest.raises(MpganError, match="logits"):
        inception_score_from_probs(np.array([[2.0, -1.0], [0.5, 0.5]]))


def test_precision_recall_identical_and_half_coverage():
    rng = np.random.default_rng(4)
    real = rng.normal(size=(1500, 2))
    same = precision_recall_from_features(real, real, k=3)
    assert (same["precision"], same["recall"]) == (1.0, 1.0)
    fake = rng.normal(size=(3000, 2))
    fake = fake[fake[:, 0] > 0][:750]  # only the right half of the blob
    r = precision_recall_from_features(real, fake, k=3)
    assert r["precision"] > 0.9
    assert r["recall"] == pytest.approx(0.5, abs=0.1)
    assert (r["n_real"], r["n_fake"], r["k"]) == (1500, 750, 3)


def test_mode_coverage_one_class_and_uniform():
    k = 10
    one = mode_coverage(np.tile(np.eye(k)[3], (50, 1)))
    assert one["n_missing"] == k - 1 and 3 not in one["missing"]
    assert one["entropy"] == pytest.approx(0.0) and one["kl_from_uniform"] == pytest.approx(np.log(k))
    uniform = mode_coverage(np.tile(np.eye(k), (20, 1)), class_names=[f"c{i}" for i in range(k)])
    assert uniform["n_missing"] == 0 and uniform["missing"] == []
    assert uniform["histogram"] == pytest.approx([0.1] * k) and uniform["n_fake"] == 200
    assert uniform["entropy"] == pytest.approx(np.log(k)) and uniform["fair_share"] == 0.1
    named = mode_coverage(np.array([0, 0, 1, 1, 2]), num_classes=4, class_names=list("abcd"))
    assert named["missing"] == ["d"] and named["counts"] == [2, 2, 1, 0]


@pytest.mark.parametrize("call, message", [
    (lambda: fid_from_features(np.ones((5, 3)), np.ones((5, 4))), "differ in width"),
    (lambda: fid_from_features(np.full((5, 3), np.nan), np.ones((5, 3))), "NaN"),
    (lambda: fid_from_features(np.ones((1, 3)), np.ones((5, 3))), "at least 2"),
    (lambda: kid_from_features(np.ones(5), np.ones((5, 1))), "2-D"),
    (lambda: precision_recall_from_features(np.ones((3, 2)), np.ones((9, 2)), k=3), "at least 4"),
    (lambda: mode_coverage(np.ones((4, 3)) / 3, class_names=["a", "b"]), "2 class names"),
    (lambda: inception_score_from_probs(np.ones((4, 3))), "sum to 1"),
])
def test_bad_inputs_raise_one_sentence(call, message):
    with pytest.raises(MpganError, match=message):
        call()


def test_class_histogram_plot(tmp_path):
    from mpgan import plots

    cov = mode_coverage(np.array([0, 0, 0, 1, 2, 2]), num_classes=5)
    path = plots.plot_class_histogram(cov, tmp_path / "cov.png", title="coverage")
    assert path.stat().st_size > 1000
    plots.plot_class_histogram(cov["histogram"], tmp_path / "list.png", class_names=list("abcde"))
    plots.plot_class_histogram({"x": 0.7, "y": 0.3}, tmp_path / "dict.png")
    assert (tmp_path / "list.png").exists() and (tmp_path / "dict.png").exists()


# --------------------------------------------------------------------------- extractor

EPOCHS = 4


@pytest.fixture(scope="module")
def digits():
    from mpgan.data import load_dataset

    return load_dataset("digits", size=8)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from mpgan.metrics.features import classifier_extractor, clear_memo

    cache = tmp_path_factory.mktemp("extractors")
    clear_memo()
    np_state = np.random.get_state()
    ext = classifier_extractor("digits", {"size": 8}, seed=0, epochs=EPOCHS, cache_dir=cache)
    restored = all(np.array_equal(a, b) for a, b in zip(np_state[1:3], np.random.get_state()[1:3], strict=True))
    return ext, cache, restored


def test_extractor_trains_caches_and_reloads(trained, digits):
    from mpgan.metrics.features import classifier_extractor, clear_memo

    ext, cache, np_state_restored = trained
    assert np_state_restored  # training does not disturb the caller's NumPy global stream
    weights = list(cache.glob("digits-*.weights.h5"))
    metas = list(cache.glob("digits-*.json"))
    assert len(weights) == 1 and len(metas) == 1 and not list(cache.glob(".*"))
    meta = json.loads(metas[0].read_text())
    assert meta["dataset"] == "digits" and meta["params"] == {"size": 8} and meta["epochs"] == EPOCHS
    assert meta["input_shape"] == [8, 8, 1] and 0.7 < meta["holdout_accuracy"] <= 1.0
    assert ext.id == f"classifier:digits:{meta['key'][:8]}"
    assert ext.info["holdout_accuracy"] == meta["holdout_accuracy"]

    x = digits.x[:300]
    f1, p1 = ext.features_and_probabilities(x)
    assert f1.dtype == np.float64 and f1.shape == (300, 128) and p1.shape == (300, 10)
    np.testing.assert_allclose(p1.sum(1), 1.0)
    assert np.array_equal(ext.features(x), f1)  # batching does not change anything
    assert classifier_extractor("digits", {"size": 8}, seed=0, epochs=EPOCHS, cache_dir=cache) is ext

    mtime = weights[0].stat().st_mtime_ns
    clear_memo()
    again = classifier_extractor("digits", {"size": 8}, seed=0, epochs=EPOCHS, cache_dir=cache)
    assert again is not ext and again.id == ext.id
    assert weights[0].stat().st_mtime_ns == mtime  # loaded, not retrained
    f2, p2 = again.features_and_probabilities(x)
    assert np.array_equal(f1, f2) and np.array_equal(p1, p2)


def test_extractor_rejects_wrong_shapes(trained):
    ext = trained[0]
    with pytest.raises(MpganError, match=r"expects samples of shape \(n, 8, 8, 1\)"):
        ext.features(np.zeros((3, 28, 28, 1)))
    with pytest.raises(MpganError, match="NaN"):
        ext.features(np.full((3, 8, 8, 1), np.nan))


def _fid(ext, a, b):
    return fid_from_features(ext.features(a), ext.features(b))["value"]


def test_fid_separates_real_from_noise_and_grows_with_noise(trained, digits):
    ext = trained[0]
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(digits))
    real, other = digits.x[idx[:800]], digits.x[idx[800:1600]]
    noise = rng.uniform(-1, 1, size=real.shape).astype(np.float32)
    floor, far = _fid(ext, real, other), _fid(ext, real, noise)
    assert far > 10 * floor
    fids = [_fid(ext, real, np.clip(other + s * rng.normal(size=other.shape), -1, 1))
            for s in (0.0, 0.1, 0.3, 0.6)]
    assert all(b > a for a, b in zip(fids, fids[1:], strict=False)), fids


def test_mode_coverage_of_a_single_digit(trained, digits):
    ext = trained[0]
    threes = digits.x[digits.y == 3]
    cov = mode_coverage(ext.probabilities(threes), class_names=ext.info["class_names"])
    assert cov["n_missing"] >= 8 and "3" not in cov["missing"]


def test_evaluate_images_all_metrics(trained, digits):
    ext = trained[0]
    real, fake = digits.x[:200], digits.x[200:350]
    res = evaluate_images(real, fake, ext, seed=0)
    for name in ("fid", "kid", "is", "precision_recall", "mode_coverage"):
        assert res[name]["n_fake"] == 150, name
        assert res[name]["n_real"] == 200, name
    assert (res["n_real"], res["n_fake"], res["extractor"]) == (200, 150, ext.id)
    assert res["extractor_info"]["holdout_accuracy"] > 0.7
    assert res["kid"]["subset_size"] == 150 and 1.0 <= res["is"]["value"] <= 10.0
    json.dumps(res)  # plain JSON types only
    only = evaluate_images(real, fake, ext, metrics=("is",))
    assert set(only) == {"is", "n_real", "n_fake", "extractor", "extractor_info"}
    with pytest.raises(MpganError, match="known: fid, kid, is, precision_recall, mode_coverage"):
        evaluate_images(real, fake, ext, metrics=("fid", "sharpness"))


def test_fid_sample_size_study_tiny(trained, digits):
    df = fid_sample_size_study(digits.x[:300], trained[0], sizes=(50, 100, 400), repeats=2)
    assert list(df["n"]) == [50, 50, 100, 100] and df.attrs["skipped"] == [400]
    assert (df["fid"] > 0).all() and set(df.columns) >= {"n", "repeat", "fid", "n_real", "n_fake", "extractor"}
    assert df.groupby("n")["fid"].mean()[50] > df.groupby("n")["fid"].mean()[100]  # the small-n bias
    with pytest.raises(MpganError, match="exceeds half"):
        fid_sample_size_study(digits.x[:10], trained[0], sizes=(100,))


def test_discriminator_accuracy_counts_logit_signs():
    import keras

    inp = keras.Input((4, 4, 1))
    logit = keras.layers.Dense(1, use_bias=False)(keras.layers.Flatten()(inp))
    model = keras.Model(inp, logit)
    model.set_weights([np.ones((16, 1), dtype=np.float32)])  # logit = sum of pixels
    real = np.concatenate([np.full((9, 4, 4, 1), 0.5), np.full((1, 4, 4, 1), -0.5)])
    fake = np.full((5, 4, 4, 1), -0.5)
    r = discriminator_accuracy(model, real, fake, batch_size=4)
    assert r == {"real": 0.9, "fake": 1.0, "mean": pytest.approx(14 / 15), "n_real": 10, "n_fake": 5}


def test_unlabelled_dataset_and_missing_inception_file(tmp_path):
    from mpgan.metrics.features import classifier_extractor, inception_extractor

    path = tmp_path / "images.npy"
    np.save(path, np.random.default_rng(0).integers(0, 256, size=(30, 8, 8), dtype=np.uint8))
    with pytest.raises(DataError, match="labelled dataset .* or a local InceptionV3 weights file"):
        classifier_extractor("image_array", {"path": str(path)}, cache_dir=tmp_path)
    missing = Path(tmp_path) / "inception_v3.h5"
    with pytest.raises(MpganError, match=f"{os.path.basename(missing)} does not exist"):
        inception_extractor(missing)
