"""Coin flips: a study defined outside mpgan, as a fork or a plugin would (one file).

How far from its bias does a coin's share of heads land, and is the biased coin's share
surely above the fair one's? No training, so it runs in a test in well under a second.
"""

import numpy as np
import pandas as pd

from mpgan.studies import Study, StudyRun, option, register
from mpgan.studies.common import mean_std
from mpgan.studies.verdicts import claim, difference

BIAS = {"fair": 0.5, "biased": 0.8}


def flip(setting: str, seed: int, flips: int) -> float:
    """The share of heads in ``flips`` flips of the setting's coin."""
    return float((np.random.default_rng(seed).random(flips) < BIAS[setting]).mean())


def run_one(setting: str, seed: int, run_dir: str, quick: bool, flips: int) -> dict:
    return {"rows": [{"setting": setting, "seed": seed, "flips": flips, "heads": flip(setting, seed, flips)}]}


def gap(results: pd.DataFrame):
    """biased − fair share of heads, paired by seed."""
    by = results.sort_values("seed")
    return difference(by[by.setting == "biased"]["heads"], by[by.setting == "fair"]["heads"])


def summarize(run: StudyRun) -> tuple[pd.DataFrame, str]:
    table = mean_std(run.results, "setting", ["heads"], digits=3)
    if set(run.settings) < set(BIAS):
        return table, ""
    d = gap(run.results)
    return table, f"biased − fair: {d.text(digits=3)}: {claim(d)}"


STUDY = register(Study(
    name="coin_flips_test", doc=__doc__, title="Coin flips", run_one=run_one, summarize=summarize,
    settings=tuple(BIAS), defaults={"flips": 10_000}, quick_defaults={"flips": 200},
    options=[option("--flips", type=int, help="flips per run (default 10000; 200 with --quick)")]))
run, main = STUDY.run, STUDY.main
