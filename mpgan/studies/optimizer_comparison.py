"""MP-GAN experiment 1 (seed 004, Fig. 5): the same GAN trained with SGD, Adam, RMSprop,
and SGD swapped for Adam half-way. Is Adam better, as the article saw by eye?

Each setting over several seeds: FID and missing digits every 2 epochs (band over seeds),
wall time per epoch, and sample grids from the same latent points at early, middle and
late epochs side by side.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from . import digits as D
from .common import (
    config_path,
    mean_std,
    n_seeds,
    output_dir,
    report,
    run_settings,
    study_parser,
    train_run,
    write_results,
)

NAME = "optimizer_comparison"
EPOCHS = 12
SGD = "{name: sgd, learning_rate: 0.01}"  # Keras' SGD default, as the article's MP-GAN code used
RMSPROP = "{name: rmsprop, learning_rate: 0.0002}"


def settings(epochs: int) -> dict[str, list[str]]:
    half = max(1, epochs // 2)
    return {
        "sgd": [f"train.g_optimizer={SGD}", f"train.d_optimizer={SGD}"],
        "adam": [],  # the config's Adam(2e-4, beta_1 0.5)
        "rmsprop": [f"train.g_optimizer={RMSPROP}", f"train.d_optimizer={RMSPROP}"],
        "sgd_then_adam": [f"train.g_optimizer={SGD}", f"train.d_optimizer={SGD}",
                          f"train.swaps=[{{at_epoch: {half}, g_optimizer: {{name: adam}}, "
                          f"d_optimizer: {{name: adam}}}}]"],
    }


def run_one(setting: str, seed: int, run_dir: str, quick: bool, dataset: str, epochs: int) -> dict[str, Any]:
    """Train one setting with one seed (picklable for --jobs)."""
    snaps = D.GridSnapshots(D.chosen_epochs(epochs))
    every = 1 if quick else 2
    sets = [f"seed={seed}", f"name={setting}", *D.EVAL, *D.dataset_sets(dataset, quick),
            f"train.epochs={epochs}", f"eval.every={every}", f"train.checkpoint_every={epochs}",
            *settings(epochs)[setting]]
    trainer = train_run(config_path(D.BASE), sets, Path(run_dir), callbacks=[snaps])
    return {"rows": D.epoch_rows(trainer, setting=setting, seed=seed), "images": snaps.images}


def summarize(results: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    last = results[results["epoch"] == results["epoch"].max()]
    cols = [c for c in ("fid", "missing_digits") if c in last.columns]
    table = mean_std(last, "setting", cols, digits=2)
    steady = results[results["epoch"] > 1] if results["epoch"].max() > 1 else results  # epoch 1 holds tracing
    secs = mean_std(steady, "setting", ["seconds"], digits=2)
    table["seconds per epoch"] = secs["seconds"].to_numpy()
    best = last.groupby("setting")["fid"].mean().idxmin() if "fid" in last else "?"
    notes = (f"Final epoch ({int(results['epoch'].max())}), mean ± std over seeds; FID from the digit "
             f"classifier's features; seconds per epoch leave out epoch 1 (tracing). Lowest final FID: {best}.")
    return table, notes


def run(out: str | Path | None = None, quick: bool = False, seeds: int = 3, jobs: int = 1,
        dataset: str = "digits", epochs: int | None = None, only: Sequence[str] | None = None) -> Path:
    epochs = D.study_epochs(epochs, quick, EPOCHS)
    with output_dir(NAME, out) as folder:
        D.warm_extractor(dataset, quick, jobs)
        outputs = run_settings(run_one, folder, only or settings(epochs), seeds, jobs, quick=quick,
                               dataset=dataset, epochs=epochs)
        results = pd.concat([o["rows"] for o in outputs.values()], ignore_index=True)
        table, notes = summarize(results)
        D.image_figures(folder, results, outputs, missing=True)
        write_results(folder, results, table, title="Optimizer comparison (MP-GAN experiment 1)", notes=notes,
                      digits=2)
    return folder


def main(argv: Sequence[str] | None = None) -> int:
    p = study_parser(NAME, __doc__.split("\n\n")[0])
    p.add_argument("--dataset", default="digits", choices=list(D.DATASETS),
                   help="digits (embedded, 16x16) or mnist (local files, 28x28)")
    p.add_argument("--epochs", type=int, help=f"epochs per run (default {EPOCHS}; 2 with --quick)")
    p.add_argument("--settings", nargs="+", choices=list(settings(EPOCHS)), help="only these settings")
    args: argparse.Namespace = p.parse_args(argv)
    folder = run(args.out, args.quick, n_seeds(args), args.jobs, args.dataset, args.epochs, args.settings)
    return report(folder)
