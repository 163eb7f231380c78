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
    return pd.DataFrame({"kids": rng.integers(0, 8, n), "income": rng.integers(1, 25, n),
                         "height": rng.normal(170, 10, n).round(1), "town": rng.choice(["x", "y"], n)})


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    """One table trained through `mpgan synthesize` with column kinds named on the command line."""
    from mpgan.cli import main

    folder = tmp_path_factory.mktemp("cli")
    data, out, run = folder / "survey.csv", folder / "synthetic.csv", folder / "run"
    survey().to_csv(data, index=False, sep=";")
    code = main(["synthesize", "--data", str(data), "--sep", ";", "--out", str(out), "--run-dir", str(run),
                 "--rows", "30", "--numeric", "kids", "--categorical", "income", "--scaling", "minmax", *QUICK])
    assert code == 0
    return data, out, run


def test_cli_names_the_kind_of_columns(cli_run):
    import json

    data, out, run = cli_run
    kinds = {c["name"]: c["kind"] for c in json.loads((run / "data_spec.json").read_text())["schema"]["columns"]}
    assert kinds == {"kids": "numeric", "income": "categorical", "height": "numeric", "town": "categorical"}
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
    assert load_dataset("csv", path=str(path)).frame.shape == survey().shape  # the dataset's params too


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
    assert capsys.readouterr().err == (f"error: table file '{path}' reads as one column ('kids;income;height;town') "
                                       "with the separator ','; pass its separator, e.g. --sep ';' (sep=';' in "
                                       "Python)\n")
    one = pd.read_csv(path, sep=",")  # a table already read with the wrong separator
    with pytest.raises(DataError) as err:
        TabularSynthesizer(run_dir=tmp_path / "run").fit(one)
    assert str(err.value) == ("dataset 'table': the table has one column ('kids;income;height;town'); if it was "
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
