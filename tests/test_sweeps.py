"""Sweeps end to end: a sweep killed with SIGKILL resumes without re-running finished cells
and ends with the table of an uninterrupted run; the Ray backend (a private cluster here,
a 2-node cluster in the slow test) gives the local numbers."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mpgan import OBJECTIVES
from mpgan.cli import main
from mpgan.objectives import NonSaturating
from tests.tensorboard_read import read_hparams

ROOT = Path(__file__).resolve().parents[1]
SWEEP = ["sweep", "--config", "gaussian_modes", "--grid", "train.g_optimizer.learning_rate=[1e-3,3e-3]",
         "--seeds", "2", "--metric", "distribution.w1_dist.w1", "--mode", "min", "--eval-n", "500",
         "--set", "train.epochs=1", "--set", "data.params.n=1000", "--set", "train.tensorboard=false"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The sweep run once, uninterrupted, on the local backend."""
    out = tmp_path_factory.mktemp("reference") / "sweep"
    assert main([*SWEEP, "--out", str(out)]) == 0
    return out


def _table(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "results.csv")


def _same_numbers(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns) and len(a) == len(b)
    num = a.select_dtypes("number").columns
    np.testing.assert_allclose(a[num].to_numpy(float), b[num].to_numpy(float), rtol=1e-6, atol=1e-9)
    assert a.drop(columns=num).equals(b.drop(columns=num))


def _done(folder: Path) -> dict:
    try:
        cells = json.loads((folder / "cells.json").read_text())["cells"]
    except (FileNotFoundError, ValueError):
        return {}
    return {k: c for k, c in cells.items() if c["status"] == "done"}


def _mtimes(run_dir: str) -> dict:
    return {str(p): p.stat().st_mtime_ns for p in sorted(Path(run_dir).rglob("*"))}


def test_a_killed_sweep_resumes_without_rerunning_finished_cells(reference, tmp_path, capsys):
    out = tmp_path / "sweep"
    proc = subprocess.Popen([sys.executable, "-m", "mpgan.cli", *SWEEP, "--out", str(out)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 240
        while not _done(out) and time.time() < deadline and proc.poll() is None:
            time.sleep(0.1)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        proc.kill()
    done = _done(out)
    assert 0 < len(done) < 4, "the kill should land between the first and the last cell"
    before = {k: _mtimes(c["run_dir"]) for k, c in done.items()}
    assert main([*SWEEP, "--out", str(out)]) == 0
    assert f"{len(done)} of 4 cells already done" in capsys.readouterr().err
    assert {k: _mtimes(done[k]["run_dir"]) for k in done} == before  # finished cells were not run again
    assert len(_done(out)) == 4
    pd.testing.assert_frame_equal(_table(out), _table(reference))  # exactly the uninterrupted table
    _, sessions = read_hparams(out / "tensorboard")  # rewritten whole: each cell once, as in the reference
    assert sessions == read_hparams(reference / "tensorboard")[1]


def test_a_sweep_is_a_tensorboard_hparams_experiment(reference):
    """Read back with TensorBoard's reader: the grid key's values and the metric, one
    session per cell holding the cell's final metric, the seeds of a setting in one group."""
    experiment, sessions = read_hparams(reference / "tensorboard")
    results = _table(reference)
    key = "train.g_optimizer.learning_rate"
    assert experiment["hparams"] == {key: [1e-3, 3e-3]}
    assert {"value", "metric.distribution.w1_dist.w1", "step"} <= set(experiment["metrics"])
    assert "setting" not in experiment["metrics"] and "seed" not in experiment["metrics"]
    assert len(sessions) == len(results) == 4
    for _, row in results.iterrows():
        session = sessions[f"{key}={row[key]},seed={row['seed']}"]
        assert session["hparams"] == {key: row[key]}
        assert session["group"] == f"{key}={row[key]}"
        (step, value), = session["scalars"]["value"]
        assert value == pytest.approx(row["value"], rel=1e-6)


class _Exploding(NonSaturating):
    def g(self, fake_logits):
        return super().g(fake_logits) * float("nan")


def test_a_setting_that_diverges_is_recorded_and_ranked_last(tmp_path, capsys):
    """Diverged runs are results (re-running would diverge again): counted, not retried."""
    OBJECTIVES.register("exploding_sweep_test", override=True)(lambda: _Exploding())
    argv = [*SWEEP[:3], "--grid", "objective=[exploding_sweep_test,non_saturating]", *SWEEP[5:],
            "--seeds", "1", "--out", str(tmp_path / "s")]
    assert main(argv) == 0
    summary = pd.read_csv(tmp_path / "s" / "summary.csv")
    assert list(summary["setting"]) == ["objective=non_saturating", "objective=exploding_sweep_test"]
    assert list(summary["diverged"]) == [0, 1] and summary["mean"].isna().tolist() == [False, True]
    assert "1 run(s) diverged" in (tmp_path / "s" / "summary.md").read_text()
    assert main(argv) == 0  # nothing to retry
    assert "2 of 2 cells already done" in capsys.readouterr().err


def test_ray_backend_gives_the_local_numbers(reference, tmp_path):
    ray = pytest.importorskip("ray")
    out = tmp_path / "sweep"
    argv = [*SWEEP, "--out", str(out), "--backend", "ray", "--jobs", "1"]  # slow: two nodes, parallel cells
    argv[argv.index("--seeds") + 1] = "1"  # seed 0's two cells: the same cells as the reference's seed-0 rows
    try:
        assert main(argv) == 0
    finally:
        ray.shutdown()
    ref = _table(reference)
    _same_numbers(_table(out), ref[ref["seed"] == 0].reset_index(drop=True))
    assert (out / "figures" / "sweep.png").stat().st_size > 1000


def _running_cells(node) -> list[int]:
    """Worker processes of ``node`` that are running a cell (Ray titles them ray::ray_cell)."""
    raylet = node.all_processes["raylet"][0].process.pid
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and (proc / "cmdline").read_bytes().startswith(b"ray::ray_cell") and \
                    int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1]) == raylet:
                pids.append(int(proc.name))
        except (OSError, ValueError, IndexError):
            continue
    return pids


@pytest.mark.slow
def test_two_node_ray_cluster_survives_a_lost_node(reference, tmp_path):
    """A head and a second node (separate raylets and temp dirs) on localhost; the second
    node is killed while it trains a cell: Ray retries the cell and the sweep completes."""
    pytest.importorskip("ray")
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    worker = cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    out = tmp_path / "sweep"
    env = {**os.environ, "RAY_ADDRESS": ""}
    try:
        proc = subprocess.Popen([sys.executable, "-m", "mpgan.cli", *SWEEP, "--out", str(out), "--backend", "ray",
                                 "--address", cluster.address], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        deadline = time.time() + 300
        while not (_done(out) and _running_cells(worker)) and time.time() < deadline and proc.poll() is None:
            time.sleep(0.1)
        assert _running_cells(worker), "the second node should be training a cell when it is killed"
        cluster.remove_node(worker, allow_graceful=False)  # mid-cell: that cell is lost and must be retried
        log, _ = proc.communicate(timeout=600)
        assert proc.returncode == 0, log[-3000:]
        assert len(_done(out)) == 4
        _same_numbers(_table(out), _table(reference))
        study = tmp_path / "study"
        code = subprocess.run([sys.executable, "-m", "mpgan.cli", "experiment", "normal_toy", "--quick", "--out",
                               str(study), "--backend", "ray", "--address", cluster.address], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=600)
        assert code.returncode == 0, code.stdout[-2000:] + code.stderr[-2000:]
        assert (study / "results.md").is_file() and len(_done(study)) == 2
    finally:
        cluster.shutdown()


def test_asha_saving_counts_the_epochs_a_stopped_cell_did_not_train():
    from mpgan.sweeps.asha import full_seconds

    progress = pd.DataFrame({"epoch": [1, 2], "time_this_iter_s": [16.0, 1.5]})  # start-up + epoch 1, then epoch 2
    assert full_seconds(progress, horizon=20) == pytest.approx(16.0 + 1.5 * 19)
    every_2 = pd.DataFrame({"epoch": [2, 4, 6], "time_this_iter_s": [10.0, 3.0, 3.0]})  # reports every 2 epochs
    assert full_seconds(every_2, horizon=10) == pytest.approx(10.0 + 1.5 * 8)


@pytest.mark.slow
def test_asha_stops_poor_cells_early(tmp_path):
    pytest.importorskip("ray")
    out = tmp_path / "asha"
    argv = ["sweep", "--config", "gaussian_modes", "--grid", "train.g_optimizer.learning_rate=[1e-5,1e-4,1e-3,3e-3]",
            "--seeds", "1", "--metric", "distribution.w1_dist.w1", "--mode", "min", "--eval-n", "500",
            "--set", "train.epochs=4", "--set", "data.params.n=2000", "--set", "train.tensorboard=false",
            "--search", "asha", "--grace", "1", "--reduction", "2", "--backend", "ray", "--jobs", "2", "--out", str(out)]
    import ray

    try:
        assert main(argv) == 0
    finally:
        ray.shutdown()
    res = _table(out)
    assert len(res) == 4 and res["epochs"].between(1, 4).all() and (res["epochs"] < 4).any()
    assert (res["epochs"] == 4).any()  # the best cell of each rung goes on to the end
    assert "ASHA stopped" in (out / "summary.md").read_text()
    assert len(_done(out)) == 4


@pytest.mark.slow
def test_asha_records_each_trial_as_it_ends(tmp_path, monkeypatch, capsys):
    """A sweep killed once Tune is done, before it returned, has every trial on record:
    the re-run trains nothing."""
    pytest.importorskip("ray")
    import ray
    from ray import tune

    fit = tune.Tuner.fit

    def fit_then_die(self):
        fit(self)
        raise KeyboardInterrupt

    out = tmp_path / "asha"
    argv = ["sweep", "--config", "gaussian_modes", "--grid", "train.g_optimizer.learning_rate=[1e-4,3e-3]",
            "--seeds", "1", "--metric", "distribution.w1_dist.w1", "--mode", "min", "--eval-n", "500",
            "--set", "train.epochs=2", "--set", "data.params.n=2000", "--set", "train.tensorboard=false",
            "--search", "asha", "--grace", "1", "--reduction", "2", "--backend", "ray", "--jobs", "2", "--out", str(out)]
    monkeypatch.setattr(tune.Tuner, "fit", fit_then_die)
    try:
        assert main(argv) == 130  # the CLI's exit code for an interrupt
        assert len(_done(out)) == 2 and not (out / "results.csv").exists()
        monkeypatch.setattr(tune.Tuner, "fit", lambda self: pytest.fail("the re-run trained a finished cell"))
        capsys.readouterr()
        assert main(argv) == 0
    finally:
        ray.shutdown()
    assert "2 of 2 cells already done" in capsys.readouterr().err
    assert len(_table(out)) == 2


@pytest.mark.slow
def test_an_interrupted_asha_sweep_stops_instead_of_training_the_rest_as_a_grid(tmp_path, monkeypatch, capsys):
    """Tune returns, not raises, on Ctrl-C: the sweep must stop there, not run the
    unfinished trials as full grid cells."""
    pytest.importorskip("ray")
    import ray
    from ray import tune

    monkeypatch.setattr(tune.Tuner, "fit", lambda self: None)  # as if interrupted before any trial ended
    out = tmp_path / "asha"
    argv = ["sweep", "--config", "gaussian_modes", "--grid", "train.g_optimizer.learning_rate=[1e-4,3e-3]",
            "--seeds", "1", "--metric", "distribution.w1_dist.w1", "--mode", "min",
            "--set", "train.epochs=2", "--search", "asha", "--backend", "ray", "--jobs", "2", "--out", str(out)]
    try:
        assert main(argv) == 130
    finally:
        ray.shutdown()
    assert "Ray Tune stopped with 2 of 2 trials unfinished" in capsys.readouterr().err
    assert _done(out) == {} and not list((out / "runs").glob("*/generator.weights.h5"))


def test_a_sweep_without_metric_scores_by_the_data_kinds_headline_number(tmp_path, capsys):
    """`--metric` left out: a toy config is scored by its Wasserstein-1 distance to the real
    sample, minimised (it used to ask for fid, which toy data has no way to compute)."""
    out = tmp_path / "s"
    argv = ["sweep", "--config", "normal_toy", "--grid", "train.g_optimizer.learning_rate=[1e-3,1e-2]",
            "--seeds", "1", "--eval-n", "200", "--set", "train.epochs=1", "--set", "data.params.n=500",
            "--set", "train.tensorboard=false", "--out", str(out)]
    assert main(argv) == 0
    results = pd.read_csv(out / "results.csv")
    np.testing.assert_array_equal(results["value"], results["metric.distribution.w1_real.w1"])
    assert "Metric: `distribution.w1_real.w1` (lower is better)" in (out / "summary.md").read_text()
    summary = pd.read_csv(out / "summary.csv")
    assert summary["mean"].is_monotonic_increasing  # best (lowest) first
