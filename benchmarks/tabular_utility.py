"""Utility (train on synthetic, test on real) and privacy of mpgan's table GAN, two baselines
and two copying controls.

Protocol: for each table (scikit-learn's breast_cancer and wine, the
Palmer penguins table, and the larger affairs and rand_hie tables that ship with
statsmodels), each seed: a stratified 70/30 split; every synthesizer is
fitted on the 70 % only and samples as many rows as that part has; logistic regression
and a random forest are trained on those rows and scored on the real 30 % (TSTR), and
on the real 70 % (TRTR) for reference. Synthesizers: mpgan's ``TabularSynthesizer``
(defaults), a Gaussian copula and independent marginals, all in the same run; and two
controls a privacy report must flag, ``identity`` (the training rows themselves) and
``noisy_copy`` (training rows plus noise of 0.05 std), :class:`mpgan.synthesizers.CopyRows`.
Privacy (:func:`mpgan.metrics.privacy.privacy_report`) compares each synthesizer's rows
with the training 70 % and the unseen 30 %.

    python benchmarks/tabular_utility.py                 # 5 tables x 3 seeds
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

from mpgan.report import write_machine_record

TABLES = ("breast_cancer", "wine", "penguins", "affairs", "rand_hie")
SYNTHESIZERS = ("mpgan", "gaussian_copula", "independent_marginals")
CONTROLS = ("identity", "noisy_copy")  # copy the training rows: privacy must flag them
PRIVACY = ("closer_to_train", "closer_to_train_ideal", "dcr_synthetic_median", "dcr_holdout_median",
           "exact_copies_synthetic", "mia_distance_auc", "mia_density_auc")
#: Target: TSTR accuracy >= RATIO x TRTR, with both classifiers, on every table.
RATIO = 0.9


def load_table(name: str) -> tuple[pd.DataFrame, str]:
    """The table and its target column."""
    from mpgan.data import tabular

    packaged = {"penguins": (tabular.load_penguins, "species"), "affairs": (tabular.load_affairs, "affair"),
                "rand_hie": (tabular.load_rand_hie, "health"), "diamonds": (tabular.load_diamonds, "cut")}
    if name in packaged:
        loader, target = packaged[name]
        return loader(), target
    from sklearn import datasets

    loader = {"breast_cancer": datasets.load_breast_cancer, "wine": datasets.load_wine}[name]
    return loader(as_frame=True).frame, "target"


def run_one(table: str, seed: int, overrides: list[str], work: Path, numeric: str = "standard") -> list[dict]:
    from sklearn.model_selection import train_test_split

    from mpgan.metrics.privacy import privacy_report
    from mpgan.metrics.tabular import utility
    from mpgan.synthesizers import (
        CopyRows,
        GaussianCopula,
        IndependentMarginals,
        TabularSynthesizer,
    )

    df, target = load_table(table)
    train, test = train_test_split(df, test_size=0.3, random_state=seed, stratify=df[target])
    rows = []
    for name in SYNTHESIZERS + CONTROLS:
        t0 = time.perf_counter()
        if name == "mpgan":
            syn = TabularSynthesizer(target=target, overrides=overrides, seed=seed, numeric=numeric,
                                     run_dir=work / f"{table}_{seed}").fit(train)
        elif name == "gaussian_copula":
            syn = GaussianCopula().fit(train)
        elif name == "independent_marginals":
            syn = IndependentMarginals().fit(train)
        else:
            syn = CopyRows(noise=0.0 if name == "identity" else 0.05).fit(train)
        fit_s = time.perf_counter() - t0
        fake = syn.sample(len(train), seed=seed + 1000)
        util = utility(train, test, fake, target, seed=seed, categorical=[target])
        priv = privacy_report(train, test, fake, categorical=[target], seed=seed)
        for r in util.to_dict(orient="records"):
            rows.append({"table": table, "seed": seed, "synthesizer": name, "classifier": r["classifier"],
                         "accuracy_trtr": r["accuracy_trtr"], "accuracy_tstr": r["accuracy_tstr"],
                         "macro_f1_trtr": r["macro_f1_trtr"], "macro_f1_tstr": r["macro_f1_tstr"],
                         "fit_seconds": fit_s, "n_train": len(train), "n_test": len(test),
                         **{k: priv[k] for k in PRIVACY},
                         "privacy_warnings": sum(v.startswith("warning") for v in priv["readings"].values())})
    return rows


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Means (and std) over seeds per table, synthesizer and classifier."""
    g = results.groupby(["table", "classifier", "synthesizer"], sort=False)
    out = g.agg(trtr=("accuracy_trtr", "mean"), tstr=("accuracy_tstr", "mean"), tstr_std=("accuracy_tstr", "std"),
                f1_trtr=("macro_f1_trtr", "mean"), f1_tstr=("macro_f1_tstr", "mean"),
                fit_seconds=("fit_seconds", "mean"), seeds=("seed", "nunique")).reset_index()
    out["ratio"] = out["tstr"] / out["trtr"]
    return out


def summarise_privacy(results: pd.DataFrame) -> pd.DataFrame:
    """Privacy means over seeds per table and synthesizer (one classifier's rows: privacy
    does not depend on the classifier)."""
    first = results[results["classifier"] == results["classifier"].iloc[0]]
    g = first.groupby(["table", "synthesizer"], sort=False)
    return g.agg(**{k: (k, "mean") for k in (*PRIVACY, "privacy_warnings")},
                 mia_distance_auc_std=("mia_distance_auc", "std")).reset_index()


def verdict(summary: pd.DataFrame) -> tuple[bool, list[str]]:
    """Does mpgan reach RATIO x TRTR and beat both baselines, per table and classifier?"""
    lines, ok_all = [], True
    for (table, clf), part in summary.groupby(["table", "classifier"], sort=False):
        by = part.set_index("synthesizer")
        gan = by.loc["mpgan"]
        base = max(by.loc[b, "tstr"] for b in SYNTHESIZERS[1:] if b in by.index)  # controls excluded
        ok = gan["ratio"] >= RATIO and gan["tstr"] > base
        ok_all &= bool(ok)
        lines.append(f"{table} / {clf}: TSTR {gan['tstr']:.3f} = {gan['ratio']:.3f} x TRTR "
                     f"(target {RATIO}), best baseline {base:.3f}: {'met' if ok else 'MISSED'}")
    return ok_all, lines


def privacy_markdown(priv: pd.DataFrame) -> list[str]:
    head = ("| table | synthesizer | nearer to train (ideal) | DCR median synth / holdout | exact copies | "
            "MIA AUC distance (± std) | MIA AUC density | warnings (of 5) |")
    rows = [head, "|" + "---|" * 8]
    for r in priv.itertuples():
        std = 0 if np.isnan(r.mia_distance_auc_std) else r.mia_distance_auc_std
        rows.append(f"| {r.table} | {r.synthesizer} | {r.closer_to_train:.2f} ({r.closer_to_train_ideal:.2f}) | "
                    f"{r.dcr_synthetic_median:.2f} / {r.dcr_holdout_median:.2f} | {r.exact_copies_synthetic:.1%} | "
                    f"{r.mia_distance_auc:.2f} ± {std:.2f} | {r.mia_density_auc:.2f} | {r.privacy_warnings:.1f} |")
    return ["## Privacy: synthetic rows against the training 70 % and the unseen 30 %", "",
            "Distances: Euclidean on z-scored numeric and one-hot categorical columns (fitted on the training "
            "rows). *Nearer to train*: share of synthetic rows nearer to a training row than to an unseen one; "
            "a synthesizer that copies nobody sits at the training rows' share (ideal, in brackets). MIA AUC: "
            "0.5 is ideal; ± is the std over the seeds' splits. Warnings: readings past their threshold "
            "(`mpgan.metrics.privacy.THRESHOLDS`), mean over seeds. `identity` and `noisy_copy` are controls "
            "that copy the training rows.", "", *rows, ""]


def markdown(summary: pd.DataFrame, lines: list[str], args: argparse.Namespace, seconds: float,
             privacy: list[str] = ()) -> str:
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
        *[f"- {line}" for line in lines], "", *privacy])


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
    text = markdown(summary, lines, args, time.perf_counter() - t0, privacy_markdown(summarise_privacy(results)))
    (out / "results.md").write_text(text)
    write_machine_record(out)
    print(text)
    print(f"wrote {out / 'results.csv'} and {out / 'results.md'}")
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
