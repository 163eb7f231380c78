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
    for method in ("trainer", "naive", "fit"):
        row = by_method[method]
        assert (row["batch"], row["repeat"], row["process"], row["steps"]) == ("8", "0", "0", "2")
        assert float(row["steps_per_s"]) > 0
    assert len(rows) == len(by_method)  # one measurement per method
    report = (out / "results.md").read_text()
    assert "| trainer | 8 |" in report and "| naive | 8 |" in report and "| fit | 8 |" in report
    # the frozen variant either ran or was skipped with a note saying why
    assert "| trainer_frozen | 8 |" in report or "trainer_frozen skipped" in report
