"""The toy-distribution studies (seeds 000, 001, 003) in --quick mode, and the study plumbing:
the registry, and studies added from outside mpgan."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from mpgan.cli import main
from mpgan.errors import ConfigError
from mpgan.studies import STUDIES, common, gaussian_modes, normal_toy, rayleigh
from mpgan.studies.verdicts import claim
from mpgan.sweeps.backends import LocalBackend
from mpgan.training import Trainer
from tests.helpers import square
from tests.tensorboard_read import read_hparams


def test_study_list_and_errors(capsys):
    assert main(["experiment"]) == 0
    listed = capsys.readouterr().out
    assert "rayleigh" in listed and "gaussian_modes" in listed and "normal_toy" in listed
    assert main(["experiment", "nope"]) == 2  # one error line, not an argparse usage block
    assert capsys.readouterr().err.strip().startswith("error: unknown study 'nope'; known studies:")
    assert main(["experiment", "rayleigh", "--quick", "--seeds", "0"]) == 2
    assert "--seeds must be a positive integer, got 0" in capsys.readouterr().err


def test_a_study_in_a_local_file_is_listed_and_runs_through_the_cli(tmp_path, capsys):
    import tests.local_study as coins  # registers coin_flips_test, as a module a user imports would

    assert main(["experiment"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("coin_flips_test"))
    assert line.split(None, 1)[1] == "Coin flips: a study defined outside mpgan, as a fork or a plugin " \
                                     "would (one file).  [tests]"
    assert main(["list", "studies"]) == 0 and "coin_flips_test" in capsys.readouterr().out
    out = tmp_path / "coins"
    assert main(["experiment", "coin_flips_test", "--quick", "--seeds", "3", "--out", str(out)]) == 0
    res = pd.read_csv(out / "results.csv")
    # every setting x seed, each row what its run_one computed, with --quick's 200 flips
    assert res[["setting", "seed", "flips"]].values.tolist() == [[s, k, 200] for s in ("fair", "biased")
                                                                 for k in range(3)]
    assert res["heads"].tolist() == [coins.flip(s, k, 200) for s in ("fair", "biased") for k in range(3)]
    md = (out / "results.md").read_text()
    d = coins.gap(res)
    assert md.startswith("# Coin flips\n") and f"biased − fair: {d.text(digits=3)}: reproduced" in md
    assert claim(d) == "reproduced" and (out / "machine.json").is_file()
    # its own option, and a setting chosen, through the Python API; defaults the others
    folder = coins.run(tmp_path / "api", seeds=2, settings=["biased"], flips=50)
    assert pd.read_csv(folder / "results.csv")["heads"].tolist() == [coins.flip("biased", k, 50) for k in (0, 1)]
    with pytest.raises(ConfigError, match="study coin_flips_test has no option 'flip'; its options are: flips"):
        coins.run(tmp_path / "bad", flip=5)
    assert main(["experiment", "coin_flips_tset"]) == 2
    assert "unknown study 'coin_flips_tset' (did you mean 'coin_flips_test'?)" in capsys.readouterr().err
    assert STUDIES.get("coin_flips_test") is coins.STUDY


def test_a_plugin_package_adds_a_study_through_its_entry_point(tmp_path):
    """An installed distribution naming a module in `mpgan.plugins` adds a study: `mpgan
    experiment` lists it beside the built-ins, without loading TensorFlow."""
    site = tmp_path / "site"
    (site / "mpgan_coinplugin").mkdir(parents=True)
    (site / "mpgan_coinplugin" / "__init__.py").write_text(textwrap.dedent('''
        """Heads and tails from a plugin package."""
        from mpgan.studies import Study, register

        def run_one(setting, seed, run_dir, quick):
            return {"rows": [{"setting": setting, "seed": seed}]}

        register(Study(name="plugin_coins", doc=__doc__, title="Coins", run_one=run_one,
                       summarize=lambda run: (run.results, ""), settings=("fair",)))
    '''))
    dist = site / "mpgan_coinplugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: mpgan-coinplugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[mpgan.plugins]\ncoins = mpgan_coinplugin\n")
    env = {**os.environ, "PYTHONPATH": str(site)}
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "mpgan.cli", "experiment"], env=env,
                         capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    line = next(x for x in out.stdout.splitlines() if x.startswith("plugin_coins"))
    assert line.split(None, 1)[1] == "Heads and tails from a plugin package.  [mpgan_coinplugin]"
    assert "normal_toy" in out.stdout
    assert "tensorflow" not in out.stderr  # -X importtime lists every module imported


def test_results_helpers(tmp_path):
    df = pd.DataFrame({"s": ["a", "a", "b"], "v": [1.0, 3.0, 2.0]})
    table = common.mean_std(df, "s", ["v"], digits=2)
    assert table["v"].tolist() == ["2.00 ± 1.41", "2.00"] and table["seeds"].tolist() == [2, 1]
    md = common.markdown_table(pd.DataFrame({"x": [1.23456], "y": ["z"]}), digits=3)
    assert md.splitlines() == ["| x | y |", "| ---: | --- |", "| 1.235 | z |"]
    got = {}
    LocalBackend(2).map(square, [{"x": 2}, {"x": 3}], lambda i, out, sec: got.update({i: out}), print)
    assert got == {0: 4, 1: 9}
    with pytest.raises(ConfigError, match="--jobs must be a positive integer, got 0"):
        LocalBackend(0)


def test_failed_study_leaves_no_folder(tmp_path):
    out = tmp_path / "study"
    with pytest.raises(RuntimeError), common.output_dir("x", out) as st:
        (st.path / "partial.csv").write_text("half")
        raise RuntimeError("boom")
    assert not out.exists()


def test_rayleigh_quick(tmp_path):
    out = tmp_path / "ray"
    assert main(["experiment", "rayleigh", "--quick", "--out", str(out)]) == 0
    res = pd.read_csv(out / "results.csv")
    # 4 epochs of 256 // 64 = 4 steps: snapshots at epochs 1, 3 and 4 (seed 000's 56/448/560 scaled)
    for setting in ("article", "tuned"):
        assert res[res.setting == setting]["iteration"].tolist() == [4, 12, 16]
    for f in ("results.md", "figures/histograms.png", "figures/article/losses.png", "figures/tuned/accuracy.png"):
        assert (out / f).is_file(), f
    md = (out / "results.md").read_text()
    assert "| theory |  |  | 1.2533 | 0.6551 |" in md and "article real" in md
    # the table's numbers are the run's: resample the final generator and recompute
    row = res[(res.setting == "tuned") & (res.iteration == 16)].iloc[0]
    trainer = Trainer.from_run(out / "runs" / "tuned_seed0", progress=False)
    x = trainer.sample(rayleigh.N_VECTORS, seed=10_000).ravel()
    assert x.mean() == pytest.approx(row["mean"], rel=1e-5)
    assert abs(x.mean() - rayleigh.theory()[0]) == pytest.approx(row["abs_mean_error"], rel=1e-4)


def test_gaussian_modes_quick(tmp_path):
    out = tmp_path / "gm"
    assert main(["experiment", "gaussian_modes", "--quick", "--out", str(out)]) == 0
    res = pd.read_csv(out / "results.csv")
    assert sorted(res["modes"]) == [1, 2] and set(res["width"]) == {8}
    curves = pd.read_csv(out / "curves.csv")
    for _, r in res.iterrows():
        assert r["steps_run"] <= 200
        curve = curves[curves.modes == r["modes"]][["step", "w1", "mass_error_over_tol"]].values.tolist()
        assert curve[-1][0] == r["steps_run"]
        for name, w1_max in gaussian_modes.CRITERIA.items():  # the table's steps follow from the curve
            steps = gaussian_modes.steps_to(curve, w1_max)
            assert r[f"converged_{name}"] == (not np.isnan(steps))
            assert np.isnan(steps) and np.isnan(r[f"steps_{name}"]) or steps == r[f"steps_{name}"]
        # the run stops at the first evaluation where the strict criterion holds (two passing
        # evaluations in a row), and only there; without it, it uses the whole budget
        stop = next((s for i, (s, _, _) in enumerate(curve)
                     if not np.isnan(gaussian_modes.steps_to(curve[:i + 1], gaussian_modes.CRITERIA["strict"]))), 200)
        assert r["steps_run"] == stop
    for f in ("densities.png", "steps_vs_width_strict.png", "steps_vs_width_loose.png"):
        assert (out / "figures" / f).is_file(), f


def test_gaussian_modes_analysis():
    means, stds = gaussian_modes.mixture(3)
    assert means == [-3.0, 0.0, 3.0] and stds == [0.5] * 3
    # min width = 4 x modes exactly: slope 4, intercept 0, R^2 1
    rows = [{"modes": k, "width": w, "seed": 0, "converged_strict": w >= 4 * k,
             "steps_strict": 100.0 if w >= 4 * k else np.nan} for k in (1, 2, 3) for w in (4, 8, 12, 16)]
    mw = gaussian_modes.minimal_widths(pd.DataFrame(rows))
    assert mw["min_width"].tolist() == [4, 8, 12]
    fit = gaussian_modes.linear_fit(mw)
    assert fit["slope"] == pytest.approx(4) and fit["intercept"] == pytest.approx(0, abs=1e-9)
    assert fit["r2"] == pytest.approx(1)
    # converged = first of two passing evaluations in a row; step 0 (untrained) never counts
    curve = [(0, 0.05, 0.0), (10, 0.3, 0.0), (20, 0.2, 0.0), (30, 0.05, 0.5), (40, 0.05, 2.0), (50, 0.09, 0.0),
             (60, 0.08, 0.1)]
    assert gaussian_modes.steps_to(curve, 0.25) == 20 and gaussian_modes.steps_to(curve, 0.1) == 50
    assert np.isnan(gaussian_modes.steps_to(curve[:5], 0.1))
    # mass tolerance: 10% of the weight, or 3 binomial standard errors when larger
    assert gaussian_modes.mass_error_over_tolerance([0.05, -0.05], [0.5, 0.5], 5000) == pytest.approx(1.0)
    se3 = 3 * np.sqrt(0.1 * 0.9 / 5000)  # 0.0127 > 0.01
    assert gaussian_modes.mass_error_over_tolerance([se3] + [0.0] * 9, [0.1] * 10, 5000) == pytest.approx(1.0)
    steps = gaussian_modes.eval_steps(5000)
    assert steps[:3] == [10, 20, 30] and steps[-1] == 5000 and steps == sorted(set(steps))


def test_normal_toy_quick(tmp_path):
    out = tmp_path / "nt"
    assert main(["experiment", "normal_toy", "--quick", "--out", str(out)]) == 0
    res = pd.read_csv(out / "results.csv")
    assert res[["setting", "stage"]].values.tolist() == [["seed", "before"], ["seed", "after"],
                                                         ["mlp", "before"], ["mlp", "after"]]
    assert (out / "figures" / "before_after.png").is_file()
    # the "after" counts are the saved run's discriminator applied to the same samples
    trainer = Trainer.from_run(out / "runs" / "seed_seed0", progress=False)
    row, _ = normal_toy._measure(trainer, "after", 0)
    after = res[(res.setting == "seed") & (res.stage == "after")].iloc[0]
    assert row["real_as_real"] == after["real_as_real"] and row["fake_as_real"] == after["fake_as_real"]
    assert trainer.config.train.latent_std == 2.0
    # TensorBoard HParams: a session per cell, its numbers logged along the stages
    experiment, sessions = read_hparams(out / "tensorboard")
    assert experiment["hparams"] == {"setting": ["mlp", "seed"]}
    assert sorted(sessions) == ["setting=mlp,seed=0", "setting=seed,seed=0"]
    logged = [v for _, v in sessions["setting=seed,seed=0"]["scalars"]["fake_as_real"]]
    assert logged == res[res.setting == "seed"]["fake_as_real"].astype(float).tolist()


@pytest.mark.slow  # the default suite checks the pool (test_results_helpers) and backend-independence (test_sweeps)
def test_jobs_2_gives_the_same_results_as_jobs_1(tmp_path):
    for jobs in (1, 2):
        assert main(["experiment", "normal_toy", "--quick", "--jobs", str(jobs), "--out", str(tmp_path / f"j{jobs}")]) == 0
    serial, parallel = (pd.read_csv(tmp_path / f"j{j}" / "results.csv") for j in (1, 2))
    pd.testing.assert_frame_equal(serial, parallel)
