"""MP-GAN experiment 2 (seed 004, Figs. 6-7): does a discriminator that starts trained help?

Settings, each over several seeds: ``scratch`` (the default), ``pretrained`` (the
discriminator of a previous, separately seeded run), ``pretrained_frozen`` (the same,
never updated), ``classifier`` (a trained digit classifier's body plus a new real/fake
head: the article's untried idea) and ``classifier_scratch`` (that architecture from
random weights, so the classifier's effect is separated from its architecture's).
FID and missing digits at early, middle and late epochs, sample grids from the same
latents, and wall time per epoch (so the frozen discriminator's saving is measured).
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

NAME = "pretrained_discriminator"
EPOCHS = 12
DONOR_SEED = 1000
CLASSIFIER = "classifier_discriminator"
SETTINGS = ("scratch", "pretrained", "pretrained_frozen", "classifier", "classifier_scratch")


def _common(quick: bool, dataset: str, epochs: int, seed: int) -> list[str]:
    return [f"seed={seed}", *D.EVAL, *D.dataset_sets(dataset, quick), f"train.epochs={epochs}",
            f"eval.every={1 if quick else max(1, epochs // 4)}", f"train.checkpoint_every={epochs}"]


def setting_sets(setting: str, donor: str, classifier: str) -> list[str]:
    return {
        "scratch": [],
        "pretrained": [f"discriminator.pretrained={donor}"],
        "pretrained_frozen": [f"discriminator.pretrained={donor}", "train.freeze_discriminator=true"],
        "classifier": [f"discriminator={{name: {CLASSIFIER}, params: {{weights: {classifier}}}}}"],
        "classifier_scratch": [f"discriminator={CLASSIFIER}"],
    }[setting]


def prepare(folder: Path, quick: bool, dataset: str, epochs: int) -> tuple[str, str]:
    """Train the donor run (whose discriminator the pretrained settings start from) and the
    digit classifier (whose body the classifier setting starts from)."""
    from ..config import load_config
    from ..data import load_dataset
    from ..models.classifier import build_classifier, train_classifier

    donor = folder / "runs" / "donor"
    sets = [*_common(quick, dataset, epochs, DONOR_SEED), "eval.every=0"]
    train_run(config_path(D.BASE), sets, donor)
    cfg = load_config(config_path(D.BASE), sets)
    data = load_dataset(cfg.data.name, **cfg.data.params)
    clf = build_classifier(data.spec, data.spec.num_classes)
    hist = train_classifier(clf, data.x, data.y, epochs=2 if quick else 10, seed=DONOR_SEED)
    path = folder / "runs" / "classifier.weights.h5"
    clf.save_weights(str(path))
    (folder / "runs" / "classifier_accuracy.txt").write_text(
        f"held-out accuracy {hist.history['val_accuracy'][-1]:.4f}\n")
    return str(donor), str(path)


def run_one(setting: str, seed: int, run_dir: str, quick: bool, dataset: str, epochs: int,
            donor: str, classifier: str) -> dict[str, Any]:
    snaps = D.GridSnapshots(D.chosen_epochs(epochs))
    sets = [*_common(quick, dataset, epochs, seed), f"name={setting}", *setting_sets(setting, donor, classifier)]
    trainer = train_run(config_path(D.BASE), sets, Path(run_dir), callbacks=[snaps])
    return {"rows": D.epoch_rows(trainer, setting=setting, seed=seed), "images": snaps.images}


def summarize(results: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    scored = results.dropna(subset=["fid"]) if "fid" in results else results
    epochs = sorted(scored["epoch"].unique())
    picks = sorted({epochs[0], epochs[(len(epochs) - 1) // 2], epochs[-1]})
    parts = []
    for e in picks:
        t = mean_std(scored[scored["epoch"] == e], "setting", ["fid", "missing_digits"], digits=1)
        parts.append(t.rename(columns={"fid": f"FID @ epoch {e}", "missing_digits": f"missing @ {e}"})
                     .drop(columns=["seeds"]).set_index("setting"))
    table = pd.concat(parts, axis=1)
    # epoch 1 holds tracing; the steady per-epoch cost is what freezing saves
    steady = results[results["epoch"] > 1] if results["epoch"].max() > 1 else results
    table["seconds per epoch"] = mean_std(steady, "setting", ["seconds"], digits=2).set_index("setting")["seconds"]
    sec = steady.groupby("setting")["seconds"].mean()
    notes = ["FID (the digit classifier's features) and missing digits, mean ± std over seeds; seconds per "
             "epoch leave out epoch 1 (tracing).",
             "Caveat: the `classifier` discriminator starts from a classifier of the same architecture, trained "
             "on the same images, as the FID feature extractor, so FID partly measures in that discriminator's "
             "own feature space; compare it with `classifier_scratch` and read the sample grids too."]
    if {"pretrained", "pretrained_frozen"} <= set(sec.index):
        notes.append(f"Freezing the discriminator: {sec['pretrained'] / sec['pretrained_frozen']:.2f}x faster "
                     f"per epoch than updating it ({sec['pretrained']:.2f} s vs {sec['pretrained_frozen']:.2f} s).")
    return table.reset_index(), "\n".join(notes)


def run(out: str | Path | None = None, quick: bool = False, seeds: int = 3, jobs: int = 1,
        dataset: str = "digits", epochs: int | None = None, only: Sequence[str] | None = None) -> Path:
    epochs = D.study_epochs(epochs, quick, EPOCHS)
    with output_dir(NAME, out) as folder:
        D.warm_extractor(dataset, quick, jobs)
        donor, classifier = prepare(folder, quick, dataset, epochs)
        outputs = run_settings(run_one, folder, only or SETTINGS, seeds, jobs, quick=quick, dataset=dataset,
                               epochs=epochs, donor=donor, classifier=classifier)
        results = pd.concat([o["rows"] for o in outputs.values()], ignore_index=True)
        table, notes = summarize(results)
        D.image_figures(folder, results, outputs, missing=False)
        write_results(folder, results, table, title="Scratch vs pretrained discriminator (MP-GAN experiment 2)",
                      notes=notes, digits=2)
    return folder


def main(argv: Sequence[str] | None = None) -> int:
    p = study_parser(NAME, __doc__.split("\n\n")[0])
    p.add_argument("--dataset", default="digits", choices=list(D.DATASETS),
                   help="digits (embedded, 16x16) or mnist (local files, 28x28)")
    p.add_argument("--epochs", type=int, help=f"epochs per run (default {EPOCHS}; 2 with --quick)")
    p.add_argument("--settings", nargs="+", choices=list(SETTINGS), help="only these settings")
    args: argparse.Namespace = p.parse_args(argv)
    folder = run(args.out, args.quick, n_seeds(args), args.jobs, args.dataset, args.epochs, args.settings)
    return report(folder)
