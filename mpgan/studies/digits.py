"""Shared pieces of the MP-GAN image studies (seed 004): the base run, quick mode,
dataset choice, sample snapshots from fixed latents, and per-epoch tables.

The studies run the MP-GAN generator/discriminator pair from
``experiments/configs/digits_mpgan.yaml`` on the embedded digits at 16x16 (a third of
the 28x28 cost, so several settings x 3 seeds fit in ~15 minutes on 2 CPU cores);
``--dataset mnist`` trains on local MNIST files at 28x28 instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..training.callbacks import Callback

BASE = "digits_mpgan"
DATASETS = {
    "digits": ["data.params.size=16"],
    "mnist": ["data=mnist", "data.params={}"],
}
EVAL = ["eval.metrics=[fid, mode_coverage]", "eval.n=500", "train.sample_every=0"]
QUICK = ["data.params.limit=256", "train.batch_size=32", "train.steps_per_epoch=4",
         "generator.params.latent_dim=16", "eval.n=64", "train.n_samples=16"]
METRICS = {"metric.fid.value": "fid", "metric.mode_coverage.n_missing": "missing_digits",
           "metric.mode_coverage.entropy": "class_entropy"}


def study_epochs(epochs: int | None, quick: bool, default: int) -> int:
    """``--epochs``, or the study's default (2 with --quick); a positive integer."""
    from ..errors import ConfigError

    epochs = epochs if epochs is not None else (2 if quick else default)
    if epochs < 1:
        raise ConfigError(f"--epochs must be a positive integer, got {epochs}")
    return epochs


def dataset_sets(name: str, quick: bool) -> list[str]:
    from ..errors import ConfigError

    if name not in DATASETS:
        raise ConfigError(f"--dataset must be one of {', '.join(DATASETS)}, got {name!r}")
    small = ["data.params.size=8"] if name == "digits" else []  # quick digits: 8x8, their native size
    return [*DATASETS[name], *((small + QUICK) if quick else [])]


class GridSnapshots(Callback):
    """The generator's images for the run's fixed latents (same seed, same latents) at chosen epochs."""

    def __init__(self, epochs):
        self.epochs = set(epochs)
        self.images: dict[int, np.ndarray] = {}

    def on_epoch_end(self, trainer, epoch: int, logs: dict[str, Any]) -> None:
        if epoch in self.epochs:
            x = trainer.generate(trainer.fixed_latents[:16])
            self.images[epoch] = trainer.dataset.inverse_transform(x)


def chosen_epochs(epochs: int) -> list[int]:
    """Early, middle and late (the article looked at epochs 10 and 50)."""
    return sorted({1, max(1, epochs // 4), max(1, epochs // 2), epochs})


def epoch_rows(trainer, **labels: Any) -> pd.DataFrame:
    """The run's epochs.csv reduced to epoch, wall time and the study metrics, with labels."""
    ep = trainer.epochs_table()
    keep = {"epoch": "epoch", "seconds": "seconds", **{k: v for k, v in METRICS.items() if k in ep.columns}}
    df = ep[list(keep)].rename(columns=keep)
    for k, v in reversed(list(labels.items())):
        df.insert(0, k, v)
    return df


def warm_extractor(dataset: str, quick: bool, jobs: int) -> None:
    """Train (or load) the FID feature extractor once, before worker processes start, so
    that parallel runs all load the same cached extractor instead of each training one."""
    if jobs <= 1:
        return
    from ..config import load_config
    from ..metrics.features import classifier_extractor
    from .common import config_path

    cfg = load_config(config_path(BASE), dataset_sets(dataset, quick))
    params = {k: v for k, v in cfg.data.params.items() if k != "limit"}
    classifier_extractor(cfg.data.name, params, seed=0)


def image_figures(out, results: pd.DataFrame, outputs: dict, missing: bool = True) -> None:
    """FID (and missing digits) against epoch with a band over seeds, and the first seed's
    sample grids from the same latents, one row per setting, one column per chosen epoch."""
    from .. import plots

    fig = out / "figures"
    if "fid" in results:
        plots.plot_metric_bands(results.dropna(subset=["fid"]), "epoch", "fid", "setting", fig / "fid_vs_epoch.png",
                                ylabel="FID (lower is better)", logy=True)
    if missing and "missing_digits" in results:
        plots.plot_metric_bands(results.dropna(subset=["missing_digits"]), "epoch", "missing_digits", "setting",
                                fig / "missing_digits_vs_epoch.png", ylabel="digits under half their share")
    first = min(s for _, s in outputs)
    names = [k for k, s in outputs if s == first]
    epochs = sorted(outputs[(names[0], first)]["images"])
    rows = [[outputs[(n, first)]["images"][e] for e in epochs] for n in names]
    plots.save_image_table(rows, fig / "samples_by_epoch.png", names, [f"epoch {e}" for e in epochs], ncols=4)
