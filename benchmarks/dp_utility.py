"""Utility and privacy of mpgan's table GAN trained with differential privacy, at several ε.

Protocol: for each table and seed, a stratified 70/30 split (``random_state=seed``); the
:class:`~mpgan.synthesizers.TabularSynthesizer` (its defaults, training seed = seed) is
fitted on the 70 % with DP-SGD calibrated to each target ε (``max_grad_norm`` 1.0, δ the
default min(1e-5, 1/(10 n))), or without privacy (ε = ∞), and samples as many rows as it
was fitted on. Utility: TSTR accuracy of logistic regression and a random forest on the
real 30 %, relative to TRTR. Privacy: :func:`mpgan.metrics.privacy.privacy_report`
against the training 70 % and the unseen 30 %.

    python benchmarks/dp_utility.py --jobs 2                       # 5 tables x 4 eps x 3 seeds
    python benchmarks/dp_utility.py --tables wine --epsilons 1 inf --seeds 1 --set train.epochs=2

Each finished cell is appended to ``cells.csv`` at once; running the command again skips
the cells already there (``--fresh`` starts over). Then ``results.md`` (means and 95 %
t-intervals over the seeds, which vary the split and the training seed together) and
``dp_utility.png``.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

import pandas as pd

from mpgan.report import write_machine_record

sys.path.insert(0, str(Path(__file__).resolve().parent))  # spawned workers import tabular_utility too
from tabular_utility import TABLES  # noqa: E402

EPSILONS = (1.0, 3.0, 10.0, math.inf)
PRIVACY = ("closer_to_train", "closer_to_train_ideal", "mia_distance_auc", "mia_density_auc",
           "exact_copies_synthetic")
KEY = ["table", "seed", "epsilon_target"]


def _worker_init() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)  # one core per cell with --jobs 2
    tf.config.threading.set_inter_op_parallelism_threads(1)


def run_cell(table: str, seed: int, epsilon: float, overrides: list[str]) -> list[dict]:
    """Fit, sample and score one (table, seed, ε) cell: one row per classifier."""
    import warnings

    from sklearn.model_selection import train_test_split

    from mpgan.metrics.privacy import privacy_report
    from mpgan.metrics.tabular import utility
    from mpgan.synthesizers import TabularSynthesizer

    warnings.simplefilter("ignore")
    from tabular_utility import load_table  # benchmarks/ is the script's folder

    df, target = load_table(table)
    train, test = train_test_split(df, test_size=0.3, random_state=seed, stratify=df[target])
    privacy = None if math.isinf(epsilon) else {"target_epsilon": epsilon, "max_grad_norm": 1.0}
    with tempfile.TemporaryDirectory(prefix="mpgan-dp-") as work:
        t0 = time.perf_counter()
        syn = TabularSynthesizer(target=target, overrides=overrides, seed=seed, privacy=privacy,
                                 run_dir=Path(work) / "run").fit(train)
        fit_s = time.perf_counter() - t0
        spent = syn.trainer.privacy_spent() or {"epsilon": math.inf, "noise_multiplier": 0.0, "delta": None}
        fake = syn.sample(len(train), seed=seed + 1000)
    util = utility(train, test, fake, target, seed=seed, categorical=[target])
    priv = privacy_report(train, test, fake, categorical=[target], seed=seed)
    return [{"table": table, "seed": seed, "epsilon_target": epsilon, "epsilon": spent["epsilon"],
             "delta": spent["delta"], "noise_multiplier": spent["noise_multiplier"],
             "classifier": r["classifier"], "accuracy_trtr": r["accuracy_trtr"],
             "accuracy_tstr": r["accuracy_tstr"], "ratio": r["accuracy_tstr"] / r["accuracy_trtr"],
             "fit_seconds": fit_s, "n_train": len(train), **{k: priv[k] for k in PRIVACY},
             "privacy_warnings": sum(v.startswith("warning") for v in priv["readings"].values())}
            for r in util.to_dict(orient="records")]


def interval(values: pd.Series) -> tuple[float, float]:
    """Mean and the half-width of a 95 % t-interval (0 for one value)."""
    from scipy import stats

    v = values.dropna().to_numpy(float)
    if len(v) < 2:
        return float(v.mean()) if len(v) else math.nan, 0.0
    return float(v.mean()), float(stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v)))


def majority_accuracy(table: str, seed: int) -> float:
    """Accuracy on the real 30 % of always answering the training part's most frequent class:
    the floor a TSTR accuracy must clear to mean anything."""
    from sklearn.model_selection import train_test_split
    from tabular_utility import load_table

    df, target = load_table(table)
    train, test = train_test_split(df, test_size=0.3, random_state=seed, stratify=df[target])
    return float((test[target] == train[target].mode()[0]).mean())


def summarise(cells: pd.DataFrame) -> pd.DataFrame:
    floors = {(t, s): majority_accuracy(t, s) for t, s in cells[["table", "seed"]].drop_duplicates().itertuples(index=False)}
    cells = cells.assign(accuracy_majority=[floors[(t, s)] for t, s in zip(cells["table"], cells["seed"], strict=True)])
    rows = []
    for (table, eps, clf), part in cells.groupby(["table", "epsilon_target", "classifier"], sort=False):
        ratio, ratio_hw = interval(part["ratio"])
        mia, mia_hw = interval(part["mia_distance_auc"])
        rows.append({"table": table, "epsilon_target": eps, "classifier": clf, "seeds": part["seed"].nunique(),
                     "epsilon": part["epsilon"].max(), "noise_multiplier": part["noise_multiplier"].mean(),
                     "trtr": part["accuracy_trtr"].mean(), "tstr": part["accuracy_tstr"].mean(),
                     "majority": part["accuracy_majority"].mean(),
                     "ratio": ratio, "ratio_hw": ratio_hw, "closer_to_train": part["closer_to_train"].mean(),
                     "closer_ideal": part["closer_to_train_ideal"].mean(), "mia_distance_auc": mia,
                     "mia_hw": mia_hw, "mia_density_auc": part["mia_density_auc"].mean(),
                     "warnings": part["privacy_warnings"].mean(), "fit_seconds": part["fit_seconds"].mean(),
                     "n_train": int(part["n_train"].iloc[0])})
    out = pd.DataFrame(rows)
    order = {t: i for i, t in enumerate(TABLES)}
    return out.sort_values(["table", "classifier", "epsilon_target"], key=lambda c: c.map(order) if c.name == "table"
                           else c).reset_index(drop=True)


def markdown(summary: pd.DataFrame, command: str, minutes: float) -> str:
    head = ("| table (train rows) | classifier | target ε | ε reached | noise σ | TSTR / TRTR (95 % CI) | "
            "TSTR acc (TRTR; majority class) | nearer to train (ideal) | MIA AUC distance (95 % CI) | "
            "MIA AUC density | warnings (of 5) | fit s |")
    lines = [head, "|" + "---|" * 12]
    for r in summary.itertuples():
        eps = "∞" if math.isinf(r.epsilon_target) else f"{r.epsilon_target:g}"
        reached = "∞" if math.isinf(r.epsilon) else f"{r.epsilon:.2f}"
        lines.append(f"| {r.table} ({r.n_train}) | {r.classifier} | {eps} | {reached} | {r.noise_multiplier:.2f} | "
                     f"{r.ratio:.3f} ± {r.ratio_hw:.3f} | {r.tstr:.3f} ({r.trtr:.3f}; {r.majority:.3f}) | "
                     f"{r.closer_to_train:.2f} ({r.closer_ideal:.2f}) | "
                     f"{r.mia_distance_auc:.2f} ± {r.mia_hw:.2f} | {r.mia_density_auc:.2f} | {r.warnings:.1f} | "
                     f"{r.fit_seconds:.0f} |")
    return "\n".join([
        "# Differentially private table GAN: utility and privacy at each ε", "",
        f"`{command}`; fitting took {minutes:.0f} min summed over the cells. Each row: mean over {int(summary['seeds'].max())} seeds; "
        "a seed sets the 70/30 split and the training seed together, so a ± (95 % t-interval) spans both. "
        "TSTR / TRTR: accuracy of the classifier trained on synthetic rows over the one trained on the real 70 %, "
        "both scored on the real 30 %. ε at δ = 1e-5 (RDP accountant) covers the discriminator's updates only "
        "(see the README for what it does not cover). MIA AUC 0.5 is ideal. *Majority class*: the accuracy of "
        "always answering the most frequent training class, the floor below which a classifier learned nothing. "
        "*fit s*: one core per cell, two cells at a time.", "", *lines, ""])


def figure(summary: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    part = summary[summary["classifier"] == summary["classifier"].iloc[0]]
    for table, rows in part.groupby("table", sort=False):
        x = [e if not math.isinf(e) else 30.0 for e in rows["epsilon_target"]]
        axes[0].errorbar(x, rows["ratio"], yerr=rows["ratio_hw"], marker="o", capsize=3, label=table)
        axes[1].errorbar(x, rows["mia_distance_auc"], yerr=rows["mia_hw"], marker="o", capsize=3, label=table)
    for ax, title in zip(axes, (f"TSTR / TRTR ({part['classifier'].iloc[0]})", "MIA AUC (distance attack)"),
                         strict=True):
        ax.set_xscale("log")
        ax.set_xticks([1, 3, 10, 30], ["1", "3", "10", "∞"])
        ax.set_xlabel("target ε")
        ax.set_title(title)
    axes[1].axhline(0.5, color="grey", lw=0.8, ls="--")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tables", nargs="+", default=list(TABLES), choices=TABLES)
    p.add_argument("--epsilons", nargs="+", type=float, default=list(EPSILONS), help="target ε values (inf: none)")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--jobs", type=int, default=1, help="cells trained at once (one core each)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override the GAN's config")
    p.add_argument("--fresh", action="store_true", help="ignore cells already in cells.csv")
    p.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "dp_utility"))
    args = p.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cells_path = out / "cells.csv"
    done = pd.read_csv(cells_path) if cells_path.exists() and not args.fresh else pd.DataFrame(columns=KEY)
    if args.fresh and cells_path.exists():
        cells_path.unlink()
    have = {(t, int(s), float(e)) for t, s, e in done[KEY].itertuples(index=False)}
    todo = [(t, s, e) for t in args.tables for e in args.epsilons for s in range(args.seeds) if (t, s, e) not in have]
    print(f"{len(todo)} cells to run, {len(have)} already in {cells_path}", flush=True)
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.jobs, mp_context=get_context("spawn"), initializer=_worker_init) as pool:
        futures = {pool.submit(run_cell, t, s, e, args.set): (t, s, e) for t, s, e in todo}
        for fut in as_completed(futures):
            rows = pd.DataFrame(fut.result())
            rows.to_csv(cells_path, mode="a", header=not cells_path.exists(), index=False)
            print(f"{futures[fut]} done ({time.perf_counter() - t0:.0f} s)", flush=True)
    cells = pd.read_csv(cells_path)
    cells = cells[cells["table"].isin(args.tables) & cells["epsilon_target"].isin(args.epsilons)
                  & (cells["seed"] < args.seeds)]
    summary = summarise(cells)
    summary.to_csv(out / "results.csv", index=False)
    command = "python benchmarks/dp_utility.py " + " ".join(argv)
    minutes = cells.drop_duplicates(KEY)["fit_seconds"].sum() / 60
    (out / "results.md").write_text(markdown(summary, command.strip(), minutes))
    write_machine_record(out)
    figure(summary, out / "dp_utility.png")
    print((out / "results.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
