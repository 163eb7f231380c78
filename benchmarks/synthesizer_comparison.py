"""mpgan's table GAN beside the synthesizers a user would pick instead, on the same splits,
scored by mpgan's report and by SDMetrics' QualityReport (a scorer no one here wrote).

Synthesizers: ``mpgan`` (``TabularSynthesizer`` defaults), ``mpgan_mode`` (the same with
CTGAN's mode-specific normalisation, ``numeric="mode"``), ``ctgan`` (the ``ctgan`` package's
CTGAN through SDV's ``CTGANSynthesizer``, which handles missing values; its defaults), ``sdv_copula`` (SDV's ``GaussianCopulaSynthesizer``, its defaults) and
``mpgan_copula`` (:class:`mpgan.baselines.GaussianCopula`). The heavy ones need the
``baselines`` extra (``pip install -e ".[baselines]"``, which pulls PyTorch).

Protocol: each table and seed, a stratified 70/30 split; every synthesizer is fitted on the
70 % only and samples as many rows; :func:`mpgan.metrics.tables.score_table` scores them against
the 70 % and the unseen 30 % (column shapes, pair trends on all pairs, TSTR/TRTR with logistic
regression and a random forest, privacy), and SDMetrics' ``QualityReport`` gives its column
shapes and column pair trends.

    python benchmarks/synthesizer_comparison.py --tables breast_cancer wine penguins --seeds 0 1 2

Writes ``results.csv`` (one row per table, seed and synthesizer) and ``results.md`` (means over
seeds with 95 % t-intervals).
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

OUT = Path(__file__).resolve().parent / "results" / "synthesizer_comparison"
SYNTHESIZERS = ("mpgan", "ctgan", "sdv_copula", "mpgan_copula", "mpgan_mode")
#: Tables used through a fixed random sample of their rows (the same for every seed), so CTGAN
#: fits in minutes per seed on 2 cores; still 10,000 rows.
ROWS = {"diamonds": 10_000}
SCORES = ("column_shapes", "pair_trends", "tstr_trtr_logistic_regression", "tstr_trtr_random_forest",
          "closer_to_train", "exact_copies", "mia_auc", "privacy_warnings", "sdm_column_shapes",
          "sdm_column_pair_trends")


def fit_sample_apart(name: str, train: pd.DataFrame, target: str, seed: int, work: Path) -> pd.DataFrame:
    """:func:`fit_sample` in a fresh process: PyTorch (CTGAN, SDV) and TensorFlow (mpgan) in one
    process crash it once both have run."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(fit_sample, name, train, target, seed, work).result()


def fit_sample(name: str, train: pd.DataFrame, target: str, seed: int, work: Path) -> pd.DataFrame:
    """``len(train)`` rows from synthesizer ``name`` fitted on ``train``."""
    n = len(train)
    if name in ("mpgan", "mpgan_mode"):
        from mpgan.synthesizers import TabularSynthesizer

        numeric = "mode" if name == "mpgan_mode" else "standard"
        return TabularSynthesizer(target=target, seed=seed, numeric=numeric,
                                  run_dir=work / name).fit(train).sample(n, seed=seed)
    if name == "mpgan_copula":
        from mpgan.baselines import GaussianCopula

        return GaussianCopula().fit(train).sample(n, seed=seed)
    import torch

    torch.manual_seed(seed)
    if name == "ctgan":  # the ctgan package's CTGAN behind SDV's preprocessing (missing values, dtypes)
        from sdv.single_table import CTGANSynthesizer

        model = CTGANSynthesizer(_metadata(train))
        model.fit({"table": train})
        out = model.sample(n)
        return (out["table"] if isinstance(out, dict) else out)[list(train.columns)]
    from sdv.single_table import GaussianCopulaSynthesizer

    model = GaussianCopulaSynthesizer(_metadata(train))
    model.fit({"table": train})
    out = model.sample(n)
    return (out["table"] if isinstance(out, dict) else out)[list(train.columns)]


def _metadata(train: pd.DataFrame) -> Any:
    from sdv.metadata import Metadata

    return Metadata.detect_from_dataframes({"table": train})


def sdmetrics_quality(train: pd.DataFrame, synthetic: pd.DataFrame) -> dict[str, float]:
    from sdmetrics.reports import QualityReport

    report = QualityReport()
    report.generate({"table": train}, {"table": synthetic}, _metadata(train).to_dict(), verbose=False)
    props = report.get_properties().set_index("Property")["Score"]
    return {"sdm_column_shapes": float(props["Column Shapes"]),
            "sdm_column_pair_trends": float(props["Column Pair Trends"])}


def run_one(table: str, seed: int, synthesizers: tuple[str, ...], work: Path) -> list[dict[str, Any]]:
    from sklearn.model_selection import train_test_split

    from mpgan.metrics.tables import score_table, table_kinds

    df, target = load_table(table)
    if table in ROWS:
        df = df.sample(ROWS[table], random_state=0).reset_index(drop=True)
    train, test = train_test_split(df, test_size=0.3, random_state=seed, stratify=df[target])
    kinds = table_kinds(train, target)
    rows = []
    for name in synthesizers:
        t0 = time.perf_counter()
        fake = fit_sample_apart(name, train, target, seed, work / f"{table}_{seed}_{name}")
        fit_s = time.perf_counter() - t0
        scored = score_table(train, test, fake, target, kinds, seed)
        scores = scored["headline"]
        rows.append({"table": table, "seed": seed, "synthesizer": name, "n_train": len(train), "n_test": len(test),
                     "fit_sample_seconds": fit_s, **scores,
                     "closer_to_train_ideal": scored["privacy"]["closer_to_train_ideal"],
                     **sdmetrics_quality(train, fake)})
        print(f"{table} seed {seed} {name}: {fit_s:.0f} s, shapes {scores['column_shapes']:.3f}, "
              f"TSTR/TRTR LR {scores['tstr_trtr_logistic_regression']:.3f}", flush=True)
    return rows


def render(results: pd.DataFrame, argv: list[str]) -> str:
    from mpgan.intervals import mean_interval

    lines = ["# Table synthesizers side by side", "", f"`python benchmarks/synthesizer_comparison.py {' '.join(argv)}`",
             "", "Mean over seeds; ± is the half-width of the 95 % t-interval over the seeds.", "",
             "| table | synthesizer | " + " | ".join(SCORES) + " |", "|---|---|" + "---:|" * len(SCORES)]
    for (table, name), part in results.groupby(["table", "synthesizer"], sort=False):
        cells = []
        for key in SCORES:
            iv = mean_interval(part[key].tolist())
            half = (iv.high - iv.low) / 2 if len(part) > 1 else float("nan")
            cells.append(f"{iv.mean:.3f}" + (f" ± {half:.3f}" if half == half else ""))
        lines.append(f"| {table} | {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tables", nargs="+",
                   default=["breast_cancer", "wine", "penguins", "affairs", "rand_hie", "diamonds"])
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--synthesizers", nargs="+", default=list(SYNTHESIZERS), choices=SYNTHESIZERS)
    p.add_argument("--out", default=str(OUT))
    args = p.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    done = pd.read_csv(out / "results.csv") if (out / "results.csv").is_file() else pd.DataFrame()
    rows = done.to_dict(orient="records")
    have = {(r["table"], r["seed"], r["synthesizer"]) for r in rows}
    with tempfile.TemporaryDirectory() as tmp:
        for table in args.tables:
            for seed in args.seeds:
                todo = tuple(s for s in args.synthesizers if (table, seed, s) not in have)
                if todo:
                    rows += run_one(table, seed, todo, Path(tmp))
                    pd.DataFrame(rows).to_csv(out / "results.csv", index=False)  # resumable
    results = pd.DataFrame(rows)
    (out / "results.md").write_text(render(results, argv))
    write_machine_record(out, command=["python", "benchmarks/synthesizer_comparison.py", *argv])
    print((out / "results.md").read_text())


if __name__ == "__main__":
    main()
