"""`mpgan evaluate --samples` and `--synthetic`: images and tables that mpgan did not make,
scored with the same extractor, ladders and reports as a run; and their bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from mpgan.baselines import GaussianCopula
from mpgan.cli import main
from mpgan.data import load_dataset, write_idx
from mpgan.errors import DataError
from mpgan.metrics.features import classifier_extractor
from mpgan.metrics.samples import evaluate_samples, to_model_space
from mpgan.metrics.tables import evaluate_tables

SUBSET = {"source": "subset"}


@pytest.fixture(scope="module")
def digits():
    """300 real training digits (a seeded draw: the split is ordered by class) as 0..255 pixels
    (n, 28, 28), and their labels."""
    ds = load_dataset("mnist", **SUBSET)
    pick = np.random.default_rng(0).choice(len(ds), 300, replace=False)
    return np.rint((ds.x[pick, ..., 0] + 1) * 127.5).astype(np.uint8), ds.y[pick]


def test_pixel_scales_are_detected_and_mapped_to_model_space():
    px = np.array([[[0, 255], [51, 204]]] * 2, np.uint8)
    expect = px.astype(np.float32)[..., None] / 127.5 - 1
    for raw, scale in ((px, "uint8"), (px / 255.0, "unit"), (px / 127.5 - 1, "symmetric"),
                       (px.astype(np.float64)[..., None], "uint8")):
        x, got = to_model_space(raw, (2, 2, 1))
        assert got == scale and x.shape == (2, 2, 2, 1)
        np.testing.assert_allclose(x, expect, atol=1e-6)
    with pytest.raises(DataError, match=r"--samples holds floats from -2 to 1; float images must lie in \[0, 1\], "
                                        r"\[-1, 1\] or \[0, 255\]"):
        to_model_space(np.array([[[-2.0, 1.0]]] * 2), (1, 2, 1))


def test_the_same_digits_score_the_same_in_every_encoding(digits):
    px, y = digits
    runs = {scale: evaluate_samples(raw, "mnist", params=SUBSET, metrics=["fid"], ladder=False)
            for scale, raw in (("0..255", px), ("[0, 1]", px / 255.0), ("[-1, 1]", (px / 127.5 - 1)[..., None]))}
    fids = [r["fid"]["value"] for r in runs.values()]
    assert fids == pytest.approx([fids[0]] * 3, rel=1e-4)
    assert [r["value_scale"] for r in runs.values()] == list(runs)
    assert runs["0..255"]["reference"] == "300 held-out images (test split)"


def test_real_digits_read_as_real_and_their_labels_agree_as_the_classifier_does(digits):
    px, y = digits
    result = evaluate_samples(px, "mnist", labels=y, params=SUBSET,
                              metrics=["fid", "label_agreement", "mode_coverage"])
    fid = result["fid"]
    assert fid["value"] < fid["ladder"]["noise_0.1"] and fid["reads_as"].startswith(("below", "between real"))
    ext = classifier_extractor("mnist", SUBSET)
    right = ext.probabilities(px[..., None] / 127.5 - 1).argmax(1) == y  # the classifier on the given labels
    assert result["label_agreement"]["value"] == pytest.approx(right.mean())
    assert result["label_agreement"]["per_class"][3] == pytest.approx(right[y == 3].mean())
    shuffled = evaluate_samples(px, "mnist", labels=np.roll(y, 1), params=SUBSET, metrics=["label_agreement"])
    assert shuffled["label_agreement"]["value"] < 0.3  # labels that do not match their images
    assert "discriminator_accuracy" not in result and result["samples"] == "array"


def test_a_png_folder_from_another_framework_is_scored_from_the_command_line(tmp_path, digits, capsys):
    px, y = digits
    folder = tmp_path / "pngs"
    folder.mkdir()
    for i, img in enumerate(px[:60]):  # half saved as RGB, as torchvision's save_image writes grey images
        Image.fromarray(img).convert("RGB" if i % 2 else "L").save(folder / f"{i:03d}.png")
    np.savetxt(tmp_path / "labels.txt", y[:60], fmt="%d")
    out = tmp_path / "eval"
    assert main(["evaluate", "--samples", str(folder), "--data", "mnist", "--labels", str(tmp_path / "labels.txt"),
                 "--metrics", "fid", "label_agreement", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    result = json.loads((out / "metrics.json").read_text())
    same = evaluate_samples(px[:60], "mnist", labels=y[:60], metrics=["fid"], ladder=False)
    assert result["fid"]["value"] == pytest.approx(same["fid"]["value"], rel=1e-4)
    assert result["value_scale"] == "0..255" and result["n_fake"] == 60
    assert "label agreement" in printed and (out / "samples.png").is_file()


def _bad_input(tmp_path, case: str) -> list[str]:
    """The --samples arguments of one bad-input case."""
    def npy(a, name="s.npy"):
        np.save(tmp_path / name, a)
        return str(tmp_path / name)

    folder = tmp_path / "pngs"
    if case in ("empty", "text_file"):
        folder.mkdir()
        if case == "text_file":
            (folder / "notes.txt").write_text("x")
        return [str(folder), "--data", "mnist"]
    four = np.zeros((4, 28, 28), np.uint8)
    bad = {"shape": np.zeros((4, 28, 28, 3)), "size": np.zeros((4, 32, 32), np.uint8),
           "nan": np.full((4, 28, 28), np.nan)}
    data = {"no_data": [], "table_data": ["--data", "penguins"]}.get(case, ["--data", "mnist"])
    labels = ["--labels", npy(np.array([1, 2, 3]), "labels.npy")] if case == "labels" else []
    return [npy(bad.get(case, four)), *data, *labels]


@pytest.mark.parametrize("case", ["shape", "size", "nan", "empty", "text_file", "labels", "no_data", "table_data"])
def test_bad_samples_exit_2_with_one_line_and_no_folder(tmp_path, capsys, case):
    out = tmp_path / "out"
    assert main(["evaluate", "--samples", *_bad_input(tmp_path, case), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    expect = {"shape": "has shape (4, 28, 28, 3); expected (n, 28, 28) or (n, 28, 28, 1)",
              "size": "images are 32×32, but the dataset's are 28×28", "nan": "contains 3136 NaN/Inf values",
              "empty": "is empty; it should hold the generated images as PNG files",
              "text_file": "holds 1 file(s) that are not PNG images (notes.txt)",
              "labels": "has 3 labels for 4 samples", "no_data": "--samples needs --data NAME",
              "table_data": "--data penguins holds tabular data"}[case]
    assert len(err) == 1 and expect in err[0], err
    assert not out.exists()


def test_full_mnist_files_are_the_reference_when_present(tmp_path, monkeypatch, digits):
    """With MNIST's IDX files in the data root, the reference is their t10k split and the
    report names the files (a small stand-in for the 60,000 / 10,000 files)."""
    px, y = digits
    root = tmp_path / "data" / "mnist"
    root.mkdir(parents=True)
    write_idx(root / "train-images-idx3-ubyte.gz", px[:200])
    write_idx(root / "train-labels-idx1-ubyte.gz", y[:200].astype(np.uint8))
    write_idx(root / "t10k-images-idx3-ubyte.gz", px[200:])
    write_idx(root / "t10k-labels-idx1-ubyte.gz", y[200:].astype(np.uint8))
    monkeypatch.setenv("MPGAN_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("MPGAN_CACHE", str(tmp_path / "cache"))
    result = evaluate_samples(px[:50], "mnist", metrics=["fid"], ladder=False)
    assert result["reference"] == "50 held-out images (test split)"
    assert "MNIST train split, 200 images, from" in result["data_source"]
    assert str(root) in result["data_source"] and result["extractor_info"]["n_train"] + \
        result["extractor_info"]["n_holdout"] == 200


# ----------------------------------------------------------------------------- tables


@pytest.fixture(scope="module")
def penguin_split(tmp_path_factory):
    from sklearn.model_selection import train_test_split

    from mpgan.data.tabular import load_penguins

    df = load_penguins().dropna().reset_index(drop=True)
    train, holdout = train_test_split(df, test_size=0.3, random_state=0, stratify=df["species"])
    folder = tmp_path_factory.mktemp("penguins")
    train.to_csv(folder / "train.csv", index=False)
    holdout.to_csv(folder / "holdout.csv", index=False)
    return folder, train, holdout


def test_a_copula_table_reads_between_the_floor_and_the_leaks(penguin_split):
    folder, train, holdout = penguin_split
    copula = GaussianCopula().fit(train).sample(len(train), seed=0)
    result = evaluate_tables(copula, train, holdout, "species")
    ladder, head = result["ladder"], result["headline"]
    # the leaks: every copied row is a training row and sits nearer to train
    assert ladder["identity"]["exact_copies"] == 1.0 and ladder["identity"]["closer_to_train"] == 1.0
    assert ladder["noisy_copy"]["closer_to_train"] > 0.95 and ladder["noisy_copy"]["privacy_warnings"] >= 3
    # the floor: unseen rows are nearer to train in proportion to the training share
    ideal = len(train) / (len(train) + len(holdout) - len(holdout) // 2)
    assert abs(ladder["holdout"]["closer_to_train"] - ideal) < 0.1
    assert head["exact_copies"] == 0.0 and result["reads_as"]["exact_copies"].startswith("nearest")
    # marginals drop the relations the copula keeps
    assert ladder["marginals"]["pair_trends"] < head["pair_trends"]
    assert result["majority_accuracy"] == pytest.approx((holdout["species"] == "Adelie").mean())


def test_train_rows_handed_in_as_synthetic_read_as_a_copy(penguin_split, tmp_path, capsys):
    folder, train, holdout = penguin_split
    out = tmp_path / "copy_eval"
    assert main(["evaluate", "--synthetic", str(folder / "train.csv"), "--train", str(folder / "train.csv"),
                 "--holdout", str(folder / "holdout.csv"), "--target", "species", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    result = json.loads((out / "metrics.json").read_text())
    assert result["reads_as"]["exact_copies"] == "nearest training rows copied (leak) (1)"
    assert result["headline"]["tstr_trtr_logistic_regression"] == pytest.approx(1.0)
    assert "warning:" in printed and (out / "ladder.csv").is_file() and (out / "report.md").is_file()
    ladder = pd.read_csv(out / "ladder.csv")
    assert list(ladder["table"])[0] == "synthetic (scored)" and len(ladder) == 5


def test_mismatched_columns_are_one_error_naming_them(penguin_split, tmp_path, capsys):
    folder, train, holdout = penguin_split
    bad = train.drop(columns=["island"]).assign(colour="grey")
    bad.to_csv(tmp_path / "synthetic.csv", index=False)
    out = tmp_path / "out"
    assert main(["evaluate", "--synthetic", str(tmp_path / "synthetic.csv"), "--train", str(folder / "train.csv"),
                 "--holdout", str(folder / "holdout.csv"), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("error: the tables must hold the same columns: --synthetic lacks island; --synthetic has colour "
                   "that --train does not")
    assert not out.exists()
    assert main(["evaluate", "--synthetic", str(folder / "train.csv"), "--train", str(folder / "train.csv")]) == 2
    assert "--synthetic needs --train" in capsys.readouterr().err
