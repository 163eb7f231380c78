"""The release under ε: private table statistics (mpgan.data.private), the split of the
total ε, and the shareable export (TabularSynthesizer.export / mpgan export)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mpgan.config import load_config
from mpgan.data.private import (
    PublicInfo,
    StatisticsBudget,
    dp_bounds,
    dp_categories,
    dp_counts,
    private_dataset,
    private_statistics,
)
from mpgan.data.schema import TableSchema
from mpgan.data.tabular import TabularTransformer, table_dataset
from mpgan.errors import ConfigError, DataError, MpganError


def _table(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"age": rng.integers(18, 91, n), "income": rng.gamma(2.0, 20.0, n).round(2),
                         "city": rng.choice(["north", "south", "east"], n),
                         "label": rng.choice(["yes", "no"], n)})


PUBLIC = {"bounds": {"age": [18, 90], "income": [0, 500]},
          "categories": {"city": ["north", "south", "east"], "label": ["no", "yes"]}}


class Settings:
    """A privacy block as the config gives it."""

    def __init__(self, public=None, target_epsilon=3.0, statistics_epsilon=None, delta=1e-5, statistics_seed=0):
        self.public, self.target_epsilon, self.statistics_epsilon, self.delta = public, target_epsilon, \
            statistics_epsilon, delta
        self.statistics_seed = statistics_seed


# -- the mechanisms ---------------------------------------------------------------------

def test_dp_bounds_are_the_octaves_around_the_data():
    v = np.linspace(10, 90, 2000)
    assert dp_bounds(v, 50.0, np.random.default_rng(0)) == (8.0, 128.0, False)
    signed = np.repeat([-3.0, 0.0, 5.0], 1000)
    assert dp_bounds(signed, 50.0, np.random.default_rng(0)) == (-4.0, 8.0, False)
    with_missing = np.concatenate([v, np.full(500, np.nan)])
    assert dp_bounds(with_missing, 50.0, np.random.default_rng(0))[2] is True


def test_dp_bounds_clip_a_thin_tail_and_refuse_too_few_rows():
    v = np.concatenate([np.linspace(10, 15, 5000), [1e6]])  # one outlier: its bin never clears the threshold
    lo, hi, _ = dp_bounds(v, 1.0, np.random.default_rng(1))
    assert (lo, hi) == (8.0, 16.0)
    assert dp_bounds(np.linspace(10, 15, 20), 0.05, np.random.default_rng(1)) is None


def test_dp_counts_carry_laplace_noise_of_scale_one_over_epsilon():
    rng = np.random.default_rng(2)
    labels = np.array(["a"] * 50 + ["b"] * 10)
    draws = np.array([dp_counts(labels, ["a", "b", "c"], 0.5, rng)["a"] for _ in range(4000)])
    assert abs(draws.mean() - 50) < 0.2
    assert draws.std() == pytest.approx(np.sqrt(2) / 0.5, rel=0.06)  # Laplace(b) has std b·√2


def test_dp_categories_show_a_one_row_label_with_chance_delta():
    rng = np.random.default_rng(3)
    labels = np.array(["common"] * 1000 + ["rare"])
    shown = np.mean([("rare" in dp_categories(labels, 1.0, 0.05, rng)) for _ in range(20000)])
    assert shown == pytest.approx(0.05, abs=0.006)  # the threshold 1 + ln(1/(2δ))/ε makes it exactly δ


# -- the private table ------------------------------------------------------------------

def _stats(df, public, epsilon=1.0, seed=None):
    schema = TableSchema.infer(df, categorical=["label"])
    return private_statistics(df, schema, "label", PublicInfo.of(public), StatisticsBudget(epsilon, 5e-6, seed))


def test_public_bounds_that_exclude_rows_are_refused_naming_column_and_count():
    df = _table()
    bad = {**PUBLIC, "bounds": {"age": [18, 60], "income": [0, 500]}}
    n = int((df["age"] > 60).sum())
    with pytest.raises(DataError, match=rf"'age' are \[18, 60\], but {n} training rows fall outside"):
        _stats(df, bad)
    cats = {**PUBLIC, "categories": {"city": ["north", "south"], "label": ["no", "yes"]}}
    n = int((df["city"] == "east").sum())
    with pytest.raises(DataError, match=rf"for 'city' lists \['north', 'south'\], but {n} training rows"):
        _stats(df, cats)
    gaps = df.assign(income=df["income"].where(df.index % 50 != 0))
    with pytest.raises(DataError, match="'income' has 8 missing values, but privacy.public.missing"):
        _stats(gaps, PUBLIC)
    with pytest.raises(DataError, match="names 'town', which is not a modelled column"):
        _stats(df, {"categories": {"town": ["a"]}})


def test_public_statistics_are_used_as_given_and_only_the_class_counts_cost_epsilon():
    stats = _stats(_table(), PUBLIC, epsilon=0.7)
    assert stats.schema["age"].bounds == (18.0, 90.0)
    assert stats.schema["city"].categories == ("north", "south", "east")
    assert stats.record["epsilon"] == pytest.approx(0.7) and stats.record["statistics"] == 1
    assert stats.record["delta"] == 0.0  # no category list estimated: DP-SGD keeps all of δ
    assert set(stats.class_counts) == {"no", "yes"}


def test_the_private_encoding_reads_no_statistic_of_the_rows():
    """Two tables that differ in one row (inside the public bounds) encode the same way."""
    a = _table()
    b = a.copy()
    b.loc[0, ["age", "income", "city"]] = [90, 499.0, "east"]
    ta, tb = (private_dataset(table_dataset(t, "t", target="label"), Settings(PUBLIC)) for t in (a, b))
    assert TabularTransformer(numeric="minmax").fit(ta.frame, schema=TableSchema.from_dict(ta.info["schema"])) \
        .to_dict() == TabularTransformer(numeric="minmax").fit(tb.frame, schema=TableSchema.from_dict(
            tb.info["schema"])).to_dict()
    np.testing.assert_array_equal(ta.x[1:], tb.x[1:])
    # the same seed draws the same noise: the class frequencies differ by the one changed count at most
    assert ta.info["class_prior"] == pytest.approx(tb.info["class_prior"], abs=1.5 / len(a))


def test_estimated_statistics_split_the_budget_and_leave_out_rare_labels():
    df = _table(4000)
    df.loc[:2, "city"] = "lost"  # three rows: far under the threshold
    ds = private_dataset(table_dataset(df, "t", target="label"), Settings(None, statistics_epsilon=2.0))
    rec = ds.info["private_statistics"]
    assert rec["statistics"] == 4 and rec["epsilon"] == pytest.approx(2.0)
    assert rec["columns"]["age"] == "DP bounds (ε 0.5)" and rec["delta"] == pytest.approx(5e-6)
    assert rec["rows_left_out"] == 3 and len(ds) == 3997
    assert ds.info["rows"] == 4000  # the public count: how many rows were left out is not released
    schema = TableSchema.from_dict(ds.info["schema"])
    assert schema["age"].bounds == (16.0, 128.0) and set(schema["city"].categories) == {"north", "south", "east"}


def test_the_noise_is_fresh_unless_a_seed_is_pinned():
    """A known seed would let anyone regenerate the noise and subtract it from the counts."""
    df = _table()
    fresh = [_stats(df, PUBLIC).class_counts["yes"] for _ in range(3)]
    assert len(set(fresh)) == 3
    assert _stats(df, PUBLIC, seed=7).class_counts == _stats(df, PUBLIC, seed=7).class_counts


def test_class_frequencies_follow_the_noisy_counts_for_number_classes():
    df = pd.DataFrame({"x": np.linspace(0, 1, 1000), "y": np.r_[np.zeros(900), np.ones(100)]})
    ds = private_dataset(table_dataset(df, "t", target="y"),
                         Settings({"bounds": {"x": [0, 1]}, "categories": {"y": [0.0, 1.0]}}, statistics_epsilon=50.0))
    assert ds.info["class_prior"] == pytest.approx([0.9, 0.1], abs=0.01)
    assert ds.info["classes"] == [0.0, 1.0]


def test_transformer_round_trips_through_json():
    df = _table()
    tr = TabularTransformer().fit(df)
    again = TabularTransformer.from_dict(json.loads(json.dumps(tr.to_dict())))
    x = tr.transform(df)
    pd.testing.assert_frame_equal(again.inverse_transform(x), tr.inverse_transform(x))
    with pytest.raises(DataError, match="'mode' encoding, which cannot be saved"):
        TabularTransformer(numeric="mode").fit(df).to_dict()


@pytest.mark.parametrize(("block", "message"), [
    ({"statistics_epsilon": 3.0}, r"statistics_epsilon \(3\) must be below privacy.target_epsilon \(3\)"),
    ({"public": {"bounds": {"age": [5, 1]}}}, r"bounds.age must be \[low, high\] with finite low <= high"),
    ({"public": {"categories": {"city": []}}}, "categories.city is empty"),
])
def test_bad_privacy_blocks_are_refused(block, message):
    cfg = {"privacy": {"target_epsilon": 3.0, "max_grad_norm": 1.0, **block}}
    with pytest.raises(ConfigError, match=message):
        load_config(["tabular", cfg])


def test_the_mode_scaling_is_refused_under_privacy():
    with pytest.raises(ConfigError, match="mode scaling .* cannot be used with privacy"):
        load_config(["tabular", {"data": {"name": "csv", "params": {"path": "x.csv", "numeric": "mode"}},
                                 "privacy": {"target_epsilon": 3.0, "max_grad_norm": 1.0}}])


# -- the whole release ------------------------------------------------------------------

@pytest.fixture(scope="module")
def private_run(tmp_path_factory):
    from mpgan.synthesizers import TabularSynthesizer

    root = tmp_path_factory.mktemp("release")
    syn = TabularSynthesizer(target="label", run_dir=root / "run", overrides=["train.epochs=1"],
                             privacy={"target_epsilon": 3.0, "max_grad_norm": 1.0, "public": PUBLIC}).fit(_table())
    return syn, root


def test_the_total_epsilon_is_split_between_statistics_and_dp_sgd(private_run):
    syn, _ = private_run
    spent = syn.trainer.privacy_spent()
    split = spent["split"]
    assert split["statistics"]["epsilon"] == pytest.approx(0.3)  # a tenth of the target, by default
    assert spent["epsilon"] == pytest.approx(3.0, abs=0.01)  # DP-SGD was calibrated to the rest
    assert spent["epsilon"] == pytest.approx(split["dp_sgd"]["epsilon"] + split["statistics"]["epsilon"])
    manifest = json.loads((syn.run_dir / "manifest.json").read_text())
    assert manifest["privacy"]["split"]["statistics"]["columns"]["label"].startswith("public, DP class counts")
    assert "table.json" in (syn.run_dir / "NOT_SHAREABLE.txt").read_text()


def test_a_reloaded_run_reuses_its_statistics(private_run):
    """The noise is fresh, so a reload that drew it again would give other class frequencies
    (and spend ε again)."""
    from mpgan.synthesizers import TabularSynthesizer

    syn, _ = private_run
    again = TabularSynthesizer.load(syn.run_dir)
    assert again.dataset.info["class_prior"] == syn.dataset.info["class_prior"]
    pd.testing.assert_frame_equal(again.sample(50, seed=2), syn.sample(50, seed=2))


def test_the_export_samples_the_same_rows_without_the_run_folder(private_run, tmp_path):
    import shutil

    from mpgan.synthesizers import TabularSynthesizer

    syn, root = private_run
    out = syn.export(tmp_path / "copy" / "shared")
    assert sorted(p.name for p in out.iterdir()) == ["generator.weights.h5", "synthesizer.json"]
    moved = tmp_path / "elsewhere"
    shutil.copytree(out, moved)
    shared = TabularSynthesizer.load(moved)
    pd.testing.assert_frame_equal(shared.sample(200, seed=5), syn.sample(200, seed=5))
    pd.testing.assert_frame_equal(shared.sample(40, seed=1, balance=True), syn.sample(40, seed=1, balance=True))
    doc = json.loads((moved / "synthesizer.json").read_text())
    assert doc["privacy"]["epsilon"] == syn.trainer.privacy_spent()["epsilon"]
    assert "rows_left_out" not in json.dumps(doc)  # nothing counted from the rows outside the budget
    with pytest.raises(MpganError, match="holds no real rows to compare with"):
        shared.report()
    with pytest.raises(MpganError, match="already exists; export to a new folder"):
        syn.export(out)


def test_a_run_without_privacy_does_not_export(tmp_path, capsys):
    from mpgan.cli import main
    from mpgan.synthesizers import TabularSynthesizer

    TabularSynthesizer(target="label", run_dir=tmp_path / "run",
                       overrides=["train.epochs=1", "train.steps_per_epoch=5"]).fit(_table(100))
    assert main(["export", str(tmp_path / "run"), str(tmp_path / "out")]) == 2
    assert "was trained without privacy" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_cli_privacy_options_are_checked_before_training(tmp_path, capsys):
    from mpgan.cli import main

    table = tmp_path / "t.csv"
    _table(50).to_csv(table, index=False)
    base = ["synthesize", "--data", str(table), "--target", "label", "--out", str(tmp_path / "o.csv")]
    assert main([*base, "--public", str(tmp_path / "p.yaml")]) == 2
    assert "--public and --statistics-epsilon need --epsilon" in capsys.readouterr().err
    assert main([*base, "--epsilon", "3", "--public", str(tmp_path / "p.yaml")]) == 2
    assert f"--public {tmp_path / 'p.yaml'}: no such file" in capsys.readouterr().err
    (tmp_path / "p.yaml").write_text("- age\n")
    assert main([*base, "--epsilon", "3", "--public", str(tmp_path / "p.yaml")]) == 2
    assert "must hold a mapping with bounds:, categories: and missing:" in capsys.readouterr().err
    assert not (tmp_path / "o.csv").exists()
