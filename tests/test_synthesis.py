"""Tabular synthesis: conditional generator, TabularSynthesizer, baselines, bad input, CLI, benchmark."""

import importlib.util
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.special

from mpgan.cli import main
from mpgan.data import load_dataset
from mpgan.errors import DataError, ModelError, MpganError
from mpgan.models.layers import BlockSoftmax
from mpgan.registry import GENERATORS
from mpgan.synthesizers import GaussianCopula, IndependentMarginals, TabularSynthesizer

QUICK = ["train.epochs=1", "train.steps_per_epoch=5", "generator.params.hidden=[16]",
         "discriminator.params.hidden=[16]"]


def two_class_table(n=200, seed=0):
    """x depends on the class: label a -> x ~ N(-3, 0.5), label b -> N(3, 0.5)."""
    rng = np.random.default_rng(seed)
    label = np.where(rng.random(n) < 0.7, "a", "b")
    x = np.where(label == "a", -3.0, 3.0) + rng.normal(0, 0.5, n)
    return pd.DataFrame({"x": x, "count": rng.integers(0, 50, n), "flag": rng.random(n) < 0.3, "label": label})


# --------------------------------------------------------------------------- model pieces


def test_block_softmax_matches_softmax_per_block_and_passes_numeric_through():
    layer = BlockSoftmax([(1, 3), (5, 2)])
    x = (np.random.default_rng(0).standard_normal((6, 8)) * 40).astype("float32")  # large: needs the max shift
    y = np.asarray(layer(x))
    np.testing.assert_allclose(y[:, 1:4], scipy.special.softmax(x[:, 1:4], axis=1), atol=1e-6)
    np.testing.assert_allclose(y[:, 5:7], scipy.special.softmax(x[:, 5:7], axis=1), atol=1e-6)
    np.testing.assert_array_equal(y[:, [0, 4, 7]], x[:, [0, 4, 7]])
    gumbel = BlockSoftmax([(0, 4)], tau=0.2, gumbel=True, seed=1)
    z = np.zeros((500, 4), "float32")
    train = np.asarray(gumbel(z, training=True))
    np.testing.assert_allclose(train.sum(1), 1, atol=1e-5)
    # equal logits + Gumbel noise: every category is drawn about a quarter of the time
    assert np.abs(np.bincount(train.argmax(1), minlength=4) / 500 - 0.25).max() < 0.08
    np.testing.assert_allclose(np.asarray(gumbel(z, training=False)), 0.25, atol=1e-6)


def test_conditional_generator_emits_its_condition_as_the_target_block():
    ds = load_dataset("penguins")
    g = GENERATORS.build("mlp_generator", ds.spec, latent_dim=8, hidden=[16], conditional=True)
    assert g.condition_dim == 3 and g.input_shape[-1] == 8 + 3
    labels = np.array([0, 1, 2, 1])
    z = np.c_[np.random.default_rng(0).standard_normal((4, 8)), np.eye(3)[labels]].astype("float32")
    out = np.asarray(g(z))
    assert out.shape == (4, ds.x.shape[1])
    np.testing.assert_array_equal(out[:, :3], np.eye(3)[labels])  # species is the first block
    assert ds.inverse_transform(out)["species"].tolist() == ["Adelie", "Chinstrap", "Gentoo", "Chinstrap"]
    with pytest.raises(ModelError, match="conditional=true needs a table with a class target"):
        GENERATORS.build("mlp_generator", load_dataset("penguins", target=None).spec, conditional=True)


# --------------------------------------------------------------------------- synthesizer


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    """A synthesizer trained long enough to learn that x depends on the label."""
    run = tmp_path_factory.mktemp("syn") / "run"
    df = two_class_table()
    df.insert(0, "id", np.arange(100, 100 + len(df)))
    with pytest.warns(UserWarning, match="'id' looks like unique row IDs"):
        syn = TabularSynthesizer(target="label", run_dir=run, numeric="standard",
                                 overrides=["train.epochs=6", "train.steps_per_epoch=100"]).fit(df)
    return syn, df


def test_synthesizer_learns_the_class_condition(fitted):
    syn, df = fitted
    a = syn.sample(300, condition="a", seed=1)
    b = syn.sample(300, condition="b", seed=1)
    assert (a["label"] == "a").all() and (b["label"] == "b").all()
    # the generator learned x | label: the class means sit where the real ones do
    assert a["x"].mean() < -1.5 and b["x"].mean() > 1.5
    bal = syn.sample(101, balance=True)
    assert bal["label"].value_counts().to_dict() == {"a": 51, "b": 50}
    mix = syn.sample(100, condition={"a": 10, "b": 30})
    assert mix["label"].value_counts().to_dict() == {"b": 30, "a": 10}


def test_synthesizer_keeps_columns_dtypes_and_gives_fresh_ids(fitted):
    syn, df = fitted
    out = syn.sample(40, seed=3)
    assert list(out.columns) == list(df.columns)
    assert out.dtypes.to_dict() == df.dtypes.to_dict()
    assert out["id"].tolist() == list(range(300, 340))  # after the largest real ID
    assert set(out["label"]) <= {"a", "b"}


def test_sampling_streams_in_chunks_with_fresh_ids_across_them(fitted):
    syn, df = fitted
    chunks = list(syn.sample_chunks(250, seed=2, chunk_rows=100, balance=True))
    assert [len(c) for c in chunks] == [100, 100, 50]
    rows = pd.concat(chunks)
    assert rows["id"].tolist() == list(range(300, 550)) and rows.index.tolist() == list(range(250))
    assert rows["label"].value_counts().to_dict() == {"a": 125, "b": 125}
    assert rows.dtypes.to_dict() == df.dtypes.to_dict()
    whole = list(syn.sample_chunks(250, seed=2))  # one default-size chunk: exactly sample()
    pd.testing.assert_frame_equal(whole[0], syn.sample(250, seed=2))


def test_synthesizer_reloads_from_its_run_and_samples_identically(fitted):
    syn, _ = fitted
    again = TabularSynthesizer.load(syn.run_dir)
    pd.testing.assert_frame_equal(again.sample(50, seed=7, balance=True), syn.sample(50, seed=7, balance=True))
    with pytest.raises(DataError, match="condition 'c' is not a class of the target"):
        syn.sample(5, condition="c")
    with pytest.raises(MpganError, match="not a tabular synthesizer run"):
        TabularSynthesizer.load(syn.run_dir / "checkpoints")


def test_run_with_another_column_layout_is_refused_clearly(fitted, tmp_path):
    import json
    import shutil

    syn, _ = fitted
    old = tmp_path / "old_run"
    shutil.copytree(syn.run_dir, old)
    spec = json.loads((old / "data_spec.json").read_text())
    spec["columns"][0].update(kind="categorical", width=3)  # as an older column rule might have encoded it
    (old / "data_spec.json").write_text(json.dumps(spec))
    with pytest.raises(MpganError, match="trained on a different column layout .* train it again"):
        TabularSynthesizer.load(old)


def test_privacy_needs_held_out_rows(fitted):
    syn, _ = fitted  # trained without a holdout
    with pytest.raises(MpganError, match="privacy needs real rows held out of training .* --holdout 0.3"):
        syn.report(n=50, metrics=["privacy"])


def test_run_saves_the_table_schema_as_json(fitted):
    import json

    from mpgan.data.schema import TableSchema

    syn, _ = fitted
    schema = TableSchema.from_dict(json.loads((syn.run_dir / "data_spec.json").read_text())["schema"])
    assert schema.kinds["label"] == "categorical" and schema.names == list(syn.dataset.frame.columns)


def test_unconditional_synthesizer_samples_classes_by_rejection(tmp_path):
    syn = TabularSynthesizer(target="label", run_dir=tmp_path / "r", numeric="standard",
                             overrides=[*QUICK, "generator.params.conditional=false"]).fit(two_class_table())
    assert syn.trainer.condition_dim == 0
    out = syn.sample(20, condition="b")
    assert len(out) == 20 and (out["label"] == "b").all()


# --------------------------------------------------------------------------- baselines


def test_gaussian_copula_keeps_marginals_and_correlation():
    rng = np.random.default_rng(0)
    z = rng.multivariate_normal([0, 0], [[1, 0.9], [0.9, 1]], size=4000)
    df = pd.DataFrame({"u": np.exp(z[:, 0]), "v": z[:, 1] * 3 + 10,
                       "k": np.where(z[:, 0] > 0.5, "hi", "lo")})
    fake = GaussianCopula().fit(df).sample(4000, seed=1)
    assert list(fake.columns) == ["u", "v", "k"] and fake.dtypes.to_dict() == df.dtypes.to_dict()
    # rank correlation survives the copula; marginals are the empirical ones
    assert abs(fake["u"].corr(fake["v"], method="spearman") - df["u"].corr(df["v"], method="spearman")) < 0.05
    assert abs(fake["u"].median() - df["u"].median()) < 0.1 and fake["u"].min() >= df["u"].min()
    assert abs((fake["k"] == "hi").mean() - (df["k"] == "hi").mean()) < 0.03
    indep = IndependentMarginals().fit(df).sample(4000, seed=1)
    assert abs(indep["u"].corr(indep["v"], method="spearman")) < 0.06  # dependence gone
    assert set(indep["k"]) == {"hi", "lo"}


# --------------------------------------------------------------------------- bad input


def test_bad_tables_each_get_one_clear_error(tmp_path):
    df = two_class_table(60)
    with pytest.raises(DataError, match="target column 'nope' does not exist"):
        TabularSynthesizer(target="nope").fit(df)
    with pytest.raises(DataError, match="target column 'label' has a single class \\('a'\\)"):
        TabularSynthesizer(target="label", run_dir=tmp_path / "a").fit(df.assign(label="a"))
    with pytest.raises(DataError, match="column 'empty' has no values"):
        TabularSynthesizer(target="label", run_dir=tmp_path / "b").fit(df.assign(empty=np.nan))
    text = df.assign(x=df["x"].astype(str))
    text.loc[7, "x"] = "twelve"
    with pytest.raises(DataError, match="column 'x' looks numeric but row 7 holds the text 'twelve'"):
        TabularSynthesizer(target="label", run_dir=tmp_path / "c").fit(text)
    with pytest.raises(DataError, match="the table has 5 rows, fewer than one batch of 8"):
        TabularSynthesizer(target="label", run_dir=tmp_path / "d").fit(df.head(5))
    with pytest.raises(MpganError, match=r"train.batch_size \(64\) exceeds the dataset's 60 samples"):
        TabularSynthesizer(target="label", run_dir=tmp_path / "e",
                           overrides=["train.batch_size=64"]).fit(df)
    assert not any((tmp_path / d).exists() for d in "abcde")  # nothing half-written


def test_constant_column_warns_and_round_trips(tmp_path):
    df = two_class_table(60).assign(site="Oslo")
    with pytest.warns(UserWarning, match="column 'site' is constant"):
        syn = TabularSynthesizer(target="label", run_dir=tmp_path / "r", overrides=QUICK).fit(df)
    assert (syn.sample(10)["site"] == "Oslo").all()


def test_text_id_column_is_dropped_with_a_warning():
    df = two_class_table(60)
    df["name"] = [f"person {i}" for i in range(60)]
    with pytest.warns(UserWarning, match="'name' looks like unique row IDs"):
        ds = load_dataset("dataframe", df=df, target="label")
    assert "name" not in ds.frame.columns and ds.info["ids"] == {"name": "text"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # listed as categorical: kept, no warning
        load_dataset("dataframe", df=df.head(30), target="label", categorical=["name"])


# --------------------------------------------------------------------------- command line


def test_cli_synthesize_writes_same_columns_then_reuses_and_evaluates(tmp_path, capsys):
    data = tmp_path / "people.csv"
    df = two_class_table(120)
    df.to_csv(data, index=False)
    out, run = tmp_path / "synthetic.csv", tmp_path / "run"
    sets = [a for s in QUICK for a in ("--set", s)]
    code = main(["synthesize", "--data", str(data), "--target", "label", "--rows", "50", "--out", str(out),
                 "--run-dir", str(run), "--holdout", "0.25", *sets])
    assert code == 0
    real, fake = pd.read_csv(data), pd.read_csv(out)
    assert list(fake.columns) == list(real.columns) and len(fake) == 50
    assert fake.dtypes.to_dict() == real.dtypes.to_dict()
    assert "wrote 50 rows x 4 columns" in capsys.readouterr().out

    bal = tmp_path / "balanced.pkl"
    assert main(["synthesize", "--run", str(run), "--rows", "10", "--balance", "--out", str(bal)]) == 0
    assert pd.read_pickle(bal)["label"].value_counts().to_dict() == {"a": 5, "b": 5}

    capsys.readouterr()
    assert main(["evaluate", "--run", str(run), "--n", "200", "--out", str(tmp_path / "eval")]) == 0
    printed = capsys.readouterr().out
    assert "privacy, membership inference: " in printed and "privacy, exact copies: " in printed
    privacy = json.loads((tmp_path / "eval" / "metrics.json").read_text())["privacy"]
    assert privacy["n_holdout"] == 30 and 0 <= privacy["mia_distance_auc"] <= 1
    report = (tmp_path / "eval" / "report.md").read_text()
    assert "scored on 30 real rows held out of training" in report  # 25 % of 120
    assert "logistic_regression" in report and "random_forest" in report
    assert (tmp_path / "eval" / "histograms.png").stat().st_size > 0
    assert (tmp_path / "eval" / "correlations.png").stat().st_size > 0


def test_cli_synthesize_errors_exit_2_with_one_line(tmp_path, capsys):
    data = tmp_path / "t.csv"
    two_class_table(40).to_csv(data, index=False)
    cases = [
        (["--data", str(data), "--target", "nope", "--out", str(tmp_path / "o.csv")],
         "target column 'nope' does not exist"),
        (["--data", str(data), "--out", str(tmp_path / "o.txt")], "--out must end in .csv, .json (exact dtypes), .pkl or .parquet"),
        (["--out", str(tmp_path / "o.csv")], "pass --data TABLE to train a synthesizer, or --run"),
        (["--data", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "o.csv")], "does not exist"),
    ]
    for args, message in cases:
        assert main(["synthesize", *args]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1
    assert not (tmp_path / "o.csv").exists()


# --------------------------------------------------------------------------- benchmark


def test_tabular_utility_benchmark_smoke(tmp_path):
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "tabular_utility.py"
    spec = importlib.util.spec_from_file_location("tabular_utility", path)
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench
    spec.loader.exec_module(bench)
    out = tmp_path / "res"
    sets = [a for s in QUICK for a in ("--set", s)]
    assert bench.main(["--tables", "wine", "--seeds", "1", "--out", str(out), *sets]) == 0
    res = pd.read_csv(out / "results.csv")
    assert sorted(set(res["synthesizer"])) == ["gaussian_copula", "identity", "independent_marginals", "mpgan",
                                               "noisy_copy"]
    assert len(res) == 10 and (res["n_train"] == 124).all() and (res["n_test"] == 54).all()
    # the copying controls are flagged, the copula is not
    copies = res[res["synthesizer"].isin(["identity", "noisy_copy"])]
    assert (copies["closer_to_train"] > 0.99).all() and (copies["mia_distance_auc"] > 0.9).all()
    assert (res.loc[res["synthesizer"] == "gaussian_copula", "privacy_warnings"] == 0).all()
    # TRTR does not depend on the synthesizer: same split, same classifier, same seed
    assert res.groupby("classifier")["accuracy_trtr"].nunique().eq(1).all()
    text = (out / "results.md").read_text()
    assert "wine / logistic_regression: TSTR" in text and "x TRTR" in text
    assert "## Privacy" in text and "| wine | identity | 1.00 (0.70) |" in text


def test_pickles_are_not_loaded(tmp_path):
    import pandas as pd

    from mpgan.data.tabular import read_table
    from mpgan.errors import DataError, MpganError
    from mpgan.synthesizers import TabularSynthesizer

    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": ["x", "y", "x"]})
    df.to_pickle(tmp_path / "t.pkl")
    with pytest.raises(DataError, match=r"is a pickle, which mpgan does not load .*read_table\(path, allow_pickle=True\)"):
        read_table(tmp_path / "t.pkl")
    pd.testing.assert_frame_equal(read_table(tmp_path / "t.pkl", allow_pickle=True), df)
    df.to_json(tmp_path / "t.json", orient="table", index=False)
    pd.testing.assert_frame_equal(read_table(tmp_path / "t.json"), df)  # exact dtypes, no pickle
    old = tmp_path / "old_run"
    old.mkdir()
    (old / "config.yaml").write_text("name: x\n")
    df.to_pickle(old / "table.pkl")
    with pytest.raises(MpganError, match=r"older mpgan that kept its table as a pickle.*re-save it with"):
        TabularSynthesizer.load(old)


@pytest.mark.parametrize("name, rows, target, classes, categorical", [
    ("affairs", 6366, "affair", ("no", "yes"),
     {"rate_marriage", "religious", "educ", "occupation", "occupation_husb", "affair"}),
    ("rand_hie", 20190, "health", ("excellent", "fair", "good", "poor"), {"idp", "health"}),
])
def test_larger_real_tables_ship_with_a_package(name, rows, target, classes, categorical):
    ds = load_dataset(name, holdout=0.3)
    kinds = {c["name"]: c["kind"] for c in ds.info["schema"]["columns"]}
    assert ds.info["rows"] + ds.info["holdout_rows"] == rows and ds.class_names == classes
    assert {k for k, v in kinds.items() if v == "categorical"} == categorical and target in kinds
    assert len(kinds) - len(categorical) >= 3  # numeric columns too: a mixed table


def test_small_tables_train_for_a_budget_of_passes_unless_the_user_sets_epochs(tmp_path):
    """200 passes at batch 64, at least 800 updates, at most the config's 3,000: a
    124-row table gets 8 epochs of 100, 398 rows get 13, 4,456 rows the full 30. Setting
    epochs (or steps per epoch) yourself, or training under DP, keeps the config's."""
    from mpgan.synthesizers import training_epochs

    assert [training_epochs(n, 64, 100, 30) for n in (124, 398, 4456)] == [8, 13, 30]
    table = tmp_path / "t.json"

    def epochs(n, **kw):
        return TabularSynthesizer(target="y", **kw)._config(n, table).train.epochs

    assert epochs(398) == 13
    assert epochs(398, overrides=["train.epochs=3"]) == 3
    assert epochs(398, overrides=["train.steps_per_epoch=10"]) == 30
    assert epochs(398, privacy={"noise_multiplier": 1.0, "max_grad_norm": 1.0}) == 30
