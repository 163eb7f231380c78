"""Table metrics: exact values on constructed tables, TSTR = TRTR on the real training
set, memorisation detected, the report folder, and one-sentence errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mpgan.errors import DataError
from mpgan.metrics.tabular import (
    column_kinds,
    column_report,
    correlation_difference,
    distance_to_closest_record,
    tabular_report,
    utility,
)


@pytest.fixture(scope="module")
def table():
    """120 rows: two correlated floats, a constant-ish int, a category, an int class label."""
    rng = np.random.default_rng(0)
    n = 120
    a = rng.normal(size=n)
    return pd.DataFrame({
        "a": a,
        "b": 2 * a + rng.normal(scale=0.5, size=n),
        "c": rng.integers(0, 50, n),
        "colour": rng.choice(["red", "green", "blue"], n),
        "label": (a > 0).astype(int),
    })


@pytest.fixture(scope="module")
def iris_split():
    from sklearn.datasets import load_iris
    from sklearn.model_selection import train_test_split

    df = load_iris(as_frame=True).frame
    df["size"] = np.where(df["petal length (cm)"] > 4, "big", "small")  # a categorical feature
    return train_test_split(df, test_size=0.4, random_state=0, stratify=df["target"])


# --------------------------------------------------------------------------- kinds and columns


def test_column_kinds_rule_and_overrides(table):
    # c: an integer column with 50 values is a count (integer); with at most 10 a code (categorical)
    assert column_kinds(table) == {"a": "numeric", "b": "numeric", "c": "integer",
                                   "colour": "categorical", "label": "categorical"}
    assert column_kinds(table, categorical=["c"], numeric="label")["c"] == "categorical"
    few = pd.DataFrame({"f": [0.5, 1.5] * 5, "code": [1.0, 2.0, np.nan, 3.0, 1.0] * 2, "t": [True, False] * 5})
    # whole numbers with ≤ 10 values are a code (also as float with NaN); fractions are
    # measurements; bool is never numeric
    assert column_kinds(few) == {"f": "numeric", "code": "categorical", "t": "categorical"}
    with pytest.raises(DataError, match="not numbers"):
        column_kinds(table, numeric=["colour"])
    with pytest.raises(DataError, match=r"unknown columns \['nope'\]"):
        column_kinds(table, categorical=["nope"])


def test_one_column_rule_for_transformer_baselines_and_metrics(table):
    """The transformer's encoders, the baselines and the metrics read one schema."""
    from mpgan.data.schema import TableSchema
    from mpgan.data.tabular import TabularTransformer
    from mpgan.synthesizers import IndependentMarginals

    few = table.assign(code=[1.0, 2.0, np.nan, 3.0] * (len(table) // 4) + [1.0] * (len(table) % 4))
    kinds = column_kinds(few)
    tr = TabularTransformer().fit(few)
    assert {e.name: e.kind for e in tr.encoders} == kinds
    assert IndependentMarginals().fit(few).schema.kinds == kinds
    assert tr.schema_ == TableSchema.from_dict(tr.schema_.to_dict())  # saved as JSON, read back equal
    code = tr.schema_["code"]
    assert (code.kind, code.missing, code.categories) == ("categorical", few["code"].isna().sum(), ("1", "2", "<NA>", "3"))


def test_identical_tables_give_zero_ks_and_tvd(table):
    rep = column_report(table, table.sample(frac=1.0, random_state=1)[table.columns[::-1]])
    assert list(rep.column) == list(table.columns)
    assert rep.ks.fillna(0).eq(0).all() and rep.tvd.fillna(0).eq(0).all()
    assert rep.loc[rep.column == "a", "ks_p_value"].item() == 1.0
    assert (rep.n_real == 120).all() and (rep.n_fake == 120).all()
    num = rep[rep.kind == "numeric"]
    assert np.allclose(num.mean_real, num.mean_fake) and np.allclose(num.std_real, num.std_fake)
    assert rep.loc[rep.kind == "categorical", ["mean_real", "std_real", "ks"]].isna().all().all()


def test_known_shifts_give_exact_ks_and_tvd():
    real = pd.DataFrame({"x": np.arange(100.0), "cat": ["a", "b"] * 50,
                         "three": ["p"] * 50 + ["q"] * 30 + ["r"] * 20, "num_cat": [0, 1] * 50})
    fake = pd.DataFrame({"x": np.arange(100.0) + 10, "cat": ["a"] * 70 + ["b"] * 30,
                         "three": ["p"] * 20 + ["q"] * 30 + ["s"] * 50, "num_cat": [0.0, 1.0] * 50})
    rep = column_report(real, fake).set_index("column")
    assert rep.loc["x", "ks"] == pytest.approx(0.10, abs=1e-12)
    assert rep.loc["x", "mean_fake"] - rep.loc["x", "mean_real"] == pytest.approx(10.0)
    assert rep.loc["cat", "tvd"] == pytest.approx(0.2, abs=1e-12)          # 50/50 vs 70/30
    assert rep.loc["three", "tvd"] == pytest.approx(0.5, abs=1e-12)        # ½(.3 + 0 + .2 + .5)
    assert rep.loc["num_cat", "tvd"] == 0.0                                # 1 and 1.0: same category


def test_missing_values():
    real = pd.DataFrame({"x": np.r_[np.arange(20.0), np.nan], "k": ["a"] * 20 + [None]})
    fake = pd.DataFrame({"x": np.arange(21.0), "k": ["a"] * 21})
    rep = column_report(real, fake).set_index("column")
    assert rep.loc["x", "n_real"] == 20 and rep.loc["x", "n_fake"] == 21
    assert rep.loc["k", "tvd"] == pytest.approx(1 / 21)  # missing is its own category


# --------------------------------------------------------------------------- correlations


def test_correlation_difference_self_and_sign_flip(table):
    same = correlation_difference(table, table)
    assert same["mean_abs_diff"] == 0.0 and same["max_abs_diff"] == 0.0
    assert same["columns"] == ["a", "b", "c"] and same["n_pairs"] == 3 and same["n_real"] == 120
    flipped = table.assign(b=-table["b"])
    r_ab, r_bc = table["a"].corr(table["b"]), table["b"].corr(table["c"])
    d = correlation_difference(table, flipped)
    assert d["max_abs_diff"] == pytest.approx(2 * abs(r_ab), abs=1e-12)
    assert d["max_pair"] == ["a", "b"]
    assert d["mean_abs_diff"] == pytest.approx((2 * abs(r_ab) + 2 * abs(r_bc)) / 3, abs=1e-12)
    assert np.array(d["fake_corr"])[0, 1] == pytest.approx(-np.array(d["real_corr"])[0, 1])
    json.dumps(d)


def test_correlation_with_a_constant_column():
    rng = np.random.default_rng(1)
    real = pd.DataFrame({"x": rng.normal(size=30), "y": rng.normal(size=30)})
    fake = real.assign(y=1.5)
    d = correlation_difference(real, fake, numeric=["y"])
    assert d["n_pairs"] == 0 and d["n_pairs_undefined"] == 1 and np.isnan(d["max_abs_diff"])


# --------------------------------------------------------------------------- utility


def test_tstr_on_the_real_training_set_equals_trtr(iris_split):
    train, test = iris_split
    u = utility(train, test, train.copy(), "target")
    assert list(u.classifier) == ["logistic_regression", "random_forest"]
    for metric in ("accuracy", "macro_f1"):
        assert (u[f"{metric}_tstr"] == u[f"{metric}_trtr"]).all()
        assert (u[f"{metric}_ratio"] == 1.0).all()
    assert (u.accuracy_trtr > 0.85).all()
    assert u.n_real_train.eq(90).all() and u.n_synthetic.eq(90).all() and u.n_real_test.eq(60).all()
    assert u.note.isna().all()


def test_one_class_synthetic_set_scores_as_a_constant_predictor(iris_split):
    train, test = iris_split
    synthetic = train.assign(target=1)
    u = utility(train, test, synthetic, "target", classifiers=("logistic_regression",))
    share = float((test["target"] == 1).mean())
    assert u.accuracy_tstr.item() == pytest.approx(share)
    assert u.macro_f1_tstr.item() == pytest.approx((2 * share / (1 + share)) / 3)  # one class of three hit
    assert "synthetic set has one class (1)" in u.note.item()


def test_utility_handles_unseen_categories_and_estimators(iris_split):
    from sklearn.tree import DecisionTreeClassifier

    train, test = iris_split
    test = test.assign(size=np.where(test["size"] == "big", "huge", test["size"]))  # unseen in training
    u = utility(train, test, train, "target", classifiers=[DecisionTreeClassifier(random_state=0)])
    assert u.classifier.item() == "DecisionTreeClassifier" and u.accuracy_trtr.item() > 0.5


@pytest.mark.parametrize("kwargs,match", [
    ({"target": "nope"}, r"target column 'nope' is not in the tables"),
    ({"target": "sepal length (cm)"}, "looks continuous"),
    ({"target": "target", "classifiers": ("svm",)}, "unknown classifier 'svm'"),
])
def test_utility_errors(iris_split, kwargs, match):
    train, test = iris_split
    with pytest.raises(DataError, match=match):
        utility(train, test, train, **kwargs)


# --------------------------------------------------------------------------- distance to closest record


def test_dcr_of_copies_and_noisy_copies(table):
    real, holdout = table.iloc[:80], table.iloc[80:]
    copy = distance_to_closest_record(real, real.sample(frac=1.0, random_state=0), holdout=holdout)
    assert copy["exact_copy_share"] == 1.0 and copy["median"] == 0.0 and copy["p5"] == 0.0
    assert copy["n_fake"] == 80 and copy["n_real"] == 80 and copy["n_holdout"] == 40
    assert copy["holdout_median"] > 0 and copy["median_ratio"] == 0.0

    rng = np.random.default_rng(2)
    noisy = real.assign(a=real["a"] + rng.normal(scale=0.3, size=80), b=real["b"] + rng.normal(scale=0.3, size=80))
    d = distance_to_closest_record(real, noisy)
    assert d["median"] > 0.05 and d["exact_copy_share"] == 0.0 and "holdout_median" not in d


def test_dcr_subsamples_with_a_seed(table):
    a = distance_to_closest_record(table, table, n_max=25, seed=3)
    b = distance_to_closest_record(table, table, n_max=25, seed=3)
    assert a == b and a["n_fake"] == 25 and a["n_real"] == 120


def test_mismatched_columns_name_the_difference(table):
    with pytest.raises(DataError, match=r"synthetic table lacks the columns \['b'\] and has the columns "
                                        r"\['zz'\] that the real table lacks") as info:
        column_report(table, table.drop(columns="b").assign(zz=1))
    assert "\n" not in str(info.value)
    with pytest.raises(DataError, match="must be a pandas DataFrame"):
        distance_to_closest_record(table, table.to_numpy())


# --------------------------------------------------------------------------- report


def test_tabular_report_writes_its_files(table, tmp_path):
    train, test = table.iloc[:80], table.iloc[80:]
    rng = np.random.default_rng(4)
    synthetic = train.assign(a=train["a"] + rng.normal(scale=0.2, size=80))
    rep = tabular_report(train, test, synthetic, target="label", out_dir=tmp_path,
                         classifiers=("logistic_regression",))
    assert set(rep["files"]) == {"columns.csv", "utility.csv", "histograms.png", "correlations.png", "report.md"}
    for name in rep["files"]:
        assert (tmp_path / name).stat().st_size > 100
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary leftovers
    cols = pd.read_csv(tmp_path / "columns.csv")
    assert list(cols.column) == list(table.columns)
    md = (tmp_path / "report.md").read_text()
    for heading in ("## Columns", "## Correlations", "## Utility", "## Distance to closest record"):
        assert heading in md
    assert rep["n_real_train"] == 80 and rep["n_real_test"] == 40 and rep["n_synthetic"] == 80
    assert (rep["columns"]["n_numeric"], rep["columns"]["n_integer"], rep["columns"]["n_categorical"]) == (2, 1, 2)
    assert rep["utility"]["logistic_regression"]["n_synthetic"] == 80
    assert rep["dcr"]["n_holdout"] == 40
    json.loads(json.dumps(rep))


def test_tabular_report_without_target_or_output(table):
    rep = tabular_report(table.iloc[:80], table.iloc[80:], table.iloc[:80])
    assert "utility" not in rep and "files" not in rep
    assert rep["columns"]["max_ks"] == 0.0 and rep["dcr"]["exact_copy_share"] == 1.0
    with pytest.raises(DataError, match="target column 'nope'"):
        tabular_report(table, table, table, target="nope")
