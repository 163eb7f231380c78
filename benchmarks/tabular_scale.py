"""Fit time and peak memory of the table GAN, and the memory of sampling a million rows
streamed in chunks against the same rows made at once (the baseline, same run).

For each table, three fresh processes (so peaks do not mix):

- ``fit``: the :class:`~mpgan.synthesizers.TabularSynthesizer` with its defaults
  (30 epochs x 100 steps at batch 64, so the number of updates does not grow with the
  table) on the whole table; wall time, and peak resident memory above the process's
  memory once TensorFlow and the table are loaded;
- ``stream``: the fitted run writes 1,000,000 rows to CSV with ``sample_chunks``
  (100,000 rows at a time), as ``mpgan synthesize --rows 1000000 --out x.csv`` does;
- ``whole``: the same rows decoded and written in one piece (``chunk_rows=1,000,000``).

Peaks are Linux's VmHWM after resetting it (``/proc/self/clear_refs``) just before the
measured step.

    python benchmarks/tabular_scale.py                  # 5 tables (~20 min on 2 cores)
    python benchmarks/tabular_scale.py --tables wine --rows 100000 --set train.epochs=1
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from mpgan.report import write_machine_record

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tabular_utility import TABLES, load_table  # noqa: E402


def _status(field: str) -> float:
    """A /proc/self/status memory field, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status (Linux only)")


def _reset_peak() -> float:
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    return _status("VmRSS")


def measure(stage: str, table: str, run_dir: str, rows: int, overrides: list[str]) -> dict:
    """One stage in this process: returns seconds and peak MB above the start."""
    import warnings

    import tensorflow as tf  # noqa: F401  (loaded before the baseline is taken)

    from mpgan.synthesizers import TabularSynthesizer

    warnings.simplefilter("ignore")
    if stage == "fit":
        df, target = load_table(table)
        syn = TabularSynthesizer(target=target, overrides=overrides, run_dir=run_dir)
        base = _reset_peak()
        t0 = time.perf_counter()
        syn.fit(df)
        return {"seconds": time.perf_counter() - t0, "peak_mb": _status("VmHWM") - base, "rows": len(df),
                "steps": int(syn.trainer.step.numpy())}
    syn = TabularSynthesizer.load(run_dir)
    syn.sample(1000)  # warm: traced functions and caches exist before the baseline
    chunk = 100_000 if stage == "stream" else rows
    out = Path(run_dir).parent / f"{stage}.csv"
    base = _reset_peak()
    t0 = time.perf_counter()
    for i, part in enumerate(syn.sample_chunks(rows, chunk_rows=chunk)):
        part.to_csv(out, mode="w" if i == 0 else "a", header=i == 0, index=False)
    seconds = time.perf_counter() - t0
    peak = _status("VmHWM") - base
    out.unlink()
    return {"seconds": seconds, "peak_mb": peak}


def run_stage(stage: str, table: str, run_dir: Path, rows: int, overrides: list[str]) -> dict:
    cmd = [sys.executable, __file__, "--stage", stage, "--tables", table, "--run-dir", str(run_dir),
           "--rows", str(rows), *sum((["--set", o] for o in overrides), [])]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{stage} on {table} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def markdown(results: pd.DataFrame, command: str, rows: int) -> str:
    head = ("| table | rows | fit s | fit s per 1,000 rows | fit s per 1,000 steps | fit peak MB | "
            f"sample {rows:,} streamed: s / peak MB | at once: s / peak MB | memory at once ÷ streamed |")
    lines = [head, "|" + "---|" * 9]
    for r in results.itertuples():
        lines.append(f"| {r.table} | {r.rows:,} | {r.fit_seconds:.0f} | {r.fit_seconds / r.rows * 1000:.1f} | "
                     f"{r.fit_seconds / r.steps * 1000:.1f} | {r.fit_peak_mb:.0f} | "
                     f"{r.stream_seconds:.0f} / {r.stream_peak_mb:.0f} | {r.whole_seconds:.0f} / "
                     f"{r.whole_peak_mb:.0f} | {r.whole_peak_mb / r.stream_peak_mb:.1f} |")
    return "\n".join([
        "# Table GAN: fit time, fit memory, and sampling a million rows", "", f"`{command}`, 2 cores. "
        "Peak MB: resident memory above the process's own once TensorFlow and the table are loaded. The fit runs "
        "a fixed number of steps, so its time per 1,000 rows falls as tables grow; per 1,000 steps is the "
        "comparable rate.", "", *lines, ""])


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tables", nargs="+", default=list(TABLES), choices=TABLES)
    p.add_argument("--rows", type=int, default=1_000_000, help="rows to sample (default a million)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override the GAN's config")
    p.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "tabular_scale"))
    p.add_argument("--stage", choices=["fit", "stream", "whole"], help=argparse.SUPPRESS)
    p.add_argument("--run-dir", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.stage:  # a child process: one measurement, printed as JSON
        print(json.dumps(measure(args.stage, args.tables[0], args.run_dir, args.rows, args.set)))
        return 0
    rows = []
    with tempfile.TemporaryDirectory(prefix="mpgan-scale-") as work:
        for table in args.tables:
            run = Path(work) / table / "run"
            run.parent.mkdir()
            fit = run_stage("fit", table, run, args.rows, args.set)
            stream = run_stage("stream", table, run, args.rows, args.set)
            whole = run_stage("whole", table, run, args.rows, args.set)
            rows.append({"table": table, "rows": fit["rows"], "steps": fit["steps"], "fit_seconds": fit["seconds"],
                         "fit_peak_mb": fit["peak_mb"], "stream_seconds": stream["seconds"],
                         "stream_peak_mb": stream["peak_mb"], "whole_seconds": whole["seconds"],
                         "whole_peak_mb": whole["peak_mb"]})
            print(rows[-1], flush=True)
    results = pd.DataFrame(rows)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results.to_csv(out / "results.csv", index=False)
    text = markdown(results, "python benchmarks/tabular_scale.py " + " ".join(argv), args.rows)
    (out / "results.md").write_text(text)
    write_machine_record(out)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
