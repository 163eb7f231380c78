"""Differentially private table synthesis side by side: mpgan's DP-GAN, MST and AIM, at several ε.

Protocol: for each table and seed, a stratified 70/30 split (``random_state=seed``). Every
method gets the same public information: each number column's range and each label
column's labels in the 70 % (:func:`mpgan.data.private.public_draft`). The benchmark
declares them public, as a user with a codebook would; they are not protected.

- ``mpgan``, ``mpgan_small``: :class:`~mpgan.synthesizers.TabularSynthesizer` (training
  seed = seed) with ``privacy`` target ε, which covers DP-SGD and the noisy class counts
  together, ``max_grad_norm`` 1.0 and δ the default min(1e-5, 1/(10 n)); ``mpgan`` with the
  tabular config's discriminator (hidden [256, 256]) and 3,000 steps, ``mpgan_small`` with
  a [64] discriminator and 1,000 steps (:data:`MPGAN`). At ε = ∞ they train without
  privacy.
- ``mst``, ``aim``: smartnoise-synth's MST and AIM (the ``dp-baselines`` extra), numbers
  in 20 even bins between the public bounds, at the same ε and δ.

Each synthetic table (as many rows as the 70 %) is scored by
:func:`mpgan.metrics.tables.score_table`: column shapes, pair trends, TSTR/TRTR with
logistic regression and a random forest on the real 30 %, and the privacy report.

    python benchmarks/dp_utility.py --epsilons 3 --synthesizers mpgan mpgan_small mst --jobs 2
    python benchmarks/dp_utility.py --epsilons 3 --synthesizers aim --tables wine penguins affairs rand_hie --jobs 2
    python benchmarks/dp_utility.py --epsilons 1 10 --synthesizers mpgan mst --jobs 2
    python benchmarks/dp_utility.py --tables wine --synthesizers mst --epsilons 3 --seeds 1

Each cell runs in a fresh process and is appended to ``cells.csv`` when it finishes; the
command run again skips the cells already there (``--fresh`` starts over). Then
``results.md`` (means with 95 % t-intervals over the seeds, which vary the split and the
training seed together) and ``machine.json``.
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
SYNTHESIZERS = ("mpgan", "mpgan_small", "mst", "aim")
#: Each mpgan variant's settings, named so its cells mean the same whatever the shipped
#: defaults: the tabular config's discriminator and budget, and a small discriminator
#: trained a third as long (DP-SGD's noise grows with the square root of the parameters it
#: is added to, so fewer parameters keep more signal).
MPGAN = {"mpgan": ["discriminator.params.hidden=[256,256]", "train.epochs=30"],
         "mpgan_small": ["discriminator.params.hidden=[64]", "train.epochs=10"]}
BINS = 20
SCORES = ("column_shapes", "pair_trends", "tstr_trtr_logistic_regression", "tstr_trtr_random_forest",
          "closer_to_train", "exact_copies", "mia_auc", "privacy_warnings")
KEY = ["table", "seed", "synthesizer", "epsilon_target"]


def _worker_init() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=1")
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)  # one core per cell with --jobs 2
    tf.config.threading.set_inter_op_parallelism_threads(1)


def smartnoise(method: str, train: pd.DataFrame, public: dict, epsilon: float, delta: float,
               seed: int) -> pd.DataFrame:
    """``len(train)`` rows from smartnoise-synth's ``method`` fitted on ``train``, numbers
    binned between the public bounds, with the training columns' dtypes."""
    import numpy as np
    from snsynth import Synthesizer
    from snsynth.transform import BinTransformer, LabelTransformer, TableTransformer

    np.random.seed(seed)  # MST and AIM draw with NumPy's global generator
    columns = []
    for c in train.columns:
        if c in public["bounds"]:
            lo, hi = public["bounds"][c]
            columns.append(BinTransformer(bins=BINS, lower=lo, upper=hi, nullable=c in public["missing"]))
        else:
            columns.append(LabelTransformer(nullable=bool(train[c].isna().any())))
    synth = Synthesizer.create(method, epsilon=epsilon, delta=delta, verbose=False)
    synth.fit(train, transformer=TableTransformer(columns), preprocessor_eps=0.0)
    fake = pd.DataFrame(synth.sample(len(train)), columns=train.columns)
    for c in train.columns:  # back to the training dtypes (bins come back as floats)
        if pd.api.types.is_integer_dtype(train[c].dtype):
            fake[c] = pd.to_numeric(fake[c]).round().astype(train[c].dtype)
        elif pd.api.types.is_float_dtype(train[c].dtype):
            fake[c] = pd.to_numeric(fake[c])
    return fake


def run_cell(table: str, seed: int, synthesizer: str, epsilon: float, overrides: list[str]) -> dict:
    """Fit, sample and score one (table, seed, synthesizer, ε) cell."""
    import warnings

    from sklearn.model_selection import train_test_split

    from mpgan.data.private import default_delta, public_draft
    from mpgan.metrics.tables import score_table, table_kinds

    warnings.simplefilter("ignore")
    from tabular_utility import load_table  # benchmarks/ is the script's folder

    df, target = load_table(table)
    train, test = train_test_split(df, test_size=0.3, random_state=seed, stratify=df[target])
    public = public_draft(train, categorical=[target])
    delta = default_delta(len(train))
    t0 = time.perf_counter()
    spent = {"epsilon": epsilon, "noise_multiplier": float("nan")}
    if synthesizer in MPGAN:
        from mpgan.synthesizers import TabularSynthesizer

        privacy = None if math.isinf(epsilon) else {"target_epsilon": epsilon, "max_grad_norm": 1.0,
                                                     "public": public}
        with tempfile.TemporaryDirectory(prefix="mpgan-dp-") as work:
            syn = TabularSynthesizer(target=target, overrides=MPGAN[synthesizer] + overrides, seed=seed, privacy=privacy,
                                     run_dir=Path(work) / "run").fit(train)
            spent = syn.trainer.privacy_spent() or {"epsilon": math.inf, "noise_multiplier": 0.0}
            fake = syn.sample(len(train), seed=seed + 1000)
    else:
        fake = smartnoise(synthesizer, train, public, epsilon, delta, seed)
    fit_s = time.perf_counter() - t0
    scored = score_table(train, test, fake, target, table_kinds(train, target), seed)
    majority = float((test[target] == train[target].mode()[0]).mean())
    return {"table": table, "seed": seed, "synthesizer": synthesizer, "epsilon_target": epsilon,
            "epsilon": spent["epsilon"], "delta": delta, "noise_multiplier": spent["noise_multiplier"],
            "n_train": len(train), "fit_seconds": fit_s, **{k: scored["headline"][k] for k in SCORES},
            "closer_to_train_ideal": scored["privacy"]["closer_to_train_ideal"],
            "accuracy_majority": majority}


def render(cells: pd.DataFrame, command: str) -> str:
    from mpgan.intervals import mean_interval

    lines = ["# Differentially private table synthesis side by side", "", f"`{command}`", "",
             "Mean over seeds; ± is the half-width of the 95 % t-interval over the seeds (a seed sets the split "
             "and the training seed together).", "",
             "| table | synthesizer | ε | " + " | ".join(SCORES) + " | fit s |", "|---|---|---:|" + "---:|" * (len(SCORES) + 1)]
    for (table, name, eps), part in cells.groupby(["table", "synthesizer", "epsilon_target"], sort=False):
        out = []
        for key in (*SCORES, "fit_seconds"):
            iv = mean_interval(part[key].tolist())
            half = (iv.high - iv.low) / 2 if len(part) > 1 else float("nan")
            out.append(f"{iv.mean:.3f}" + (f" ± {half:.3f}" if half == half else ""))
        lines.append(f"| {table} | {name} | {eps:g} | " + " | ".join(out) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tables", nargs="+", default=list(TABLES), choices=TABLES)
    p.add_argument("--synthesizers", nargs="+", default=list(SYNTHESIZERS), choices=SYNTHESIZERS)
    p.add_argument("--epsilons", nargs="+", type=float, default=list(EPSILONS),
                   help="target ε values (inf: mpgan without privacy)")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--jobs", type=int, default=1, help="cells run at once (one core each)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override the GAN's config")
    p.add_argument("--fresh", action="store_true", help="ignore cells already in cells.csv")
    p.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "dp_utility"))
    args = p.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cells_path = out / "cells.csv"
    if args.fresh and cells_path.exists():
        cells_path.unlink()
    done = pd.read_csv(cells_path) if cells_path.exists() else pd.DataFrame(columns=KEY)
    have = {(t, int(s), n, float(e)) for t, s, n, e in done[KEY].itertuples(index=False)}
    todo = [(t, s, n, e) for e in args.epsilons for n in args.synthesizers for t in args.tables
            for s in range(args.seeds) if (t, s, n, e) not in have and not (math.isinf(e) and n not in MPGAN)]
    print(f"{len(todo)} cells to run, {len(have)} already in {cells_path}", flush=True)
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.jobs, mp_context=get_context("spawn"), initializer=_worker_init,
                             max_tasks_per_child=1) as pool:  # a fresh process per cell: TensorFlow or JAX
        futures = {pool.submit(run_cell, *cell, args.set): cell for cell in todo}
        for fut in as_completed(futures):
            try:
                row = fut.result()
            except Exception as exc:  # one failing cell is reported, the others go on
                print(f"{futures[fut]} failed: {type(exc).__name__}: {exc}", flush=True)
                continue
            pd.DataFrame([row]).to_csv(cells_path, mode="a", header=not cells_path.exists(), index=False)
            print(f"{futures[fut]} done ({time.perf_counter() - t0:.0f} s): TSTR/TRTR LR "
                  f"{row['tstr_trtr_logistic_regression']:.3f}", flush=True)
    cells = pd.read_csv(cells_path)
    command = " ".join(["python benchmarks/dp_utility.py", *argv]).strip()
    (out / "results.md").write_text(render(cells, command))
    write_machine_record(out, command=["python", "benchmarks/dp_utility.py", *argv])
    print((out / "results.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
