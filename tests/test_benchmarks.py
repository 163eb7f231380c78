"""Smoke test of benchmarks/train_step_throughput.py: tiny models, one repeat, two steps."""

import csv
import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "train_step_throughput.py"
TINY = ["--size", "8", "--set", "data.params.limit=200", "--set", "generator.params.latent_dim=8",
        "--set", "generator.params.filters=8", "--set", "discriminator.params.filters=8",
        "--matmul-size", "128", "--warmup-steps", "2"]


def load_script():
    spec = importlib.util.spec_from_file_location("train_step_throughput", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow  # a benchmark's plumbing, not a product feature: with `pytest -m slow`
def test_throughput_benchmark_smoke(tmp_path):
    bench = load_script()
    out = tmp_path / "results"
    code = bench.main(["--batches", "8", "--repeats", "1", "--steps", "2", "--frozen",
                       "--out", str(out), *TINY])
    assert code == 0
    with open(out / "results.csv") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0])[:5] == ["method", "batch", "repeat", "process", "steps_per_s"]
    by_method = {r["method"]: r for r in rows}
    # --frozen adds a measured arm: skipping it (or a D that moved in it) fails the test
    assert set(by_method) == {"trainer", "naive", "fit", "trainer_frozen"}
    for row in rows:
        assert (row["batch"], row["repeat"], row["process"], row["steps"]) == ("8", "0", "0", "2")
        assert float(row["steps_per_s"]) > 0
    assert len(rows) == len(by_method)  # one measurement per method
    report = (out / "results.md").read_text()
    table = {}  # the throughput table's rows (it comes before the speedup table)
    for line in report.splitlines():
        cells = line.split(" | ")
        if line.startswith("| ") and cells[1:2] == ["8"]:
            table.setdefault(cells[0][2:], cells)
    assert set(by_method) <= set(table)
    # no note on the frozen arm: not skipped, G learned and D did not move during its warm-up
    assert "trainer_frozen" not in report.partition("Notes:")[2]
    # the frozen arm skips D's update: fewer FLOPs per step than the plain trainer's (GFLOP/step column)
    assert 0 < float(table["trainer_frozen"][4]) < float(table["trainer"][4])
