"""Tables as users have them: extreme magnitudes, dates, other delimiters, continuous
targets, column kinds from the command line, and a quiet library."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from mpgan.data.tabular import TabularTransformer

# --------------------------------------------------------------------------- magnitudes


@pytest.mark.parametrize("numeric", ["standard", "minmax", "mode"])
def test_numbers_of_any_finite_magnitude_round_trip(numeric):
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"huge": rng.uniform(1, 10, 60) * 1e300, "tiny": rng.uniform(1, 10, 60) * 1e-300,
                       "wide": 10.0 ** rng.uniform(299, 301, 60), "near_max": rng.uniform(-1.7, 1.7, 60) * 1e308,
                       "plain": rng.normal(size=60)})
    df.loc[3, "huge"] = np.nan  # missing values still come back missing
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow or underflow on the way
        tr = TabularTransformer(numeric=numeric)
        back = tr.inverse_transform(tr.fit_transform(df))
    assert np.isnan(back.loc[3, "huge"])
    for c in df.columns:
        np.testing.assert_allclose(back[c].to_numpy(), df[c].to_numpy(), rtol=1e-4, err_msg=f"{numeric} {c}")
    assert back["huge"].std() > 1e299  # not collapsed onto the real min or max


def test_infinite_values_are_still_refused():
    from mpgan.errors import DataError

    df = pd.DataFrame({"x": [1e300, np.inf, 2e300]})
    with pytest.raises(DataError, match=r"column 'x' holds inf at row 1; replace infinite values"):
        TabularTransformer().fit(df)


# --------------------------------------------------------------------------- targets


def _priced(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"size": rng.normal(size=n), "kids": rng.integers(0, 8, n),
                         "price": rng.normal(100, 10, n).round(1)})


def test_a_continuous_target_is_refused_with_the_reason(tmp_path):
    from mpgan.errors import DataError
    from mpgan.synthesizers import TabularSynthesizer

    df = _priced()
    with pytest.raises(DataError) as err:
        TabularSynthesizer(target="price", run_dir=tmp_path / "run").fit(df)
    assert str(err.value) == (
        f"dataset 'table': target column 'price' holds {df['price'].nunique()} distinct numbers, so it is a "
        "numeric column, not classes; a target is a class column: model 'price' as a feature (no target), bin it "
        "into classes first (e.g. pandas.cut), or list it as categorical (categorical=, --categorical) if its "
        "numbers are class codes")
    assert not (tmp_path / "run").exists()


def test_a_coded_target_is_still_a_class_column():
    from mpgan.data.tabular import table_dataset

    df = _priced()
    assert table_dataset(df, "table", target="kids").spec.num_classes == df["kids"].nunique()
    forced = table_dataset(df.iloc[:20], "table", target="price", categorical=["price"])  # the user says so
    assert forced.spec.num_classes == df["price"].iloc[:20].nunique()


# --------------------------------------------------------------------------- the command line

QUICK = ["--set", "train.epochs=1", "--set", "train.steps_per_epoch=3", "--set", "generator.params.hidden=[8]",
         "--set", "discriminator.params.hidden=[8]"]


def survey(n: int = 80) -> pd.DataFrame:
    """A survey-like table: a 0-7 count (categorical by the rule), a 24-code income
    (a number by the rule), a measurement and a label."""
    rng = np.random.default_rng(1)
    visit = (pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.permutation(365)[:n], unit="D")).strftime("%d.%m.%Y")
    return pd.DataFrame({"kids": rng.integers(0, 8, n), "income": rng.integers(1, 25, n),
                         "height": rng.normal(170, 10, n).round(1), "town": rng.choice(["x", "y"], n),
                         "visit": visit})


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    """One table trained through `mpgan synthesize` with column kinds named on the command line."""
    from mpgan.cli import main

    folder = tmp_path_factory.mktemp("cli")
    data, out, run = folder / "survey.csv", folder / "synthetic.csv", folder / "run"
    survey().to_csv(data, index=False, sep=";")
    code = main(["synthesize", "--data", str(data), "--sep", ";", "--out", str(out), "--run-dir", str(run),
                 "--rows", "30", "--kind", "visit=datetime", "--numeric", "kids", "--categorical", "income", "--scaling", "minmax", *QUICK])
    assert code == 0
    return data, out, run


def test_cli_names_the_kind_of_columns(cli_run):
    import json

    data, out, run = cli_run
    kinds = {c["name"]: c["kind"] for c in json.loads((run / "data_spec.json").read_text())["schema"]["columns"]}
    assert kinds == {"kids": "numeric", "income": "categorical", "height": "numeric", "town": "categorical",
                     "visit": "datetime"}
    fake = pd.read_csv(out)
    assert set(fake["income"]) <= set(survey()["income"])  # a category: only codes the table has
    from mpgan.config import load_config

    params = load_config(run / "config.yaml").data.params
    assert params["numeric"] == "minmax" and params["sep"] == ";"


@pytest.mark.parametrize(("flags", "message"), [
    (["--numeric", "kids", "--categorical", "kids"], "column 'kids' is given two kinds (--categorical and --numeric); "
                                                     "name each column once"),
    (["--kind", "kids=integer", "--numeric", "kids"], "column 'kids' is given two kinds (--numeric and "
                                                      "--kind kids=integer); name each column once"),
])
def test_cli_refuses_two_kinds_for_one_column(tmp_path, capsys, flags, message):
    from mpgan.cli import main

    data = tmp_path / "survey.csv"
    survey().to_csv(data, index=False)
    assert main(["synthesize", "--data", str(data), "--out", str(tmp_path / "o.csv"), *flags]) == 2
    assert capsys.readouterr().err == f"error: {message}\n"
    assert not (tmp_path / "o.csv").exists()


def test_the_older_numeric_encoding_flag_still_picks_the_scaling():
    from mpgan.cli import _synthesize_columns, build_parser

    args = build_parser().parse_args(["synthesize", "--data", "t.csv", "--out", "o.csv", "--numeric", "mode"])
    assert _synthesize_columns(args) == ("mode", [], {})
    args = build_parser().parse_args(["synthesize", "--data", "t.csv", "--out", "o.csv", "--numeric", "a", "b",
                                      "--numeric", "c", "--categorical", "d"])
    assert _synthesize_columns(args) == ("standard", ["d"], {"a": "numeric", "b": "numeric", "c": "numeric"})


# --------------------------------------------------------------------------- delimiters


@pytest.mark.parametrize(("sep", "suffix"), [(";", ".csv"), ("\t", ".csv"), ("|", ".txt"), (",", ".csv")])
def test_the_separator_is_sniffed(tmp_path, sep, suffix):
    from mpgan.data import load_dataset
    from mpgan.data.tabular import read_table

    path = tmp_path / f"survey{suffix}"
    survey().to_csv(path, index=False, sep=sep)
    pd.testing.assert_frame_equal(read_table(path), survey())
    ds = load_dataset("csv", path=str(path), kinds={"visit": "datetime"})  # the dataset reads it the same way
    assert ds.frame.shape == survey().shape


def test_a_one_column_file_falls_back_to_commas(tmp_path):
    from mpgan.data.tabular import read_table, sniff_sep

    path = tmp_path / "one.csv"
    path.write_text("height\n1.5\n1.7\n")
    assert sniff_sep(path) == "," and read_table(path)["height"].tolist() == [1.5, 1.7]


def test_a_wrong_separator_says_one_column_not_row_ids(tmp_path, capsys):
    from mpgan.cli import main
    from mpgan.errors import DataError
    from mpgan.synthesizers import TabularSynthesizer

    path = tmp_path / "survey.csv"
    survey().to_csv(path, index=False, sep=";")
    assert main(["synthesize", "--data", str(path), "--sep", ",", "--out", str(tmp_path / "o.csv")]) == 2
    assert capsys.readouterr().err == (f"error: table file '{path}' reads as one column ('kids;income;height;town;visit') "
                                       "with the separator ','; pass its separator, e.g. --sep ';' (sep=';' in "
                                       "Python)\n")
    one = pd.read_csv(path, sep=",")  # a table already read with the wrong separator
    with pytest.raises(DataError) as err:
        TabularSynthesizer(run_dir=tmp_path / "run").fit(one)
    assert str(err.value) == ("dataset 'table': the table has one column ('kids;income;height;town;visit'); if it was "
                              "read from a file with another separator, pass it with --sep (sep= in Python)")
    assert not (tmp_path / "o.csv").exists() and not (tmp_path / "run").exists()


@pytest.mark.parametrize(("override", "instead"), [
    ("data.params.sep=;", "--sep (sep= in Python)"),
    ("data.params.target=town", "--target (target=)"),
    ("data.params.limit=10", "--data with a table changed beforehand (drop, filter or convert its columns)"),
])
def test_data_overrides_are_refused_not_dropped(tmp_path, capsys, override, instead):
    from mpgan.cli import main

    path = tmp_path / "survey.csv"
    survey().to_csv(path, index=False, sep=";")
    assert main(["synthesize", "--data", str(path), "--out", str(tmp_path / "o.csv"), "--set", override]) == 2
    assert capsys.readouterr().err == (f"error: --set {override} cannot take effect: the synthesizer reads the "
                                       f"table itself; use {instead} instead\n")
    assert not (tmp_path / "o.csv").exists()


# --------------------------------------------------------------------------- a quiet library


def test_the_library_is_as_quiet_as_the_cli(tmp_path):
    import os
    import subprocess
    import sys

    code = (
        "import numpy as np, pandas as pd, mpgan\n"
        "rng = np.random.default_rng(0)\n"
        "df = pd.DataFrame({'x': rng.normal(size=40), 'c': rng.choice(['a', 'b'], 40), 'k': 1.0})\n"
        f"mpgan.TabularSynthesizer(run_dir={str(tmp_path / 'run')!r}, overrides=['train.epochs=1', "
        "'train.steps_per_epoch=2', 'train.checkpoint_every=1']).fit(df)\n"
    )
    done = subprocess.run([sys.executable, "-W", "default", "-c", code], capture_output=True, text=True,
                          timeout=300, env={k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"})
    assert done.returncode == 0, done.stderr
    for noise in ("absl::InitializeLog", "cudart_stub", "cuInit", "DeprecationWarning", "__array__"):
        assert noise not in done.stderr, done.stderr
    assert "UserWarning: column 'k' is constant; it is kept but carries no information" in done.stderr


# --------------------------------------------------------------------------- dates


def dated(n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(2)
    days = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.permutation(400)[:n], unit="D")
    stamps = days + pd.to_timedelta(rng.integers(0, 86400, n), unit="s")
    return pd.DataFrame({"day": days.strftime("%Y-%m-%d"), "stamp": stamps.strftime("%Y-%m-%dT%H:%M:%S"),
                         "local": pd.Series(stamps).dt.tz_localize("Europe/Paris"), "naive": days,
                         "x": rng.normal(size=n)})


@pytest.mark.parametrize("numeric", ["standard", "minmax", "mode"])
def test_dates_round_trip_in_their_own_form(numeric):
    df = dated()
    df.loc[2, "day"] = None
    tr = TabularTransformer(numeric=numeric)
    back = tr.inverse_transform(tr.fit_transform(df))
    assert tr.schema_.kinds == {"day": "datetime", "stamp": "datetime", "local": "datetime", "naive": "datetime",
                                "x": "numeric"}
    assert back.dtypes.to_dict() == df.dtypes.to_dict()  # text stays text, datetime64 keeps its zone
    pd.testing.assert_series_equal(back["day"], df["day"])  # whole days: exact
    pd.testing.assert_series_equal(back["naive"], df["naive"])
    for c in ("stamp", "local"):  # seconds through float32 z-scores: within a second
        assert (pd.to_datetime(back[c]) - pd.to_datetime(df[c])).abs().max() <= pd.Timedelta(seconds=1)
    assert back["stamp"].str.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$").all()


def test_dates_are_not_row_ids_and_sample_inside_the_training_range():
    from mpgan.data.tabular import id_columns, table_dataset

    df = dated()
    assert id_columns(df) == {}  # all distinct, yet dates: modelled, not replaced by synthetic-<i>
    ds = table_dataset(df, "table")
    out = ds.inverse_transform(np.random.default_rng(0).normal(0, 3, (500, ds.x.shape[1])).astype("float32"))
    days = pd.to_datetime(out["day"])
    assert days.min() >= pd.Timestamp(df["day"].min()) and days.max() <= pd.Timestamp(df["day"].max())
    assert (days == days.dt.normalize()).all() and days.nunique() > 20
    assert out["local"].min() >= df["local"].min() and out["local"].max() <= df["local"].max()


def test_other_date_text_is_a_date_only_when_forced():
    from mpgan.errors import DataError

    df = survey()
    assert TabularTransformer(max_categories=500).fit(df).schema_.kinds["visit"] == "categorical"  # 13.02.2021?
    back = TabularTransformer(kinds={"visit": "datetime"}).fit(df)
    assert back.schema_.kinds["visit"] == "datetime"
    with pytest.raises(DataError, match=r"column 'town' is listed as datetime but row 0 holds 'x', which is not a date"):
        TabularTransformer(kinds={"town": "datetime"}).fit(df)


def test_cli_writes_dates_back_in_the_input_format(cli_run):
    data, out, run = cli_run
    real, fake = pd.read_csv(data, sep=";"), pd.read_csv(out)
    assert fake["visit"].str.match(r"^\d{2}\.\d{2}\.\d{4}$").all()  # day.month.year, as read
    visit = pd.to_datetime(fake["visit"], format="%d.%m.%Y")
    real_visit = pd.to_datetime(real["visit"], format="%d.%m.%Y")
    assert visit.min() >= real_visit.min() and visit.max() <= real_visit.max()


def test_text_dates_are_scored_and_drawn_as_dates(tmp_path):
    """The report reads a date column as its kind does (seconds), text dates included."""
    from scipy import stats

    from mpgan import plots
    from mpgan.metrics.tabular import column_report

    days = pd.date_range("2020-01-01", periods=120, freq="D")
    real = pd.DataFrame({"d": days.strftime("%Y-%m-%d"), "x": np.arange(120.0)})
    fake = pd.DataFrame({"d": days[:60].strftime("%Y-%m-%d").repeat(2), "x": np.arange(120.0)})
    rep = column_report(real, fake).set_index("column")
    seconds = (days - pd.Timestamp("1970-01-01")).total_seconds().to_numpy()
    assert rep.loc["d", "kind"] == "datetime"
    assert rep.loc["d", "ks"] == pytest.approx(stats.ks_2samp(seconds, seconds[:60].repeat(2)).statistic)
    plots.plot_column_histograms(real, fake, tmp_path / "h.png")  # the dates drawn as seconds: no error


def test_text_dates_enter_the_correlations_as_seconds():
    from mpgan.metrics.tabular import correlation_difference

    days = pd.date_range("2020-01-01", periods=50, freq="D")
    real = pd.DataFrame({"d": days.strftime("%Y-%m-%d"), "x": np.arange(50.0)})
    fake = pd.DataFrame({"d": days.strftime("%Y-%m-%d"), "x": np.arange(50.0)[::-1].copy()})
    corr = correlation_difference(real, fake)
    assert corr["n_pairs"] == 1 and corr["max_abs_diff"] == pytest.approx(2.0)  # +1 real, -1 synthetic


def test_diamonds_reads_plotnines_csv_or_says_how_to_get_it(monkeypatch):
    """With plotnine installed: ggplot2's 53,940 x 10 table, cut the 5-class target. Without
    it: one sentence naming the package to install."""
    import importlib.util

    from mpgan.data import load_dataset
    from mpgan.data.tabular import load_diamonds
    from mpgan.errors import DataError

    if importlib.util.find_spec("plotnine") is not None:
        df = load_diamonds()
        assert df.shape == (53940, 10) and sorted(df["cut"].unique()) == ["Fair", "Good", "Ideal", "Premium",
                                                                         "Very Good"]
        ds = load_dataset("diamonds", limit=500)
        assert len(ds) == 500 and len(ds.class_names) == 5
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "plotnine" else real(name, *a))
    with pytest.raises(DataError, match=r"pip install plotnine"):
        load_diamonds()
