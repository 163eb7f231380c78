"""Train-on-synthetic / test-on-real utility of mpgan's table GAN against two baselines.

Protocol (issue #5): for each table (scikit-learn's breast_cancer and wine, and the
Palmer penguins table), each seed: a stratified 70/30 split; every synthesizer is
fitted on the 70 % only and samples as many rows as that part has; logistic regression
and a random forest are trained on those rows and scored on the real 30 % (TSTR), and
on the real 70 % (TRTR) for reference. Synthesizers: mpgan's ``TabularSynthesizer``
(defaults), a Gaussian copula and independent marginals, all in the same run.

    python benchmarks/tabular_utility.py                 # 3 tables x 3 seeds (~6 min)
    python benchmarks/tabular_utility.py --tables wine --seeds 1 --set train.epochs=5

Writes ``results.csv`` (one row per table, seed, synthesizer, classifier),
``results.md`` (means over seeds, ratios to TRTR, the target check) and prints the table.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

TABLES = ("breast_cancer", "wine", "penguins")
SYNTHESIZERS = ("mpgan", "gaussian_copula", "independent_marginals")
#: Target: TSTR accuracy >= RATIO x TRTR, with both classifiers, on every table.
RATIO = 0.9


def load_table(name: str) -> tuple[pd.DataFrame, str]:
    """The table and its target column."""
    if name == "penguins":
        from mpgan.data.tabular import load_penguins

        return load_penguins(), "species"
    from sklearn import datasets

    loader = {"breast_cancer": datasets.load_breast_cancer, "wine": datasets.load_wine}[name]
    return loader(as_frame=True).frame, "target"


def run_one(table: str, seed: int, overrides: list[str], work: Path, numeric: str = "standard") -> list[dict]:
    from sklearn.model_selection import train_test_split

    from mpgan.metrics.tabular import utility
    from mpgan.synthesizers import GaussianCopula, IndependentMarginals, TabularSynthesizer

    df, target = load_table(table)
    train, test = train_test_split(df, test_size=0.3, random_state=seed, stratify=df[target])
    rows = []
    for name in SYNTHESIZERS:
        t0 = time.perf_counter()
        if name == "mpgan":
            syn = TabularSynthesizer(target=target, overrides=overrides, seed=seed, numeric=numeric,
                                     run_dir=work / f"{table}_{seed}").fit(train)
        elif name == "gaussian_copula":
            syn = GaussianCopula().fit(train)
        else:
            syn = IndependentMarginals().fit(train)
        fit_s = time.perf_counter() - t0
        fake = syn.sample(len(train), seed=seed + 1000)
        util = utility(train, test, fake, target, seed=seed, categorical=[target])
        for r in util.to_dict(orient="records"):
            rows.append({"table": table, "seed": seed, "synthesizer": name, "classifier": r["classifier"],
                         "accuracy_trtr": r["accuracy_trtr"], "accuracy_tstr": r["accuracy_tstr"],
                         "macro_f1_trtr": r["macro_f1_trtr"], "macro_f1_tstr": r["macro_f1_tstr"],
                         "fit_seconds": fit_s, "n_train": len(train), "n_test": len(test)})
    return rows


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Means (and std) over seeds per table, synthesizer and classifier."""
    g = results.groupby(["table", "classifier", "synthesizer"], sort=False)
    out = g.agg(trtr=("accuracy_trtr", "mean"), tstr=("accuracy_tstr", "mean"), tstr_std=("accuracy_tstr", "std"),
                f1_trtr=("macro_f1_trtr", "mean"), f1_tstr=("macro_f1_tstr", "mean"),
                fit_seconds=("fit_seconds", "mean"), seeds=("seed", "nunique")).reset_index()
    out["ratio"] = out["tstr"] / out["trtr"]
    return out


def verdict(summary: pd.DataFrame) -> tuple[bool, list[str]]:
    """Does mpgan reach RATIO x TRTR and beat both baselines, per table and classifier?"""
    lines, ok_all = [], True
    for (table, clf), part in summary.groupby(["table", "classifier"], sort=False):
        by = part.set_index("synthesizer")
        gan = by.loc["mpgan"]
        base = max(by.loc[b, "tstr"] for b in SYNTHESIZERS[1:] if b in by.index)
        ok = gan["ratio"] >= RATIO and gan["tstr"] > base
        ok_all &= bool(ok)
        lines.append(f"{table} / {clf}: TSTR {gan['tstr']:.3f} = {gan['ratio']:.3f} x TRTR "
                     f"(target {RATIO}), best baseline {base:.3f}: {'met' if ok else 'MISSED'}")
    return ok_all, lines


def markdown(summary: pd.DataFrame, lines: list[str], args: argparse.Namespace, seconds: float) -> str:
    head = "| table | classifier | synthesizer | TRTR acc | TSTR acc (± std) | ratio | TRTR F1 | TSTR F1 | fit s |"
    rows = [head, "|" + "---|" * 9]
    for r in summary.itertuples():
        rows.append(f"| {r.table} | {r.classifier} | {r.synthesizer} | {r.trtr:.3f} | {r.tstr:.3f} ± "
                    f"{0 if np.isnan(r.tstr_std) else r.tstr_std:.3f} | {r.ratio:.3f} | {r.f1_trtr:.3f} | "
                    f"{r.f1_tstr:.3f} | {r.fit_seconds:.1f} |")
    return "\n".join([
        "# Tabular utility: train on synthetic, test on real", "",
        f"`python benchmarks/tabular_utility.py {' '.join(args.argv)}`: tables {', '.join(args.tables)}, "
        f"seeds {args.seeds}, stratified 70/30 split per seed; means over seeds. Total {seconds / 60:.1f} min.", "",
        *rows, "", "## Target: TSTR accuracy >= 0.9 x TRTR and above both baselines", "",
        *[f"- {line}" for line in lines], ""])


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tables", nargs="+", default=list(TABLES), choices=TABLES)
    p.add_argument("--seeds", type=int, default=3, help="number of seeds (splits), default 3")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override the GAN's config, e.g. --set train.epochs=10")
    p.add_argument("--numeric", default="standard", choices=["mode", "standard", "minmax"],
                   help="the GAN's numeric encoding (default: z-scores, as TabularSynthesizer)")
    p.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    p.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "tabular_utility"))
    args = p.parse_args(argv)
    args.argv = argv
    out = Path(args.out)
    t0 = time.perf_counter()
    rows = []
    work = Path(tempfile.mkdtemp(prefix="mpgan-tabular-"))
    try:
        for table in args.tables:
            for seed in range(args.seeds):
                rows += run_one(table, seed, args.set, work, args.numeric)
                print(f"{table} seed {seed} done ({time.perf_counter() - t0:.0f} s)", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results = pd.DataFrame(rows)
    summary = summarise(results)
    ok, lines = verdict(summary)
    out.mkdir(parents=True, exist_ok=True)
    results.to_csv(out / "results.csv", index=False)
    text = markdown(summary, lines, args, time.perf_counter() - t0)
    (out / "results.md").write_text(text)
    print(text)
    print(f"wrote {out / 'results.csv'} and {out / 'results.md'}")
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
