"""MP-GAN experiment 1 (seed 004, Fig. 5): the reference GAN on MNIST trained with SGD,
Adam, and SGD swapped for Adam half-way (RMSprop on request), plus Adam with a modern
recipe (R1 + DiffAugment). Is Adam better, as the article saw by eye?

Each setting over several training seeds: FID and classes covered every 100 steps (band
over seeds), wall time per step, sample grids at the steps standing for the article's
epochs 10 and 50, and a verdict per claim with its interval.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from . import digits as D
from .common import (
    Execution,
    config_path,
    execution,
    n_seeds,
    output_dir,
    report,
    study_parser,
    train_run,
    write_results,
)
from .verdicts import claim, difference, mean_interval

NAME = "optimizer_comparison"
SGD = "{name: sgd, learning_rate: 0.01}"  # Keras' SGD default, as the article's MP-GAN code used
RMSPROP = "{name: rmsprop, learning_rate: 0.0002}"
DEFAULT_SETTINGS = ("adam", "sgd", "sgd_then_adam", "modern")


def settings(steps: int, every: int) -> dict[str, list[str]]:
    half = max(1, steps // every // 2)
    return {
        "adam": [],  # the config's Adam(2e-4, beta_1 0.5)
        "sgd": [f"train.g_optimizer={SGD}", f"train.d_optimizer={SGD}"],
        "sgd_then_adam": [f"train.g_optimizer={SGD}", f"train.d_optimizer={SGD}",
                          f"train.swaps=[{{at_epoch: {half}, g_optimizer: {{name: adam}}, "
                          f"d_optimizer: {{name: adam}}}}]"],
        "modern": list(D.MODERN),  # Adam + R1 + DiffAugment
        "rmsprop": [f"train.g_optimizer={RMSPROP}", f"train.d_optimizer={RMSPROP}"],
    }


def run_one(setting: str, seed: int, run_dir: str, quick: bool, data: str, steps: int) -> dict[str, Any]:
    """Train one setting with one seed (picklable for --jobs)."""
    snaps = D.GridSnapshots(D.article_checkpoints(steps, quick).values())
    sets = [f"name={setting}", *D.run_sets(data, quick, steps, seed),
            *settings(steps, D.eval_every(quick))[setting]]
    trainer = train_run(config_path(D.BASE), sets, Path(run_dir), callbacks=[snaps])
    return {"rows": D.checkpoint_rows(trainer, setting=setting, seed=seed), "images": snaps.images}


def claims(results: pd.DataFrame, checkpoints: dict[str, int]) -> list[str]:
    """The article's claims this study can decide, each with the interval that decides it."""
    late = checkpoints["epoch 50"]
    lines = ["| claim (MP-GAN article) | measured at step | difference, 95 % interval over training seeds | verdict |",
             "|---|---|---|---|"]
    names = set(results["setting"])
    if {"adam", "sgd"} <= names:
        for step in (checkpoints["epoch 10"], late):
            d = difference(D.at_step(results, step, "sgd", "fid"), D.at_step(results, step, "adam", "fid"))
            lines.append(f"| Adam beats SGD (lower FID) | {step} | FID(SGD) − FID(Adam) = {d.text()} | {claim(d)} |")
    if "adam" in names:
        miss = mean_interval(D.at_step(results, late, "adam", "missing_digits"))
        seeds = D.at_step(results, late, "adam", "missing_digits")
        if miss.n < 2:
            verdict = "not decided (one seed)"
        elif miss.low > 0:
            verdict = "reproduced"
        else:
            verdict = "partly (in some seeds)" if (seeds > 0).any() else "not reproduced"
        lines.append(f"| some digits are missing (Adam, the reference) | {late} | digits below half their share: "
                     f"{miss.text()} ({int((seeds > 0).sum())} of {len(seeds)} seeds miss one or more) | {verdict} |")
    if {"adam", "modern"} <= names:
        d = difference(D.at_step(results, late, "adam", "fid"), D.at_step(results, late, "modern", "fid"))
        lines.append(f"| (modern recipe) {D.MODERN_TEXT} improves on Adam alone | {late} | "
                     f"FID(Adam) − FID(modern) = {d.text()} | {claim(d)} |")
    return lines


def run(out: str | Path | None = None, quick: bool = False, seeds: int = 3, jobs: int | Execution = 1,
        data: str = "mnist", steps: int | None = None, only: Sequence[str] | None = None) -> Path:
    steps = D.study_steps(steps, quick)
    D.check_data(data)
    checkpoints = D.article_checkpoints(steps, quick)
    with output_dir(NAME, out, jobs, configs=[D.BASE]) as st:
        folder = st.path
        D.warm_extractor(data, quick)
        rungs = D.ladder(data, quick)
        outputs = st.run_settings(run_one, only or DEFAULT_SETTINGS, seeds, quick=quick,
                               data=data, steps=steps)
        results = pd.concat([o["rows"] for o in outputs.values()], ignore_index=True)
        table = D.checkpoint_table(results, checkpoints)
        D.image_figures(folder, results, outputs, checkpoints, rungs)
        notes = "\n".join([
            "Mean ± std over training seeds at the two checkpoints standing for the article's epochs; ms per step "
            "leaves out the first checkpoint (tracing).", "",
            D.scale_text(steps, checkpoints, D.batch_size(data, quick), D.eval_every(quick)),
            f"Data: {D.run_summary(data)}.", D.ladder_text(rungs, D.QUICK_EVAL_N if quick else D.EVAL_N), "",
            "## The article's claims", "", *claims(results, checkpoints), "",
            "\"not decided\": the 95 % interval of the difference contains 0. Intervals are Student-t over "
            f"training seeds ({seeds} per setting; differences paired by seed).",
        ])
        write_results(folder, results, table, title="Optimizer comparison (MP-GAN experiment 1)", notes=notes,
                      digits=2)
    return folder


def main(argv: Sequence[str] | None = None) -> int:
    p = D.add_image_options(study_parser(NAME, __doc__.split("\n\n")[0],
                                         settings=list(settings(D.DEFAULT_STEPS, D.EVAL_EVERY)),
                                         default_settings=DEFAULT_SETTINGS))
    args: argparse.Namespace = p.parse_args(argv)
    folder = run(args.out, args.quick, n_seeds(args), execution(args), args.data, args.steps, args.settings)
    return report(folder)
