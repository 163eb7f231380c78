"""The canary audit (Steinke, Nasr & Jagielski 2023) can fail: its bound matches the
binomial arithmetic, it catches a synthesizer that copies rows, a non-private run that
overfits a small table and a DP run whose noise was switched off, and it stays below ε on
an honest DP run."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_wine

import mpgan.training.privacy as dp
from mpgan.audit import (
    audit_synthesizer,
    best_possible_bound,
    canaries_needed,
    check_settings,
    epsilon_lower_bound,
    judge,
    make_canaries,
    p_value,
)
from mpgan.baselines import IndependentMarginals
from mpgan.cli import main
from mpgan.errors import ConfigError
from mpgan.synthesizers import TabularSynthesizer

#: 30 real rows and 200 canaries: a small table a GAN trained for the full budget overfits.
SMALL = load_wine(as_frame=True).frame.sample(30, random_state=0).reset_index(drop=True)
FULL_BUDGET = ["train.epochs=30", "train.batch_size=32"]


class CopyTraining:
    """Releases its training rows: the leak every audit must catch."""

    def fit(self, df):
        self.rows = df
        return self

    def sample(self, n, seed=0):
        return self.rows.sample(n, replace=True, random_state=seed)


def test_the_bound_is_the_binomial_arithmetic():
    # all k guesses right, delta 0: the bound solves q^k = significance for q = e^eps / (1 + e^eps)
    for k, significance in ((20, 0.05), (100, 0.01)):
        q = significance ** (1 / k)
        assert epsilon_lower_bound(k, k, 200, 0.0, significance) == pytest.approx(math.log(q / (1 - q)), rel=1e-6)
    assert p_value(100, 50, 0.0, 0.0, 100) == pytest.approx(0.5397946, rel=1e-6)  # P[Bin(100, 1/2) >= 50]
    assert p_value(100, 60, 0.5, 1e-4, 100) > p_value(100, 60, 0.5, 0.0, 100)  # delta only weakens the bound
    assert epsilon_lower_bound(100, 50, 100) == 0.0  # chance-level guessing shows nothing
    scores = np.arange(200.0)
    perfect = judge(scores, scores >= 100, delta=1e-5)
    assert perfect.epsilon_lower == pytest.approx(best_possible_bound(200, 1e-5, 0.95))
    assert perfect.correct == perfect.guesses and perfect.auc == 1.0


def test_canaries_change_no_bound_or_category_of_the_table():
    rng = np.random.default_rng(0)
    kinds = {c: "numeric" for c in SMALL.columns} | {"target": "categorical"}
    canaries = make_canaries(SMALL, kinds, 500, rng)
    numeric = SMALL.columns.drop("target")
    assert (canaries[numeric].min() >= SMALL[numeric].min()).all()
    assert (canaries[numeric].max() <= SMALL[numeric].max()).all()
    assert set(canaries["target"]) == set(SMALL["target"]) and canaries.dtypes.equals(SMALL.dtypes)


def test_a_synthesizer_that_copies_its_rows_is_caught_and_marginals_are_not():
    copied = audit_synthesizer(SMALL, CopyTraining(), target="target", claimed_epsilon=1.0)
    assert copied.auc == 1.0 and copied.epsilon_lower > 2.5
    assert copied.verdict.startswith("violated")
    marginals = audit_synthesizer(SMALL, IndependentMarginals(), target="target", claimed_epsilon=1.0)
    assert marginals.epsilon_lower < 0.5 and marginals.verdict.startswith("consistent")


def test_too_few_canaries_say_how_many_are_needed(tmp_path, capsys):
    need = canaries_needed(0.0, 1e-5, 0.95)
    assert best_possible_bound(need, 1e-5, 0.95) > 0 >= best_possible_bound(need - 1, 1e-5, 0.95)
    with pytest.raises(ConfigError, match=f"use at least {need}"):
        check_settings(need - 1, 0.95, 1e-5)
    out = tmp_path / "audit.json"
    argv = ["audit", "--data", str(tmp_path / "t.csv"), "--canaries", "3", "--out", str(out)]
    assert main(argv) == 2
    assert "3 canaries cannot bound epsilon above 0 at 95% confidence" in capsys.readouterr().err
    assert not out.exists()
    SMALL.to_csv(tmp_path / "small.csv", index=False)
    for bad, message in ((["--target", "species"], "target column 'species' does not exist"),
                         (["--confidence", "1.5"], "confidence must be between 0 and 1, got 1.5")):
        assert main(["audit", "--data", str(tmp_path / "small.csv"), *bad, "--out", str(out)]) == 2
        assert message in capsys.readouterr().err and not out.exists()


def test_the_cli_trains_once_with_the_seeded_canaries_and_writes_the_result(tmp_path, capsys):
    """A one-epoch run through `mpgan audit`: the canaries included are the ones the seed
    draws, the run's training table is the real rows plus them, and the JSON is written."""
    SMALL.to_csv(tmp_path / "small.csv", index=False)
    out = tmp_path / "audit.json"
    assert main(["audit", "--data", str(tmp_path / "small.csv"), "--target", "target", "--canaries", "40",
                 "--set", "train.epochs=1", "--seed", "3", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    rng = np.random.default_rng(3)
    kinds = {c: "numeric" for c in SMALL.columns} | {"target": "categorical"}
    make_canaries(SMALL, kinds, 40, rng)
    assert result["canaries"] == 40 and result["included"] == int((rng.random(40) < 0.5).sum())
    assert result["claimed_epsilon"] is None and "no privacy claimed" in capsys.readouterr().out


@pytest.mark.slow  # the full budget; the default suite trains through the same path above and below
def test_a_non_private_run_that_overfits_a_small_table_shows_a_bound(tmp_path, capsys):
    SMALL.to_csv(tmp_path / "small.csv", index=False)
    out = tmp_path / "audit.json"
    argv = ["audit", "--data", str(tmp_path / "small.csv"), "--target", "target", "--out", str(out)]
    for s in FULL_BUDGET:
        argv += ["--set", s]
    assert main(argv) == 0
    result = json.loads(out.read_text())
    assert result["claimed_epsilon"] is None and result["canaries"] == 200
    assert result["epsilon_lower"] > 1.0, result
    assert "no privacy claimed" in capsys.readouterr().out


def _dp_audit(tmp_path, epsilon):
    from mpgan.data.private import public_draft

    public = public_draft(SMALL)  # the canaries are drawn inside these ranges and labels
    syn = TabularSynthesizer(target="target", privacy={"target_epsilon": epsilon, "max_grad_norm": 1.0,
                                                       "public": public},
                             overrides=FULL_BUDGET, run_dir=tmp_path / "run")
    return audit_synthesizer(SMALL, syn, target="target")


def test_a_dp_run_with_its_noise_switched_off_is_flagged(tmp_path, monkeypatch):
    """The accountant still says epsilon 0.5; the rows show more."""
    honest = dp.clip_and_noise
    monkeypatch.setattr(dp, "clip_and_noise", lambda g, clip, std, den, normal: honest(g, clip, 0.0, den, normal))
    result = _dp_audit(tmp_path, 0.5)
    assert result.claimed_epsilon == pytest.approx(0.5, abs=1e-3)
    assert result.epsilon_lower > 0.5 and result.verdict.startswith("violated"), result


@pytest.mark.slow  # a DP run of the full budget; the default suite runs the broken one on the same path
def test_an_honest_dp_run_stays_below_its_epsilon(tmp_path):
    result = _dp_audit(tmp_path, 0.5)
    assert result.epsilon_lower < 0.5 and result.verdict.startswith("consistent"), result
    assert result.auc < 0.65


def test_the_audit_reads_any_table_it_is_given():
    table = pd.DataFrame({"a": np.arange(40.0), "b": ["x", "y"] * 20})
    result = audit_synthesizer(table, CopyTraining(), canaries=50)
    assert result.canaries == 50 and result.epsilon_lower > 1.0
