"""Seed 003: N(10, 1) from N(0, 2) latents; the discriminator before and after.

Seed 003's normal toy: data N(10, 1), latent N(0, 2). What does the discriminator see
before and after training, and how many real and generated samples does it call real?

Two settings over several seeds: ``seed`` (seed 003's models: a linear generator and a
logistic-regression discriminator) and ``mlp`` (mpgan's toy MLPs, same data and latent).
Before and after training: histograms of real vs generated, the discriminator's
probability of "real" as a function of x with the 0.5 threshold, the counts of 5000 real
and 5000 generated samples it classifies as real (the seed reports 5000 and 1425 before
training), and the generated mean, std and KS distance to N(10, 1).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..training.callbacks import Callback
from .base import Study, StudyRun, register
from .common import config_path, mean_std, train_run

NAME = "normal_toy"
SETTINGS: dict[str, list[str]] = {
    "seed": [],
    "mlp": ["generator.params={latent_dim: 1, hidden: [16, 16]}", "discriminator.params={hidden: [16, 16, 16]}",
            "train.g_optimizer.learning_rate=0.002", "train.d_optimizer.learning_rate=0.002"],
}
QUICK = ["train.epochs=3", "data.params.n=2048"]
N = 5000  # samples counted on each side, as in seed 003
SEED_COUNTS = {"real_as_real": 5000, "fake_as_real": 1425}  # seed 003, before training


def _measure(trainer, stage: str, seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
    from scipy import stats as st

    from ..metrics.stats import ks_1samp

    cfg = trainer.config.data.params
    mu, sd = float(cfg.get("mean", 10.0)), float(cfg.get("std", 1.0))
    real = trainer.dataset.x[:N].ravel()
    fake = trainer.sample(len(real), seed=20_000 + seed).ravel()
    D = trainer.discriminators[0]

    def prob(x):
        return 1 / (1 + np.exp(-np.asarray(D(x.reshape(-1, 1).astype(np.float32), training=False)).ravel()))

    p_real, p_fake = prob(real), prob(fake)
    lo = min(real.min(), fake.min(), mu - 5 * sd)
    hi = max(real.max(), fake.max(), mu + 5 * sd)
    xs = np.linspace(lo, hi, 400)
    row = {"stage": stage, "n": len(real),
           "real_as_real": int((p_real > 0.5).sum()), "fake_as_real": int((p_fake > 0.5).sum()),
           "mean_d_real": float(p_real.mean()), "mean_d_fake": float(p_fake.mean()),
           "gen_mean": float(fake.mean()), "gen_std": float(fake.std(ddof=1)),
           "ks": ks_1samp(fake, st.norm(mu, sd))["ks"]}
    view = {"real": real, "fake": fake, "xs": xs, "d": prob(xs), "stage": stage}
    return row, view


class _Before(Callback):
    """Measures the untrained models when training begins."""

    def __init__(self, seed: int):
        self.seed = seed
        self.result = None

    def on_train_begin(self, trainer) -> None:
        self.result = _measure(trainer, "before", self.seed)


def run_one(setting: str, seed: int, run_dir: str, quick: bool) -> dict[str, Any]:
    """Train one setting with one seed; before/after measurements (picklable for --jobs)."""
    before = _Before(seed)
    sets = [f"seed={seed}", *SETTINGS[setting], *(QUICK if quick else [])]
    trainer = train_run(config_path(NAME), sets, Path(run_dir), callbacks=[before])
    after = _measure(trainer, "after", seed)
    rows = [dict(setting=setting, seed=seed, **r) for r, _ in (before.result, after)]
    return {"rows": rows, "views": [before.result[1], after[1]]}


def summarize(run: StudyRun) -> tuple[pd.DataFrame, str]:
    """Counts and statistics per setting and stage, mean ± std over seeds."""
    results = run.results
    counts = mean_std(results, ["setting", "stage"], ["real_as_real", "fake_as_real"], digits=0)
    rest = mean_std(results, ["setting", "stage"], ["mean_d_real", "mean_d_fake", "gen_mean", "gen_std", "ks"],
                    digits=3)
    table = pd.concat([counts, rest.drop(columns=["setting", "stage", "seeds"])], axis=1)
    n = int(results["n"].iloc[0])
    notes = [f"Counts are out of {n} real and {n} generated samples (D(x) > 0.5 = 'real'); mean ± std over "
             "seeds. Target: N(10, 1). Seed 003, before training: "
             f"{SEED_COUNTS['real_as_real']} real and {SEED_COUNTS['fake_as_real']} generated called real."]
    return table, "\n".join(notes)


def figures(run: StudyRun) -> None:
    """The first seed's histograms and discriminator, before and after training."""
    from .. import plots

    outputs = run.outputs
    first = min(seed for _, seed in outputs)
    panels = []
    for (setting, seed), res in outputs.items():
        if seed == first:
            panels.append([{**v, "title": f"{setting}, seed {seed}: {v['stage']} training"} for v in res["views"]])
    plots.plot_discriminator_views(panels, run.path / "figures" / "before_after.png")


STUDY = register(Study(
    name=NAME, doc=__doc__, title="Normal toy (seed 003)", run_one=run_one, summarize=summarize,
    figures=figures, settings=tuple(SETTINGS), quick=QUICK, configs=[NAME], digits=3, progress="stage"))
run, main = STUDY.run, STUDY.main
