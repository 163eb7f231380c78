"""The canary audit (``mpgan audit``) on non-private, DP and deliberately broken runs: does
it catch what leaks, and does an honest DP run stay below its ε?

Runs, each one training with 200 canaries (each included with probability 1/2):

- ``none``: no privacy;
- ``dp1``, ``dp3``, ``dp10``: DP-SGD at target ε 1, 3, 10 (``max_grad_norm`` 1);
- ``broken``: DP-SGD at target ε 1 whose noise is switched off (the accountant still says
  ε 1), the bug the audit is there to catch.

Tables: ``small``, 30 rows of scikit-learn's wine (a different 30 per seed) trained for
the full budget (``train.epochs=30``, batch 32), which a GAN overfits; and ``breast_cancer``,
the whole table at the synthesizer's defaults. DP runs declare the table's ranges and labels
public (``public_draft``), so their ε covers DP-SGD and the class counts.

    python benchmarks/privacy_audit.py

Writes ``results.csv`` (one row per table, run and seed) and ``results.md``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

from mpgan.report import write_machine_record

OUT = Path(__file__).resolve().parent / "results" / "privacy_audit"
MODES = ("none", "dp1", "dp3", "dp10", "broken")
TABLES = {"small": ["train.epochs=30", "train.batch_size=32"], "breast_cancer": []}


def load(table: str, seed: int) -> pd.DataFrame:
    from sklearn.datasets import load_breast_cancer, load_wine

    if table == "small":
        return load_wine(as_frame=True).frame.sample(30, random_state=seed).reset_index(drop=True)
    return load_breast_cancer(as_frame=True).frame


def run_one(table: str, mode: str, seed: int, work: Path) -> dict[str, Any]:
    import mpgan.training.privacy as dp
    from mpgan.audit import audit_synthesizer
    from mpgan.data.private import public_draft
    from mpgan.synthesizers import TabularSynthesizer

    df = load(table, seed)
    epsilon = {"dp1": 1.0, "dp3": 3.0, "dp10": 10.0, "broken": 1.0}.get(mode)
    # the table's ranges and labels declared public (the canaries are drawn inside them)
    privacy = {"target_epsilon": epsilon, "max_grad_norm": 1.0, "public": public_draft(df)} if epsilon else None
    honest = dp.clip_and_noise
    if mode == "broken":  # the noise switched off; the accountant does not know
        dp.clip_and_noise = lambda g, clip, std, den, normal: honest(g, clip, 0.0, den, normal)
    try:
        t0 = time.perf_counter()
        syn = TabularSynthesizer(target="target", seed=seed, privacy=privacy, overrides=TABLES[table],
                                 run_dir=work / f"{table}_{mode}_{seed}")
        result = audit_synthesizer(df, syn, target="target", seed=seed)
        seconds = time.perf_counter() - t0
    finally:
        dp.clip_and_noise = honest
    r = result.to_dict()
    return {"table": table, "run": mode, "seed": seed, "rows": len(df), "seconds": seconds,
            **{k: r[k] for k in ("epsilon_lower", "claimed_epsilon", "delta", "auc", "guesses", "correct",
                                 "included", "canaries", "best_possible", "verdict")},
            "flagged": r["claimed_epsilon"] is not None and r["epsilon_lower"] > r["claimed_epsilon"]}


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tables", nargs="+", default=list(TABLES), choices=list(TABLES))
    p.add_argument("--runs", nargs="+", default=list(MODES), choices=MODES)
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--out", default=str(OUT))
    args = p.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = pd.read_csv(out / "results.csv").to_dict(orient="records") if (out / "results.csv").is_file() else []
    have = {(r["table"], r["run"], r["seed"]) for r in rows}
    with tempfile.TemporaryDirectory() as tmp:
        for table in args.tables:
            for seed in args.seeds:
                for mode in args.runs:
                    if (table, mode, seed) in have:
                        continue
                    rows.append(run_one(table, mode, seed, Path(tmp)))
                    r = rows[-1]
                    print(f"{table} {mode} seed {seed}: lower bound {r['epsilon_lower']:.3f} (claimed "
                          f"{r['claimed_epsilon']}), AUC {r['auc']:.3f}, {r['seconds']:.0f} s", flush=True)
                    pd.DataFrame(rows).to_csv(out / "results.csv", index=False)  # resumable
    results = pd.DataFrame(rows)
    summary = results.groupby(["table", "run"], sort=False).agg(
        seeds=("seed", "count"), epsilon_lower_mean=("epsilon_lower", "mean"), epsilon_lower_max=("epsilon_lower", "max"),
        claimed=("claimed_epsilon", "first"), auc=("auc", "mean"), flagged=("flagged", "sum")).reset_index()
    from mpgan.report.markdown import markdown_table

    (out / "results.md").write_text("# Canary audit\n\n`python benchmarks/privacy_audit.py " + " ".join(argv)
                                    + "`\n\n" + markdown_table(summary, digits=3) + "\n")
    write_machine_record(out, command=["python", "benchmarks/privacy_audit.py", *argv])
    print((out / "results.md").read_text())


if __name__ == "__main__":
    main()
