"""Full-size studies (minutes each): `python -m pytest -m slow`. The default run checks
every study with --quick; these check that the full defaults learn what they should."""

import pandas as pd
import pytest

from mpgan.cli import main

pytestmark = pytest.mark.slow


def test_full_normal_toy_study(tmp_path):
    out = tmp_path / "nt"
    assert main(["experiment", "normal_toy", "--jobs", "2", "--out", str(out)]) == 0
    res = pd.read_csv(out / "results.csv")
    assert len(res) > 0 and (out / "results.md").is_file()


def test_one_full_arm_of_the_optimizer_study_learns(tmp_path):
    out = tmp_path / "opt"
    assert main(["experiment", "optimizer_comparison", "--settings", "adam", "--seeds", "1",
                 "--out", str(out)]) == 0
    res = pd.read_csv(out / "results.csv").sort_values("step")
    assert res["step"].tolist() == list(range(100, 1001, 100))
    assert res["fid"].iloc[-1] < 0.5 * res["fid"].iloc[0]  # 1,000 Adam steps halve the FID of step 100
