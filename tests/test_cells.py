"""Cells and sweeps: results stored without pickle read back equal, finished cells are
skipped on a second run, changed configs make new cells, bad sweeps are refused."""

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mpgan.cli import main
from mpgan.errors import ConfigError, MpganError
from mpgan.studies import common
from mpgan.sweeps import grid as sweep_grid
from mpgan.sweeps.backends import check_address, make_backend
from mpgan.sweeps.codec import load_result, save_result
from tests.helpers import count_call, fail_once, unstorable


def test_results_read_back_equal(tmp_path):
    frame = pd.DataFrame({"i": np.arange(3, dtype=np.int64), "f": [0.1, math.nan, 1 / 3], "s": ["a", "b", None],
                          "b": [True, False, True]}, index=[5, 6, 9])
    obj = {"rows": frame, "grid": np.random.default_rng(0).random((2, 3)).astype(np.float32),
           "by_step": {10: np.arange(4), 20: np.arange(2)}, "pair": (1, "x"), "nested": [{"v": 2.5e-300}],
           "text": np.array(["a", "bc"]), "series": pd.Series([1.5, 2.5], name="s"), "none": None}
    save_result(tmp_path / "r.lr=0.001", obj)
    back = load_result(tmp_path / "r.lr=0.001")
    pd.testing.assert_frame_equal(back["rows"], frame)
    assert back["grid"].dtype == np.float32 and np.array_equal(back["grid"], obj["grid"])
    assert set(back["by_step"]) == {10, 20} and np.array_equal(back["by_step"][10], np.arange(4))
    assert back["pair"] == (1, "x") and back["nested"][0]["v"] == 2.5e-300 and back["none"] is None
    assert list(back["text"]) == ["a", "bc"]
    pd.testing.assert_series_equal(back["series"], obj["series"])
    with pytest.raises(MpganError, match="holds a object, which cannot be stored"):
        save_result(tmp_path / "bad", {"x": object()})


def test_pandas_details_read_back_equal(tmp_path):
    """Categories and their order, time zones, nullable values, index levels and names."""
    frame = pd.DataFrame({"c": pd.Categorical(["b", "a", "b"], categories=["c", "b", "a"], ordered=True),
                          "t": pd.date_range("2026-01-01", periods=3, tz="Europe/Paris"),
                          "n": pd.array([1, None, 3], dtype="Int64"), "s": pd.array(["x", None, "z"], dtype="string")},
                         index=pd.MultiIndex.from_tuples([("a", 1), ("a", 2), ("b", 1)], names=["k", "step"]))
    series = pd.Series([1.0, 2.0], index=pd.Index(["u", "v"], name="who"), name="score")
    save_result(tmp_path / "r", {"frame": frame, "series": series, "na": pd.NA})
    back = load_result(tmp_path / "r")
    pd.testing.assert_frame_equal(back["frame"], frame)
    assert list(back["frame"]["c"].cat.categories) == ["c", "b", "a"] and back["frame"]["c"].cat.ordered
    pd.testing.assert_series_equal(back["series"], series)
    assert back["na"] is pd.NA


def test_grid_settings_and_overrides():
    grid = sweep_grid.parse_grid(["train.g_optimizer.learning_rate=[1e-4,2e-4]", "objective=[hinge,non_saturating]"])
    assert grid["train.g_optimizer.learning_rate"] == [1e-4, 2e-4]  # numbers, though YAML 1.1 reads 1e-4 as text
    settings = sweep_grid.settings(grid)
    assert len(settings) == 4 and settings[1] == {"train.g_optimizer.learning_rate": 1e-4, "objective": "non_saturating"}
    assert sweep_grid.overrides(settings[0]) == ["train.g_optimizer.learning_rate=0.0001", "objective=hinge"]
    assert sweep_grid.setting_name(settings[0]) == "learning_rate=0.0001,objective=hinge"
    key, r = sweep_grid.parse_range("train.g_optimizer.learning_rate=loguniform(1e-5,1e-1)")
    draws = sweep_grid.settings({}, {key: r}, samples=400, seed=1)
    assert draws == sweep_grid.settings({}, {key: r}, samples=400, seed=1)  # reproducible: resume needs the same cells
    logs = np.log10([d[key] for d in draws])
    assert logs.min() >= -5 and logs.max() <= -1 and abs(np.mean(logs < -3) - 0.5) < 0.1  # uniform in log


@pytest.mark.parametrize("argv, message", [
    (["--grid", "train.g_optimzer.learning_rate=[1e-4,2e-4]"],
     "unknown key 'train.g_optimzer' (did you mean 'train.g_optimizer'?)"),
    (["--grid", "train.batch_size=[32,big]"], "train.batch_size must be an integer, got 'big'"),
    (["--grid", "train.g_optimizer.name=[adam,rmsprp]"],
     "sweep setting g_optimizer=rmsprp: train.g_optimizer.name: unknown optimizer 'rmsprp' (did you mean 'rmsprop'?)"),
    ([], "the sweep is empty"),
    (["--grid", "train.epochs=[]"], "has no values"),
    (["--range", "train.ema=uniform(0.9,0.99)"], "--range needs --sample N"),
    (["--sample", "3", "--range", "train.ema=uniform(0.99,0.9)"], "needs two numbers with lo < hi"),
    (["--grid", "train.epochs=[1]", "--metric", "fid"], "'fid' is not a metric for toy data"),
    (["--grid", "train.epochs=[1]", "--metric", "distribution"], "has no declared goal; pass --mode"),
    (["--grid", "train.epochs=[1]", "--eval-n", "0"], "--eval-n must be at least 2"),
    (["--grid", "train.epochs=[1]", "--search", "asha", "--reduction", "1"], "--reduction must be greater than 1"),
    (["--grid", "train.epochs=[1]", "--search", "asha", "--grace", "0"], "--grace must be a positive number"),
    (["--grid", "train.epochs=[1]", "--cpus-per-cell", "0"], "--cpus-per-cell must be greater than 0"),
])
def test_bad_sweeps_are_refused(argv, message, capsys, tmp_path):
    code = main(["sweep", "--config", "gaussian_modes", "--out", str(tmp_path / "s"), *argv])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "s").exists()


def test_unreachable_ray_address_is_refused_fast():
    import socket
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: connections are refused
        t0 = time.perf_counter()
        with pytest.raises(MpganError, match=f"cannot reach a Ray cluster at 127.0.0.1:{port}"):
            check_address(f"127.0.0.1:{port}")
    assert time.perf_counter() - t0 < 30
    with pytest.raises(ConfigError, match="--address must be auto or HOST:PORT"):
        check_address("nowhere")


def _tasks(n, folder):
    return [{"setting": "a", "seed": k, "folder": str(folder)} for k in range(n)]


def test_finished_cells_are_skipped_and_changed_configs_make_new_ones(tmp_path):
    out, calls = tmp_path / "study", tmp_path / "calls"
    calls.mkdir()
    with common.output_dir("toy", out) as st:  # the manifest exists before any cell: a kill now still resumes
        assert json.loads((out / "cells.json").read_text()) == {"format": 1, "study": "toy", "cells": {}}
        assert st.run(count_call, _tasks(3, calls)) == [0, 1, 2]
    assert len(list(calls.iterdir())) == 3
    with common.output_dir("toy", out) as st:  # again, two more seeds: only those run
        assert st.run(count_call, _tasks(5, calls)) == [0, 1, 2, 3, 4]
    assert len(list(calls.iterdir())) == 5
    with common.output_dir("toy", out) as st:  # another identity: new cells, recorded beside the old
        st.run(count_call, _tasks(2, calls), identities=[{"v": 2}, {"v": 2}])
    assert len(list(calls.iterdir())) == 7
    manifest = json.loads((out / "cells.json").read_text())
    assert manifest["study"] == "toy" and len(manifest["cells"]) == 7
    assert {c["config"].get("v") for c in manifest["cells"].values()} == {None, 2}
    with pytest.raises(ConfigError, match="holds cells of 'toy', not 'other'; choose another --out, or pass --fresh"):
        with common.output_dir("other", out):
            pass
    (out / "results.md").write_text("old table")
    (out / "my_notes.txt").write_text("mine")
    with common.output_dir("other", out, common.Execution(fresh=True)) as st:
        st.run(count_call, _tasks(1, calls))
    assert len(json.loads((out / "cells.json").read_text())["cells"]) == 1 and len(list(calls.iterdir())) == 8
    assert not (out / "results.md").exists() and (out / "my_notes.txt").read_text() == "mine"  # --fresh: only ours


def test_a_failed_cell_is_recorded_and_retried(tmp_path):
    out = tmp_path / "study"
    tasks = [{"setting": "ok", "seed": 0, "flag": str(tmp_path / "f0")},
             {"setting": "flaky", "seed": 0, "flag": str(tmp_path / "f1")}]
    (tmp_path / "f1").write_text("fail")
    with pytest.raises(MpganError, match="1 of 2 cells failed .*flaky seed 0: RuntimeError: planned failure"):
        with common.output_dir("toy", out) as st:
            st.run(fail_once, tasks)
    cells = json.loads((out / "cells.json").read_text())["cells"]
    assert sorted(c["status"] for c in cells.values()) == ["done", "failed"]
    with common.output_dir("toy", out) as st:
        assert st.run(fail_once, tasks) == ["ran", "ran"]


def test_a_result_that_cannot_be_stored_fails_only_its_cell(tmp_path):
    tasks = [{"setting": "a", "seed": k} for k in range(3)]
    with pytest.raises(MpganError, match="1 of 3 cells failed .*a seed 1: .*holds a object, which cannot be stored"):
        with common.output_dir("toy", tmp_path / "s") as st:
            st.run(unstorable, tasks)
    cells = json.loads((tmp_path / "s" / "cells.json").read_text())["cells"]
    assert sorted((c["seed"], c["status"]) for c in cells.values()) == [(0, "done"), (1, "failed"), (2, "done")]


def test_a_folder_mpgan_did_not_write_is_never_used(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    for ex in (common.Execution(), common.Execution(fresh=True)):
        with pytest.raises(ConfigError, match="is not empty and holds no cells.json"):
            with common.output_dir("toy", tmp_path, ex):
                pass
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_ray_backend_without_ray_says_how_to_install(monkeypatch):
    import builtins

    real = builtins.__import__

    def no_ray(name, *a, **k):
        if name == "ray" or name.startswith("ray."):
            raise ImportError("No module named 'ray'")
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    with pytest.raises(MpganError, match=r'pip install -e "\.\[ray\]"'):
        make_backend("ray")


def test_a_node_without_the_run_folder_sends_it_back(tmp_path):
    from mpgan.sweeps.backends import ray_cell, shared_markers, unpack_run
    from tests.helpers import write_run

    runs = tmp_path / "runs"
    tasks = [{"run_dir": str(runs / "a")}, {"run_dir": str(runs / "b")}]
    markers = shared_markers(tasks)  # the driver marks the run folders' parent
    assert ray_cell(write_run, tasks[0], markers[0])[2] is None  # shared folder: written in place
    assert (runs / "a" / "sub" / "weights.txt").exists()
    # A node without the shared folder: the marker is not there, even once its first cell
    # has created the parent folder, so both cells send their run folders back.
    remote = tmp_path / "node2" / "runs"
    for name in ("a", "b"):
        out, _, archive = ray_cell(write_run, {"run_dir": str(remote / name)}, str(remote / Path(markers[0]).name))
        assert out == "trained" and archive and not (remote / name).exists()
    unpack_run(archive, str(tmp_path / "back"))
    assert (tmp_path / "back" / "sub" / "weights.txt").read_text() == "w"
