"""Seed 004, exp. 1: SGD vs Adam vs SGD->Adam vs a modern recipe (FID, coverage, time).

MP-GAN experiment 1 (seed 004, Fig. 5): the reference GAN on MNIST trained with SGD,
Adam, and SGD swapped for Adam half-way (RMSprop on request), plus Adam with a modern
recipe (R1 + DiffAugment). Is Adam better, as the article saw by eye?

Each setting over several training seeds: FID and classes covered every 100 steps (band
over seeds), wall time per step, sample grids at the steps standing for the article's
epochs 10 and 50, and a verdict per claim with its interval.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from . import digits
from .base import Study, StudyRun, register
from .common import config_path, train_run
from .verdicts import claim, difference, in_some_seeds, mean_interval

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
        "modern": list(digits.MODERN),  # Adam + R1 + DiffAugment
        "rmsprop": [f"train.g_optimizer={RMSPROP}", f"train.d_optimizer={RMSPROP}"],
    }


def run_one(setting: str, seed: int, run_dir: str, quick: bool, data: str, steps: int) -> dict[str, Any]:
    """Train one setting with one seed (picklable for --jobs)."""
    snaps = digits.GridSnapshots(digits.article_checkpoints(steps, quick).values())
    sets = [f"name={setting}", *digits.run_sets(data, quick, steps, seed),
            *settings(steps, digits.eval_every(quick))[setting]]
    trainer = train_run(config_path(digits.BASE), sets, Path(run_dir), callbacks=[snaps])
    return {"rows": digits.checkpoint_rows(trainer, setting=setting, seed=seed), "images": snaps.images}


def claims(results: pd.DataFrame, checkpoints: dict[str, int]) -> list[str]:
    """The article's claims this study can decide, each with the interval that decides it."""
    late = checkpoints["epoch 50"]
    lines = []
    names = set(results["setting"])
    if {"adam", "sgd"} <= names:
        for step in (checkpoints["epoch 10"], late):
            d = difference(digits.at_step(results, step, "sgd", "fid"), digits.at_step(results, step, "adam", "fid"))
            lines.append(f"| Adam beats SGD (lower FID) | {step} | FID(SGD) − FID(Adam) = {d.text()} | {claim(d)} |")
    if "adam" in names:
        seeds = digits.at_step(results, late, "adam", "missing_digits")
        miss = mean_interval(seeds)
        lines.append(f"| some digits are missing (Adam, the reference) | {late} | digits below half their share: "
                     f"{miss.text()} ({int((seeds > 0).sum())} of {len(seeds)} seeds miss one or more) | "
                     f"{in_some_seeds(miss, seeds)} |")
    if {"adam", "modern"} <= names:
        d = difference(digits.at_step(results, late, "adam", "fid"), digits.at_step(results, late, "modern", "fid"))
        lines.append(f"| (modern recipe) {digits.MODERN_TEXT} improves on Adam alone | {late} | "
                     f"FID(Adam) − FID(modern) = {d.text()} | {claim(d)} |")
    return lines


def summarize(run: StudyRun) -> tuple[pd.DataFrame, str]:
    """FID, classes covered and time per step at the two checkpoints, and the claims."""
    return digits.summary(run, claims(run.results, digits.checkpoints(run)))


def cells(run: StudyRun) -> dict[tuple[str, int], Any]:
    digits.begin(run)
    return run.run_settings()


STUDY = register(Study(
    name=NAME, doc=__doc__, title="Optimizer comparison (MP-GAN experiment 1)", run_one=run_one,
    summarize=summarize, figures=digits.figures, cells=cells, settings=tuple(settings(digits.DEFAULT_STEPS, digits.EVAL_EVERY)),
    default_settings=DEFAULT_SETTINGS, quick=digits.QUICK, defaults=digits.DEFAULTS, options=digits.OPTIONS, prepare=digits.prepare,
    configs=[digits.BASE], digits=2))
run, main = STUDY.run, STUDY.main
