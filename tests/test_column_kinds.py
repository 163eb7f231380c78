"""Table column kinds: the built-in integer kind (picked by the schema rule, an exact round
trip, whole numbers inside the training range in the original dtype, scored by the earth
mover's distance, drawn in whole-number bins), and a kind added in one test-local file
(tests/local_column_kind.py) that a synthesizer trains, samples, evaluates and plots with."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import wasserstein_distance

from mpgan import plots
from mpgan.column_kinds import ColumnKind, get_kind
from mpgan.data.schema import TableSchema
from mpgan.data.tabular import TabularTransformer
from mpgan.errors import DataError, MpganError, UnknownNameError
from mpgan.metrics.rows import RowEncoder
from mpgan.metrics.tabular import column_report
from mpgan.registry import COLUMN_KINDS
from mpgan.synthesizers import GaussianCopula


def people(n: int = 200, seed: int = 0) -> pd.DataFrame:
    """Ages (62 values), a child count (4 values), heights, log-normal amounts, cities, and a
    count read as float because of missing values."""
    rng = np.random.default_rng(seed)
    visits = rng.integers(0, 40, n).astype(float)
    visits[::17] = np.nan
    return pd.DataFrame({
        "age": rng.integers(18, 80, n),
        "children": rng.integers(0, 4, n),
        "height": rng.normal(170, 10, n),
        "amount": np.round(rng.lognormal(3, 1, n), 2),
        "city": rng.choice(["Oslo", "Lima", "Pune"], n),
        "visits": visits,
    })


# --------------------------------------------------------------------------- the integer kind


def test_the_schema_rule_picks_integer_for_integer_columns_with_many_values():
    df = people()
    assert TableSchema.infer(df).kinds == {"age": "integer", "children": "categorical", "height": "numeric",
                                           "amount": "numeric", "city": "categorical", "visits": "numeric"}
    assert TableSchema.infer(df, max_categories=100).kinds["age"] == "categorical"  # 62 values: a code now
    schema = TableSchema.infer(df, kinds={"visits": "integer"})
    assert schema["visits"].kind == "integer" and schema["visits"].bounds == (0.0, 39.0)
    assert schema["visits"].missing == 12 and schema.numeric == ["age", "height", "amount", "visits"]
    assert {"categorical", "integer", "numeric"} <= set(COLUMN_KINDS.names())


def test_forcing_a_kind_names_what_is_wrong():
    df = people()
    with pytest.raises(DataError, match=r"column 'height' is listed as integer but row 0 holds 175\.62\d+, which is not "
                                        r"a whole number; list it as numeric instead"):
        TableSchema.infer(df, kinds={"height": "integer"})
    with pytest.raises(UnknownNameError, match=r"unknown column kind 'integr' \(did you mean 'integer'\?\)"):
        TableSchema.infer(df, kinds={"age": "integr"})
    with pytest.raises(DataError, match=r"the columns \['age'\] are forced to more than one kind"):
        TableSchema.infer(df, categorical=["age"], kinds={"age": "integer"})
    with pytest.raises(DataError, match=r"unknown columns \['nope'\]"):
        TableSchema.infer(df, kinds={"nope": "integer"})


@pytest.mark.parametrize("scaling", ["standard", "minmax", "mode"])
def test_integer_columns_round_trip_exactly(scaling):
    df = people()[["age", "visits", "city"]]
    tr = TabularTransformer(numeric=scaling, kinds={"visits": "integer"})
    back = tr.inverse_transform(tr.fit_transform(df))
    assert [e.kind for e in tr.encoders] == ["integer", "integer", "categorical"]
    assert tr.columns[0].kind == "numeric"  # the integer kind's value block has a numeric head
    pd.testing.assert_series_equal(back["age"], df["age"])  # int64, every value exact
    pd.testing.assert_series_equal(back["visits"], df["visits"])  # float64 with its NaNs


def test_decoded_integers_are_whole_numbers_inside_the_training_range():
    df = people()[["age"]]
    tr = TabularTransformer().fit(df)
    x = np.random.default_rng(1).normal(0, 3, (500, 1))  # far outside the data on both sides
    back = tr.inverse_transform(x)["age"]
    a = df["age"].to_numpy()
    expected = np.clip(np.rint(x[:, 0] * a.std() + a.mean()), a.min(), a.max())
    assert back.dtype == np.int64
    np.testing.assert_array_equal(back.to_numpy(), expected.astype(np.int64))
    assert back.min() == a.min() and back.max() == a.max()  # clipped to the training range
    # the numeric kind on the same column keeps the model's value (only the int dtype rounds it)
    assert get_kind("integer").decode(np.array([2.6, 99.0]), 0, 10).tolist() == [3.0, 10.0]
    assert get_kind("numeric").decode(np.array([2.6, 99.0]), 0, 10).tolist() == [2.6, 10.0]


def test_baselines_give_integer_columns_back_as_whole_numbers():
    df = people()[["age", "visits", "height"]]
    out = GaussianCopula().fit(df).sample(300, seed=2)
    assert out["age"].dtype == np.int64 and out["age"].between(18, 79).all()
    assert out["visits"].dtype == np.float64 and (out["visits"] % 1 != 0).any()  # float whole numbers: numeric
    forced = TableSchema.infer(df, kinds={"visits": "integer"}).kind("visits")
    assert forced.decode(np.array([3.4, -2.0, 50.2]), 0.0, 39.0).tolist() == [3.0, 0.0, 39.0]


def test_integer_columns_are_scored_by_the_earth_movers_distance():
    real = people()[["age", "height"]]
    fake = real.assign(age=real["age"] + 3, height=real["height"] + 1.0)
    rep = column_report(real, fake).set_index("column")
    assert rep.loc["age", "statistic"] == "wasserstein" and rep.loc["height", "statistic"] == "ks"
    assert rep.loc["age", "wasserstein"] == pytest.approx(3 / real["age"].std(ddof=0), rel=1e-12)
    assert rep.loc["age", "wasserstein"] == pytest.approx(
        wasserstein_distance(real["age"], fake["age"]) / np.std(real["age"]), rel=1e-12)
    assert np.isnan(rep.loc["age", "ks"]) and np.isnan(rep.loc["height", "wasserstein"])


def test_integer_histograms_have_whole_number_bins():
    np.testing.assert_array_equal(plots.histogram_edges(np.array([0, 1, 1, 5]), integer=True),
                                  [-0.5, 0.5, 1.5, 2.5, 3.5, 4.5, 5.5])
    wide = plots.histogram_edges(np.arange(0, 200), bins=30, integer=True)
    assert np.all(np.diff(wide) == 7) and wide[0] == -0.5 and wide[-1] >= 199.5 > wide[-2]


# --------------------------------------------------------------------------- a kind from one file


def test_a_kind_declaring_what_the_readers_cannot_use_is_refused(monkeypatch):
    monkeypatch.setattr(COLUMN_KINDS, "_entries", dict(COLUMN_KINDS._entries))  # these two end with the test

    @COLUMN_KINDS.register("bad_head_test")
    class BadHead(ColumnKind):
        """A kind with a head no generator has."""

        head = "sigmoid"

    @COLUMN_KINDS.register("bad_stat_test")
    class BadStat(ColumnKind):
        """A kind naming a statistic it does not compute."""

        fidelity = "my_stat"

    with pytest.raises(MpganError, match="column kind 'bad_head_test' declares head 'sigmoid'; expected one of "
                                         "numeric, categorical"):
        get_kind("bad_head_test")
    with pytest.raises(MpganError, match=r"declares fidelity 'my_stat'; expected one of ks, tvd, wasserstein, "
                                         r"or another name with the kind's own statistic\(real, fake\) method"):
        get_kind("bad_stat_test")


def test_a_test_local_kind_sets_the_row_distance():
    import tests.local_column_kind  # noqa: F401  (registers amount_test)

    real = people()[["amount", "age"]]
    enc = RowEncoder(real, {"amount": "amount_test", "age": "integer"})(real)
    log = np.log(real["amount"].to_numpy())
    np.testing.assert_allclose(enc[:, 0], (log - log.mean()) / log.std(), rtol=1e-12)
    age = real["age"].to_numpy()
    np.testing.assert_allclose(enc[:, 1], (age - age.mean()) / age.std(), rtol=1e-12)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One tiny synthesizer on ages (integer, inferred), amounts (the test-local kind,
    forced) and cities, with 30 % of the rows held out."""
    import tests.local_column_kind  # noqa: F401  (registers amount_test)
    from mpgan.synthesizers import TabularSynthesizer

    df = people()[["age", "amount", "city"]]
    syn = TabularSynthesizer(kinds={"amount": "amount_test"}, holdout=0.3, run_dir=tmp_path_factory.mktemp("k") / "r",
                             overrides=["train.epochs=1", "train.steps_per_epoch=10", "generator.params.hidden=[16]",
                                        "discriminator.params.hidden=[16]"]).fit(df)
    return syn, df


def test_a_kind_from_one_file_is_trained_sampled_evaluated_and_plotted(trained, tmp_path):
    syn, df = trained
    train = syn.dataset.frame
    assert TableSchema.from_dict(syn.dataset.info["schema"]).kinds == {
        "age": "integer", "amount": "amount_test", "city": "categorical"}
    out = syn.sample(300, seed=3)
    assert out.dtypes.to_dict() == df.dtypes.to_dict()
    assert out["age"].between(train["age"].min(), train["age"].max()).all()
    assert out["amount"].between(train["amount"].min(), train["amount"].max()).all()
    np.testing.assert_allclose(out["amount"] * 100, np.round(out["amount"] * 100), atol=1e-6)  # cents

    rep = syn.report(n=150, seed=0, out_dir=tmp_path / "eval", metrics=["tabular", "privacy"])
    fake = syn.dataset.inverse_transform(syn.trainer.sample(150, seed=0))
    cols = {c["column"]: c for c in rep["tabular"]["columns"]["per_column"]}
    gap = abs(np.log(np.median(train["amount"])) - np.log(np.median(fake["amount"])))
    assert cols["amount"]["statistic"] == "log_median_gap"
    assert cols["amount"]["log_median_gap"] == pytest.approx(gap, rel=1e-12)
    assert cols["age"]["wasserstein"] == pytest.approx(
        wasserstein_distance(train["age"], fake["age"]) / np.std(train["age"]), rel=1e-12)
    stats = rep["tabular"]["columns"]["statistics"]
    assert stats["log_median_gap"] == {"description": "Absolute difference of the real and synthetic log medians "
                                                      "(0: same typical amount)", "kinds": ["amount_test"],
                                       "n_columns": 1}
    assert rep["privacy"]["n_holdout"] == len(syn.dataset.holdout)
    report_md = (tmp_path / "eval" / "report.md").read_text()
    assert "(`log_median_gap`; 1 amount_test column)" in report_md
    assert (tmp_path / "eval" / "histograms.png").stat().st_size > 1000
    assert plots.plot_column_histograms(train, fake, tmp_path / "h.png",
                                        kinds={"amount": "amount_test"}).stat().st_size > 1000


def test_forced_kinds_are_saved_with_the_run(trained):
    from mpgan.synthesizers import TabularSynthesizer

    syn, _ = trained
    again = TabularSynthesizer.load(syn.run_dir)
    assert again.kinds == {"amount": "amount_test"}
    pd.testing.assert_frame_equal(again.sample(40, seed=5), syn.sample(40, seed=5))


def test_the_command_line_lists_kinds_and_names_a_bad_kind_option(capsys, tmp_path):
    from mpgan.cli import main

    assert main(["list", "column_kinds"]) == 0
    listed = capsys.readouterr().out
    assert "integer      Whole-number counts with many values (ages, counts)" in listed
    people().to_csv(tmp_path / "p.csv", index=False)
    assert main(["synthesize", "--data", str(tmp_path / "p.csv"), "--out", str(tmp_path / "o.csv"),
                 "--kind", "age"]) == 2
    assert "--kind takes COLUMN=KIND (e.g. --kind age=integer), got 'age'" in capsys.readouterr().err


def test_minmax_scales_a_kinds_encoded_values_into_minus_one_one():
    """Min-max scaling works on what the kind's ``encode`` gives (logs for amounts), so the
    encoded column spans exactly [-1, 1] and decodes back to the amounts."""
    import tests.local_column_kind  # noqa: F401  (registers amount_test)

    df = pd.DataFrame({"amount": [1.0, 10.0, 100.0, 1000.0]})
    tr = TabularTransformer(numeric="minmax", kinds={"amount": "amount_test"}).fit(df)
    x = tr.transform(df)
    np.testing.assert_allclose(x[:, 0], [-1.0, -1 / 3, 1 / 3, 1.0], atol=1e-6)
    np.testing.assert_allclose(tr.inverse_transform(x)["amount"], df["amount"], rtol=1e-6)
