"""Do synthetic digits help a classifier trained on few real ones?

For k real labelled images per class (taken, seeded, from the train split) a small CNN
is trained four ways, with the same number of gradient steps each:

- ``real``: the k·C real images alone;
- ``real+gan``: plus N synthetic images per class from a class-conditional GAN trained
  on those same k·C images (``mnist_default.yaml``'s recipe, with DiffAugment because
  the GAN sees so few images);
- ``real+classic``: the real images with random shifts and rotations;
- ``real+gan+classic``: both.

Batches that mix real and synthetic images take half of each, so a few real images are
not drowned by many synthetic ones. Accuracy is measured on the held-out test split.
Each seed redraws the k images, the GAN and the classifier's initialisation, and the
four arms of one seed share them, so arms are compared seed by seed (paired).

For a GAN trained on the whole train split it also reports Shmelkov et al. (2018)'s
GAN-train (a classifier trained on synthetic images only, tested on real ones) and
GAN-test (a classifier trained on real images, applied to synthetic ones), beside
train-real/test-real.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError
from .base import Study, StudyRun, option, register
from .common import config_path, train_run
from .verdicts import mean_interval, verdict

NAME = "augmentation"
BASE = "mnist_default"
ARMS = ("real", "real+gan", "real+classic", "real+gan+classic")
K = (10, 50, 100)
FULL = {"gan_steps": 2000, "synthetic": 500, "classifier_steps": 1500, "full_gan_epochs": 64}
# quick: one compiled call per GAN (a 62-step epoch would trace a 50-step and a 12-step call)
QUICK = {"gan_steps": 40, "synthetic": 20, "classifier_steps": 60, "full_gan_epochs": 1, "full_gan_steps_per_epoch": 50}
QUICK_K = (2, 30)
GAN_SETS = ["train.augment={policy: [translation, cutout]}", "train.sample_every=0", "eval.every=0",
            "train.steps_per_call=50"]
BATCH = 64


# ---------------------------------------------------------------------- data


def load_splits(data: str) -> tuple[Any, Any]:
    """The labelled train and held-out test splits of ``data`` (an image dataset with a
    ``split`` parameter, such as mnist or fashion_mnist)."""
    from ..data import load_dataset, load_heldout

    train = load_dataset(data, split="train") if _has_split(data) else None
    if train is None:
        raise ConfigError(f"--data {data} has no train/test split; the augmentation study needs a labelled "
                          "image dataset with one, such as mnist or fashion_mnist")
    if train.y is None:
        raise DataError(f"--data {data} has no class labels; the augmentation study needs labelled images")
    test = load_heldout(data, {"split": "train"})
    if test is None:
        raise DataError(f"--data {data} has no held-out test split to measure accuracy on")
    return train, test


def _has_split(data: str) -> bool:
    import inspect

    from ..registry import DATASETS

    factory = DATASETS.get(data)  # unknown names raise UnknownNameError listing the known ones
    return "split" in inspect.signature(factory).parameters


def pick_per_class(y: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Indices of ``k`` images of every class, drawn without replacement (seeded)."""
    counts = np.bincount(y)
    if k < 1:
        raise ConfigError(f"--k must be positive integers, got {k}")
    if k > counts.min():
        raise ConfigError(f"k = {k} is more than the images available per class: the train split has "
                          f"{counts.min()} of class {int(counts.argmin())} (at most {counts.max()} of any class)")
    rng = np.random.default_rng(seed)
    return np.sort(np.concatenate([rng.choice(np.flatnonzero(y == c), k, replace=False)
                                   for c in range(len(counts))]))


# ---------------------------------------------------------------------- classifiers


def classic_augmentation():
    """Random shifts (up to 10 % of the size) and rotations (up to 15 degrees), the
    background (-1 in model space) filling the border."""
    import keras

    return keras.Sequential([
        keras.layers.RandomTranslation(0.1, 0.1, fill_mode="constant", fill_value=-1.0),
        keras.layers.RandomRotation(15 / 360, fill_mode="constant", fill_value=-1.0),
    ], name="classic_augmentation")


def batches(x: np.ndarray, y: np.ndarray, seed: int, extra: tuple[np.ndarray, np.ndarray] | None = None,
            classic: bool = False):
    """An endless tf.data stream of batches: real images, or half real and half ``extra``."""
    import tensorflow as tf

    def stream(a, b, s):
        return tf.data.Dataset.from_tensor_slices((a, b)).repeat().shuffle(len(a), seed=s)

    ds = stream(x, y, seed)
    if extra is not None:
        ds = tf.data.Dataset.sample_from_datasets([ds, stream(*extra, seed + 1)], weights=[0.5, 0.5],
                                                  seed=seed + 2)
    ds = ds.batch(BATCH)
    if classic:
        aug = classic_augmentation()
        ds = ds.map(lambda a, b: (aug(a, training=True), b))
    return ds.prefetch(2)


class FreshClassifier:
    """mpgan's small CNN for one seed, put back in its freshly built state before every fit.

    Every arm of a seed starts from the same initial weights. Building and compiling a new
    model per arm would give that too, but re-traces Keras' train step each time (about
    3.5 s on 2 cores, more than a quick run's training); restoring the variables of one
    compiled model, and the global random state the data pipeline draws its augmentation
    seeds from, gives the same starting point without the trace.
    """

    def __init__(self, spec, num_classes: int, seed: int):
        import random

        import keras

        from ..models.classifier import build_classifier

        self.seed = int(seed)
        keras.utils.set_random_seed(self.seed)
        self.model = build_classifier(spec, num_classes)
        self.model.compile(optimizer=keras.optimizers.Adam(1e-3),
                           loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        self.model.optimizer.build(self.model.trainable_variables)
        self._initial = [v.numpy() for v in self._variables()]
        self._random_state = (random.getstate(), np.random.get_state())

    def _variables(self) -> list:
        # model.variables includes the dropout layers' seed states, so dropout masks repeat too
        return [*self.model.variables, *self.model.optimizer.variables]

    def fit(self, x: np.ndarray, y: np.ndarray, steps: int,
            extra: tuple[np.ndarray, np.ndarray] | None = None, classic: bool = False):
        """``steps`` Adam steps of batch 64 on :func:`batches`, from the fresh state."""
        import random

        for variable, value in zip(self._variables(), self._initial, strict=True):
            variable.assign(value)
        random.setstate(self._random_state[0])
        np.random.set_state(self._random_state[1])
        self.model.fit(batches(x, y, self.seed, extra, classic), epochs=1, steps_per_epoch=steps,
                       shuffle=False, verbose=0)
        return self.model


def accuracy(model, x: np.ndarray, y: np.ndarray) -> float:
    logits = model.predict(x, batch_size=512, verbose=0)
    return float((logits.argmax(axis=1) == y).mean())


# ---------------------------------------------------------------------- GANs


def train_gan(x: np.ndarray, y: np.ndarray, run_dir: Path, seed: int, steps: int):
    """The conditional default recipe (+ DiffAugment) on these images, for ``steps`` steps."""
    from ..data import model_to_pixels

    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir.parent / f"{run_dir.name}_images.npz"
    np.savez(path, x=model_to_pixels(x), y=y)
    per_epoch = min(50, steps)
    sets = [f"seed={seed}", f"name={run_dir.name}", f"data={{name: image_array, params: {{path: '{path}'}}}}",
            f"train.steps_per_epoch={per_epoch}", f"train.epochs={max(1, steps // per_epoch)}",
            f"train.checkpoint_every={max(1, steps // per_epoch)}", *GAN_SETS,
            f"train.batch_size={min(32, len(x) - len(x) % 2)}"]  # k = 1 or 2 per class: fewer than 32 images
    return train_run(config_path(BASE), sets, run_dir)


def synthesize(trainer, per_class: int, num_classes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    labels = np.repeat(np.arange(num_classes), per_class)
    return trainer.generate(trainer.latents(len(labels), seed=seed, labels=labels)), labels


# ---------------------------------------------------------------------- cells


def run_k(k: int, seed: int, run_dir: str, data: str, budget: dict[str, int]) -> list[dict[str, Any]]:
    """One (k, seed) cell: draw k per class, train its GAN, then the four classifiers."""
    train, test = load_splits(data)
    idx = pick_per_class(train.y, k, seed)
    x, y = train.x[idx], train.y[idx]
    c = train.spec.num_classes
    gan = train_gan(x, y, Path(run_dir), seed, budget["gan_steps"])
    syn = synthesize(gan, budget["synthetic"], c, seed)
    rows = []
    classifier = FreshClassifier(train.spec, c, seed)
    for arm in ARMS:
        model = classifier.fit(x, y, budget["classifier_steps"], extra=syn if "gan" in arm else None,
                               classic="classic" in arm)
        rows.append({"k": k, "seed": seed, "arm": arm, "accuracy": accuracy(model, test.x, test.y),
                     "real_images": len(x), "synthetic_images": len(syn[0]) if "gan" in arm else 0})
    return rows


def run_full(seed: int, run_dir: str, data: str, budget: dict[str, int]) -> dict[str, Any]:
    """GAN-train and GAN-test of a conditional GAN trained on the whole train split."""
    train, test = load_splits(data)
    c = train.spec.num_classes
    sets = [f"seed={seed}", f"data.name={data}", "data.params={split: train}", *GAN_SETS,
            f"train.epochs={budget['full_gan_epochs']}", f"train.checkpoint_every={budget['full_gan_epochs']}"]
    if budget.get("full_gan_steps_per_epoch"):
        sets.append(f"train.steps_per_epoch={budget['full_gan_steps_per_epoch']}")
    gan = train_run(config_path(BASE), sets, Path(run_dir))
    per_class = int(np.bincount(train.y).min())
    syn_x, syn_y = synthesize(gan, per_class, c, seed)
    steps = budget["classifier_steps"]
    classifier = FreshClassifier(train.spec, c, seed)
    gan_train = accuracy(classifier.fit(syn_x, syn_y, steps), test.x, test.y)
    on_real = classifier.fit(train.x, train.y, steps)
    test_x, test_y = synthesize(gan, max(1, len(test.y) // c), c, seed + 10_000)  # fresh samples to classify
    return {"seed": seed, "train_real_test_real": accuracy(on_real, test.x, test.y),
            "gan_train": gan_train, "gan_test": accuracy(on_real, test_x, test_y),
            "train_images": len(train.y), "synthetic_images": len(syn_y)}


# ---------------------------------------------------------------------- summary


def summarize(run: StudyRun) -> tuple[pd.DataFrame, str]:
    """Accuracy per k and arm (mean, 95 % t-interval over training seeds), and each arm's
    paired gain over ``real`` and ``real+gan`` against ``real+classic``."""
    cells, full = run.results, pd.DataFrame(run.outputs["full"])
    rows = []
    for (k, arm), g in cells.groupby(["k", "arm"], sort=False):
        d = mean_interval(g["accuracy"].to_numpy())
        rows.append({"k": k, "arm": arm, "seeds": len(g), "test accuracy": d.text(pct=True)})
    table = pd.DataFrame(rows)
    lines = ["Test accuracy on the held-out test split, mean and 95 % t-interval over training seeds (each seed "
             "redraws the k images per class, the GAN and the classifier).", "", "## What synthetic data did", "",
             "Differences in test accuracy (percentage points), paired by seed, with the verdict they allow:", "",
             "| k | synthetic − real alone | classic − real alone | synthetic − classic | "
             "synthetic on top of classic |", "|---|---|---|---|---|"]
    for k, g in cells.groupby("k", sort=True):
        acc = g.pivot(index="seed", columns="arm", values="accuracy")
        cells_ = []
        for a, b, pos, neg in (("real+gan", "real", "helped", "hurt"), ("real+classic", "real", "helped", "hurt"),
                               ("real+gan", "real+classic", "synthetic better", "classic better"),
                               ("real+gan+classic", "real+classic", "helped", "hurt")):
            d = mean_interval(acc[a] - acc[b])
            cells_.append(f"{d.text(pct=True, signed=True)}: {verdict(d, pos, neg)}")
        lines.append(f"| {k} | " + " | ".join(cells_) + " |")
    lines.append("")
    lines.append("Differences are paired by seed (the arms of one seed share its k images and GAN); "
                 "\"not decided\" means the 95 % interval contains 0.")
    if len(full):
        lines += ["", "## GAN-train / GAN-test (Shmelkov et al. 2018), GAN trained on the whole train split", ""]
        for col, what in (("train_real_test_real", "train real, test real"),
                          ("gan_train", "GAN-train: train synthetic, test real"),
                          ("gan_test", "GAN-test: train real, test synthetic")):
            lines.append(f"- {what}: {mean_interval(full[col].to_numpy()).text(pct=True)}")
        lines.append(f"\n({len(full)} training seeds; {int(full['train_images'].iloc[0])} real train images, "
                     f"{int(full['synthetic_images'].iloc[0])} synthetic ones for GAN-train.)")
    return table, settings_text(run) + "\n\n" + "\n".join(lines)


def settings_text(run: StudyRun) -> str:
    """What the study ran: data, GAN, synthetic images, classifier and classic augmentation."""
    o, budget = run.options, run.options["budget"]
    return (f"Data: {o['data']} ({o['train_images']} train images). GAN: {BASE}.yaml + DiffAugment "
            f"(translation, cutout), {budget['gan_steps']} steps at batch 32 per k-subset; "
            f"{budget['synthetic']} synthetic images per class; classifier: mpgan's small CNN, "
            f"{budget['classifier_steps']} Adam steps at batch {BATCH} in every arm; classic "
            "augmentation: shifts up to 10 % and rotations up to 15 degrees.")


def prepare(options: dict[str, Any], quick: bool) -> dict[str, Any]:
    """The budget (quick or full, then what was asked) and the k's, checked against the data
    before any training: a bad --data or --k fails at once."""
    asked = {k: options[k] for k in ("synthetic", "gan_steps") if options[k] is not None}
    if any(v < 1 for v in asked.values()):
        raise ConfigError("--synthetic and --gan-steps must be positive integers")
    budget = {**(QUICK if quick else FULL), **(options["budget"] or {}), **asked}
    ks = sorted(set(options["ks"]))
    train, _ = load_splits(options["data"])
    for k in ks:
        pick_per_class(train.y, k, 0)
    return {"data": options["data"], "ks": ks, "budget": budget, "train_images": len(train.y)}


def cells(run: StudyRun) -> dict[str, list[Any]]:
    """A cell per k and seed (its k-subset GAN and four classifiers), then one per seed
    for the GAN on the whole train split."""
    st, o = run.folder, run.options
    tasks = [{"k": k, "seed": s, "run_dir": str(st.runs / f"k{k}_seed{s}"), "data": o["data"],
              "budget": o["budget"]} for k in o["ks"] for s in range(run.seeds)]
    full_tasks = [{"seed": s, "run_dir": str(st.runs / f"full_seed{s}"), "data": o["data"], "budget": o["budget"]}
                  for s in range(run.seeds)]
    return {"cells": st.run(run_k, tasks), "full": st.run(run_full, full_tasks)}


def rows(outputs: dict[str, list[Any]]) -> pd.DataFrame:
    return pd.DataFrame([r for cell in outputs["cells"] for r in cell])


def figures(run: StudyRun) -> None:
    """Accuracy against k per arm; the GAN-train/GAN-test rows beside results.csv."""
    from .. import plots
    from ..io import atomic_save

    plots.plot_metric_bands(run.results, "k", "accuracy", "arm", run.path / "figures" / "accuracy_vs_k.png",
                            ylabel="test accuracy", title="classifier accuracy against real images per class")
    full = pd.DataFrame(run.outputs["full"])
    atomic_save(run.path / "gan_train_test.csv", lambda p: full.to_csv(p, index=False))


STUDY = register(Study(
    name=NAME, doc=__doc__, title="Does a conditional GAN help a classifier trained on few digits?",
    run_one=run_k, summarize=summarize, figures=figures, cells=cells, rows=rows, prepare=prepare, configs=[BASE], hparams=("k", "arm"),
    defaults={"data": "mnist", "ks": K, "budget": None, "synthetic": None, "gan_steps": None},
    quick_defaults={"ks": QUICK_K},
    options=[option("--data", help="a labelled image dataset with a train/test split (default mnist)"),
             option("--k", dest="ks", type=int, nargs="+",
                    help=f"real images per class (default {' '.join(map(str, K))})"),
             option("--synthetic", type=int, help=f"synthetic images per class (default {FULL['synthetic']})"),
             option("--gan-steps", type=int, help=f"GAN steps per k-subset (default {FULL['gan_steps']})")]))
run, main = STUDY.run, STUDY.main
