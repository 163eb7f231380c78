"""How long mpgan's table GAN should train, by table size: fidelity, utility and nearness
to the training rows at several training budgets, on the same splits as
``synthesizer_comparison.py``.

A fixed number of updates means many passes over a small table, and the generator starts
to reproduce its rows: the share of synthetic rows nearer to a training row than to an
unseen one climbs above its ideal. This measures, per table, what fewer updates cost in
fidelity and utility and what they buy in nearness.

    python benchmarks/table_budget.py --tables breast_cancer wine penguins --steps 3000 1500 750 375

``--steps auto`` is the synthesizer's default budget for the table. Writes ``results.csv``
(one row per table, seed and budget) and ``results.md`` (means with 95 % t-intervals).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tabular_utility import load_table  # noqa: E402

from mpgan.report import write_machine_record  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "table_budget"
SCORES = ("column_shapes", "pair_trends", "tstr_trtr_logistic_regression", "tstr_trtr_random_forest",
          "nearer_to_train_excess", "privacy_warnings")


def run_one(table: str, seed: int, steps: str, work: Path) -> dict[str, Any]:
    from sklearn.model_selection import train_test_split

    from mpgan.metrics.tables import score_table, table_kinds
    from mpgan.synthesizers import TabularSynthesizer

    df, target = load_table(table)
    train, test = train_test_split(df, test_size=0.3, random_state=seed, stratify=df[target])
    overrides = [] if steps == "auto" else [f"train.epochs={int(steps) // 100}", "train.steps_per_epoch=100"]
    t0 = time.perf_counter()
    syn = TabularSynthesizer(target=target, seed=seed, run_dir=work / f"{table}_{seed}_{steps}",
                             overrides=overrides).fit(train)
    fake = syn.sample(len(train), seed=seed)
    seconds = time.perf_counter() - t0
    t = syn.trainer.config.train
    scored = score_table(train, test, fake, target, table_kinds(train, target), seed)
    privacy = scored["privacy"]
    return {"table": table, "seed": seed, "steps": steps, "updates": t.epochs * t.steps_per_epoch,
            "batch_size": t.batch_size, "n_train": len(train),
            "passes": t.epochs * t.steps_per_epoch * t.batch_size / len(train), "seconds": seconds,
            **scored["headline"], "closer_to_train_ideal": privacy["closer_to_train_ideal"],
            "nearer_to_train_excess": privacy["closer_to_train"] - privacy["closer_to_train_ideal"]}


def render(results: pd.DataFrame, argv: list[str]) -> str:
    from mpgan.intervals import mean_interval

    lines = ["# Training budget by table size", "", f"`python benchmarks/table_budget.py {' '.join(argv)}`", "",
             "Mean over seeds [95 % t-interval].", "",
             "| table | steps | updates | passes | " + " | ".join(SCORES) + " |", "|---|---|---:|---:|" + "---:|" * len(SCORES)]
    for (table, steps), part in results.groupby(["table", "steps"], sort=False):
        cells = []
        for key in SCORES:
            iv = mean_interval(part[key].tolist())
            cells.append(f"{iv.mean:.3f} [{iv.low:.3f}, {iv.high:.3f}]" if iv.n > 1 else f"{iv.mean:.3f}")
        lines.append(f"| {table} | {steps} | {part['updates'].iloc[0]} | {part['passes'].mean():.0f} | "
                     + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tables", nargs="+", default=["breast_cancer", "wine", "penguins"])
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--steps", nargs="+", default=["3000", "1500", "750", "375"],
                   help="training updates per fit (multiples of 100), or auto: the synthesizer's default")
    p.add_argument("--out", default=str(OUT))
    args = p.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = pd.read_csv(out / "results.csv", dtype={"steps": str}).to_dict(orient="records") \
        if (out / "results.csv").is_file() else []
    have = {(r["table"], r["seed"], str(r["steps"])) for r in rows}
    with tempfile.TemporaryDirectory() as tmp:
        for table in args.tables:
            for seed in args.seeds:
                for steps in args.steps:
                    if (table, seed, steps) in have:
                        continue
                    rows.append(run_one(table, seed, steps, Path(tmp)))
                    r = rows[-1]
                    print(f"{table} seed {seed} steps {steps}: shapes {r['column_shapes']:.3f}, nearer excess "
                          f"{r['nearer_to_train_excess']:+.3f}, LR {r['tstr_trtr_logistic_regression']:.3f}",
                          flush=True)
                    pd.DataFrame(rows).to_csv(out / "results.csv", index=False)  # resumable
    results = pd.DataFrame(rows)
    (out / "results.md").write_text(render(results, argv))
    write_machine_record(out, command=["python", "benchmarks/table_budget.py", *argv])
    print((out / "results.md").read_text())


if __name__ == "__main__":
    main()
