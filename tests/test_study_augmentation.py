"""The augmentation study (does a conditional GAN help a classifier trained on few digits?)
in --quick mode, its pieces, and its errors."""

import numpy as np
import pandas as pd
import pytest

from mpgan.cli import main
from mpgan.errors import ConfigError
from mpgan.studies.augmentation import pick_per_class
from mpgan.studies.verdicts import (
    claim,
    difference,
    gap_closes,
    in_some_seeds,
    mean_interval,
    verdict,
)


def test_pick_per_class_is_balanced_seeded_and_checked():
    y = np.repeat(np.arange(3), [5, 7, 6])
    idx = pick_per_class(y, 4, seed=0)
    assert np.bincount(y[idx]).tolist() == [4, 4, 4] and len(set(idx)) == 12
    np.testing.assert_array_equal(idx, pick_per_class(y, 4, seed=0))
    assert not np.array_equal(idx, pick_per_class(y, 4, seed=1))
    with pytest.raises(ConfigError, match=r"k = 6 is more than the images available per class: the train split "
                                          r"has 5 of class 0 \(at most 7 of any class\)"):
        pick_per_class(y, 6, seed=0)


def test_intervals_and_verdicts():
    iv = mean_interval([1.0, 2.0, 3.0])
    # mean 2, sample std 1, t(0.975, 2) = 4.303: half-width 4.303 / sqrt(3) = 2.484
    assert iv.mean == 2.0 and iv.high - iv.mean == pytest.approx(4.3027 / 3 ** 0.5, abs=1e-4)
    assert claim(iv) == "not decided"
    assert claim(mean_interval([1.0, 1.1, 0.9])) == "reproduced"
    assert claim(mean_interval([-1.0, -1.1, -0.9])) == "not reproduced (the opposite holds)"
    assert difference([3, 4, 5], [1, 2, 3]).mean == 2 and difference([3, 4, 5], [1, 2, 3]).low == 2  # paired, no spread
    assert verdict(mean_interval([0.5]), "up", "down") == "not decided (one seed)"
    assert verdict(mean_interval([-1.0, -1.1, -0.9]), "up", "down") == "down"
    # against a threshold: "saves less than 20 %" holds when the whole interval is below 0.2
    saving = mean_interval([0.10, 0.12, 0.11])
    assert claim(saving, holds_if_positive=False, threshold=0.2, otherwise="not reproduced") == "reproduced"
    assert claim(mean_interval([0.3, 0.32, 0.31]), False, 0.2, "not reproduced") == "not reproduced"
    assert claim(mean_interval([0.1, 0.3, 0.2]), False, 0.2, "not reproduced") == "not decided"
    # something happening in some seeds but not surely in all
    assert in_some_seeds(mean_interval([0, 0, 3]), [0, 0, 3]) == "partly (in some seeds)"
    assert in_some_seeds(mean_interval([2, 3, 2]), [2, 3, 2]) == "reproduced"
    assert in_some_seeds(mean_interval([0, 0, 0]), [0, 0, 0]) == "not reproduced"
    # an early advantage that closes, shrinks, stays, or was never there
    early = mean_interval([10.0, 11.0, 12.0])
    assert gap_closes(early, mean_interval([-1.0, 0.0, 1.5])) == \
        "reproduced (no difference left that the seeds can resolve)"
    assert gap_closes(early, mean_interval([4.0, 5.0, 6.0])) == "partly (smaller, but still there)"
    assert gap_closes(early, mean_interval([14.0, 15.0, 16.0])) == "not reproduced"
    assert gap_closes(mean_interval([-1.0, 0.0, 1.5]), early) == "not decided (no early advantage to close)"
    assert gap_closes(mean_interval([3.0]), early) == "not decided (one seed)"


def test_augmentation_quick_one_k(tmp_path):
    """Every arm, the full-data GAN-train/GAN-test and the files, at one k (the slow test
    compares two)."""
    out = tmp_path / "aug"
    assert main(["experiment", "augmentation", "--quick", "--k", "2", "--out", str(out)]) == 0
    res = pd.read_csv(out / "results.csv")
    assert sorted(set(res["k"])) == [2] and set(res["arm"]) == {"real", "real+gan", "real+classic",
                                                               "real+gan+classic"}
    assert (res.loc[res["arm"].str.contains("gan"), "synthetic_images"] == 200).all()  # 20 per class
    full = pd.read_csv(out / "gan_train_test.csv")
    assert full["train_real_test_real"].iloc[0] > 0.8  # the same CNN on all 4,000 real digits
    md = (out / "results.md").read_text()
    assert "| k | synthetic − real alone | classic − real alone |" in md and "GAN-train" in md
    assert (out / "figures" / "accuracy_vs_k.png").is_file()


@pytest.mark.slow  # the default test runs the same path at one k
def test_augmentation_quick(tmp_path):
    out = tmp_path / "aug"
    assert main(["experiment", "augmentation", "--quick", "--out", str(out)]) == 0
    res = pd.read_csv(out / "results.csv")
    assert sorted(set(res["k"])) == [2, 30]
    real = res[res["arm"] == "real"].set_index("k")["accuracy"]
    assert real[30] > real[2] + 0.1  # more real digits, a better classifier


def test_augmentation_errors(capsys):
    assert main(["experiment", "augmentation", "--quick", "--k", "401"]) == 2
    assert "k = 401 is more than the images available per class: the train split has 400" in capsys.readouterr().err
    assert main(["experiment", "augmentation", "--quick", "--data", "breast_cancer"]) == 2
    assert "--data breast_cancer has no train/test split" in capsys.readouterr().err
    assert main(["experiment", "augmentation", "--quick", "--data", "nosuch"]) == 2
    assert "nosuch" in capsys.readouterr().err
