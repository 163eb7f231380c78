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
    assert res[["setting", "seed", "stage"]].values.tolist() == [
        [s, k, stage] for s in ("seed", "mlp") for k in range(3) for stage in ("before", "after")]
    assert (res["n"] == 5000).all()
    before, after = (res[res.stage == stage].set_index(["setting", "seed"]) for stage in ("before", "after"))
    # every generator moved toward the data's mean 10 (its latent N(0, 2) starts it near 0)
    assert ((after["gen_mean"] - 10).abs() < (before["gen_mean"] - 10).abs()).all()
    # the MLP pair learns where N(10, 1) is, fits it better than before (KS) and fools its discriminator
    mlp_before, mlp_after = before.loc["mlp"], after.loc["mlp"]
    assert ((mlp_after["gen_mean"] - 10).abs() < 0.5).all()
    assert (mlp_after["ks"] < mlp_before["ks"] - 0.3).all()
    assert ((mlp_after["mean_d_real"] - mlp_after["mean_d_fake"]).abs() < 0.02).all()
    # the table is the csv's mean ± std over seeds
    md = (out / "results.md").read_text()
    for (setting, stage), g in res.groupby(["setting", "stage"]):
        line = next(x for x in md.splitlines() if x.startswith(f"| {setting} | {stage} | 3 |"))
        assert f"| {g['gen_mean'].mean():.3f} ± {g['gen_mean'].std():.3f} |" in line, line
        assert f"| {g['ks'].mean():.3f} ± {g['ks'].std():.3f} |" in line, line


def test_one_full_arm_of_the_optimizer_study_learns(tmp_path):
    out = tmp_path / "opt"
    assert main(["experiment", "optimizer_comparison", "--settings", "adam", "--seeds", "1",
                 "--out", str(out)]) == 0
    res = pd.read_csv(out / "results.csv").sort_values("step")
    assert res["step"].tolist() == list(range(100, 1001, 100))
    assert res["fid"].iloc[-1] < 0.5 * res["fid"].iloc[0]  # 1,000 Adam steps halve the FID of step 100
