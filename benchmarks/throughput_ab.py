"""Has a change cost training speed? The throughput benchmark, run alternately on a baseline
commit (checked out in a temporary git worktree) and on this checkout, in the same session.

    python benchmarks/throughput_ab.py --baseline b31ffbc --rounds 3 --out benchmarks/results/throughput_ab

Each round runs ``train_step_throughput.py`` once per tree (fixed steps, 3 interleaved
repeats, one process), alternating which tree goes first, so drift in the machine's speed
falls on both. Writes every run's folder (``old_<round>``, ``new_<round>``), the pooled
``results.csv`` and ``results.md``: median steps/s per tree, the new/old ratio per round, and
each tree's trainer × naive ratio.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
FLAGS = ["--repeats", "3", "--processes", "1", "--batches", "8", "64", "--steps", "8=60", "64=10"]


def run(tree: Path, out: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    cmd = [sys.executable, "benchmarks/train_step_throughput.py", *FLAGS, "--out", str(out)]
    with open(out.with_suffix(".log"), "w") as log:
        subprocess.run(cmd, cwd=tree, env=env, stdout=log, stderr=subprocess.STDOUT, check=True)


def pooled(out: Path) -> pd.DataFrame:
    frames = []
    for f in sorted(out.glob("*_*/results.csv")):
        tree, round_ = f.parent.name.split("_")
        frames.append(pd.read_csv(f).assign(tree=tree, round=int(round_)))
    return pd.concat(frames, ignore_index=True)


def render(df: pd.DataFrame, baseline: str, argv: list[str], head: str) -> str:
    med = df.groupby(["method", "batch", "tree"])["steps_per_s"].median().unstack()
    lines = ["# Training speed: baseline commit vs this checkout", "",
             f"- `python benchmarks/throughput_ab.py {' '.join(argv)}`",
             f"- old: commit {baseline}; new: this checkout ({head}). Each run: `train_step_throughput.py {' '.join(FLAGS)}`.",
             "", "| method | batch | old steps/s | new steps/s | new / old |", "| --- | ---: | ---: | ---: | ---: |"]
    for (method, batch), r in med.iterrows():
        lines.append(f"| {method} | {batch} | {r['old']:.2f} | {r['new']:.2f} | {r['new'] / r['old']:.3f} |")
    lines += ["", "Per round (trainer, new / old of the round's medians) and each tree's trainer × naive:", "",
              "| batch | new / old per round | trainer × naive, old | trainer × naive, new |",
              "| ---: | --- | ---: | ---: |"]
    for batch in sorted(df["batch"].unique()):
        t = df[(df.method == "trainer") & (df.batch == batch)].groupby(["round", "tree"]).steps_per_s.median().unstack()
        per_round = ", ".join(f"{v:.3f}" for v in t["new"] / t["old"])
        speedup = {tree: med.loc[("trainer", batch), tree] / med.loc[("naive", batch), tree] for tree in ("old", "new")}
        lines.append(f"| {batch} | {per_round} | {speedup['old']:.2f}× | {speedup['new']:.2f}× |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--baseline", required=True, help="git commit to compare with")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "throughput_ab"))
    args = p.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "baseline"
        subprocess.run(["git", "worktree", "add", "-f", "--detach", str(old), args.baseline], cwd=ROOT, check=True)
        try:
            for r in range(1, args.rounds + 1):
                order = ("old", "new") if r % 2 else ("new", "old")
                for tree in order:
                    run(old if tree == "old" else ROOT, out / f"{tree}_{r}")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT, check=False)
    df = pooled(out)
    df.to_csv(out / "results.csv", index=False)
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    (out / "results.md").write_text(render(df, args.baseline, argv, head.strip()))
    from mpgan.report import write_machine_record

    write_machine_record(out, command=["python", "benchmarks/throughput_ab.py", *argv])
    print((out / "results.md").read_text())


if __name__ == "__main__":
    main()
