"""Privacy metrics: they must catch a synthesizer that copies (identity, noisy copy) and
pass one that does not (the Gaussian copula), and read known values right."""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

from mpgan.errors import DataError
from mpgan.metrics.privacy import THRESHOLDS, privacy_report
from mpgan.synthesizers import CopyRows, GaussianCopula


@pytest.fixture(scope="module")
def split():
    df = load_breast_cancer(as_frame=True).frame
    return train_test_split(df, test_size=0.3, random_state=0)


@pytest.mark.parametrize("synthesizer", ["identity", "noisy_copy"])
def test_copying_synthesizers_are_flagged(split, synthesizer):
    train, holdout = split
    copier = CopyRows(noise=0.0 if synthesizer == "identity" else 0.05).fit(train)
    synthetic = copier.sample(len(train), seed=0)  # every training row, shuffled (plus noise)
    r = privacy_report(train, holdout, synthetic, categorical=["target"])
    assert r["closer_to_train"] > 0.99                      # ideal is the training share, 0.70 here
    assert r["closer_to_train_ideal"] == pytest.approx(len(train) / (len(train) + len(holdout)))
    assert r["mia_distance_auc"] > 0.95 and r["mia_density_auc"] > 0.6
    assert r["dcr_synthetic_median"] < 0.2 * r["dcr_holdout_median"]
    for name in ("closer_to_train", "dcr", "nndr", "membership_inference"):
        assert r["readings"][name].startswith("warning:"), (name, r["readings"][name])
    if synthesizer == "identity":
        assert r["exact_copies_synthetic"] == 1.0 and r["readings"]["exact_copies"].startswith("warning:")


def test_a_synthesizer_that_does_not_copy_looks_safe(split):
    train, holdout = split
    synthetic = GaussianCopula().fit(train).sample(len(train), seed=0)
    r = privacy_report(train, holdout, synthetic, categorical=["target"])
    assert abs(r["closer_to_train"] - r["closer_to_train_ideal"]) < THRESHOLDS["closer_to_train"]
    assert r["mia_distance_auc"] < THRESHOLDS["mia_auc"] and r["exact_copies_synthetic"] == 0.0
    assert set(r["readings"].values()) == {"looks safe"}


def test_known_values_on_a_small_table():
    """Train 0..39 and holdout 0.5..39.5 on one numeric column: half the synthetic rows
    copy training rows exactly, half are far away."""
    train = pd.DataFrame({"x": np.arange(40.0)})
    holdout = pd.DataFrame({"x": np.arange(40.0) + 0.5})
    synthetic = pd.DataFrame({"x": np.r_[np.arange(20.0), np.full(20, 1000.0)]})
    r = privacy_report(train, holdout, synthetic)
    assert r["exact_copies_synthetic"] == 0.5 and r["exact_copies_holdout"] == 0.0
    assert r["dcr_synthetic_p5"] == 0.0
    # copies are nearer to train; the far rows are nearer to the largest holdout value (39.5 > 39)
    assert r["closer_to_train"] == 0.5
    std = train["x"].std(ddof=0)
    assert r["dcr_holdout_median"] == pytest.approx(0.5 / std)


def test_bad_inputs_name_what_is_wrong(split):
    train, holdout = split
    with pytest.raises(DataError, match="privacy metrics need holdout rows"):
        privacy_report(train, None, train)
    with pytest.raises(DataError, match="at least 20 holdout rows, got 5"):
        privacy_report(train, holdout.head(5), train)
    with pytest.raises(DataError, match="the synthetic table lacks the columns"):
        privacy_report(train, holdout, train.drop(columns=["target"]))


@pytest.fixture(scope="module")
def large_splits():
    from mpgan.data.tabular import load_affairs, load_rand_hie

    return {name: train_test_split(df, test_size=0.3, random_state=0)
            for name, df in (("affairs", load_affairs()), ("rand_hie", load_rand_hie()))}


def test_copies_are_caught_on_a_table_full_of_shared_rows(large_splits):
    """rand_hie repeats many rows: copies of shared rows look like the data, so the distance
    scores judge the rows unique in the real data, and the identity control draws every warning."""
    train, holdout = large_splits["rand_hie"]
    r = privacy_report(train, holdout, CopyRows().fit(train).sample(len(train), seed=0), categorical=["health"])
    assert r["judged_on"] == "rows unique in the real data" and r["shared_rows_holdout"] > 0.1
    assert all(v.startswith("warning:") for v in r["readings"].values()), r["readings"]
    assert "judged on the rows unique in the real data" in r["readings"]["closer_to_train"]
    noisy = privacy_report(train, holdout, CopyRows(noise=0.05).fit(train).sample(len(train), seed=0),
                           categorical=["health"])
    assert any(v.startswith("warning:") for v in noisy["readings"].values())
    honest = privacy_report(train, holdout, GaussianCopula().fit(train).sample(len(train), seed=0),
                            categorical=["health"])
    assert not any(v.startswith("warning:") for v in honest["readings"].values()), honest["readings"]


def test_the_noisy_copy_leaves_coded_categories_as_they_are(large_splits):
    train, holdout = large_splits["affairs"]
    copy = CopyRows(noise=0.05).fit(train)
    assert copy.noisy == ["age", "yrs_married", "children"]  # the schema's numeric columns
    rows = copy.sample(len(train), seed=0)
    real = train.sort_index().reset_index(drop=True)
    for c in ("rate_marriage", "religious", "educ", "occupation", "occupation_husb"):
        assert set(rows[c]) <= set(real[c])  # codes copied, never moved between categories
    assert not np.array_equal(np.sort(rows["age"]), np.sort(real["age"]))
    r = privacy_report(train, holdout, rows, categorical=["affair"])
    assert sum(v.startswith("warning:") for v in r["readings"].values()) >= 3
