"""MP-GAN experiment 2 (seed 004, Figs. 6-7): does a discriminator that starts trained help?

Settings, each over several seeds: ``scratch`` (the default), ``pretrained`` (the
discriminator of a previous, separately seeded run), ``pretrained_frozen`` (the same,
never updated), ``classifier`` (a trained digit classifier's body plus a new real/fake
head: the article's untried idea) and ``classifier_scratch`` (that architecture from
random weights, so the classifier's effect is separated from its architecture's).
``pretrained_modern`` adds R1 + DiffAugment to the pretrained setting. The default runs
scratch, pretrained, pretrained_frozen and pretrained_modern on MNIST; FID and classes
covered every 100 steps, sample grids at the steps standing for the article's epochs 10
and 50, wall time per step (so the frozen discriminator's saving is measured), and a
verdict per claim with its interval.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
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

NAME = "pretrained_discriminator"
DONOR_SEED = 1000
CLASSIFIER = "classifier_discriminator"
SETTINGS = ("scratch", "pretrained", "pretrained_frozen", "pretrained_modern", "classifier", "classifier_scratch")
DEFAULT_SETTINGS = ("scratch", "pretrained", "pretrained_frozen", "pretrained_modern")
LITTLE = 0.20  # "freezing saves little time": less than this share of the time per step


def setting_sets(setting: str, donor: str, classifier: str) -> list[str]:
    return {
        "scratch": [],
        "pretrained": [f"discriminator.pretrained={donor}"],
        "pretrained_frozen": [f"discriminator.pretrained={donor}", "train.freeze_discriminator=true"],
        "pretrained_modern": [f"discriminator.pretrained={donor}", *D.MODERN],
        "classifier": [f"discriminator={{name: {CLASSIFIER}, params: {{weights: {classifier}}}}}"],
        "classifier_scratch": [f"discriminator={CLASSIFIER}"],
    }[setting]


def prepare(setting: str, seed: int, run_dir: str, quick: bool, data: str, steps: int,
            classifier: bool) -> dict[str, str]:
    """Train the donor run (whose discriminator the pretrained settings start from) and, if
    a classifier setting is asked for, the digit classifier its body starts from (a cell of
    its own, so a resumed study does not train them again)."""
    from ..config import load_config
    from ..data import load_dataset
    from ..models.classifier import build_classifier, train_classifier

    donor = Path(run_dir)
    sets = D.run_sets(data, quick, steps, seed, score=False)
    train_run(config_path(D.BASE), sets, donor)
    path = donor / "classifier.weights.h5"
    if classifier:
        cfg = load_config(config_path(D.BASE), sets)
        ds = load_dataset(cfg.data.name, **cfg.data.params)
        clf = build_classifier(ds.spec, ds.spec.num_classes)
        hist = train_classifier(clf, ds.x, ds.y, epochs=2 if quick else 10, seed=seed)
        clf.save_weights(str(path))
        (donor / "classifier_accuracy.txt").write_text(f"held-out accuracy {hist.history['val_accuracy'][-1]:.4f}\n")
    return {"donor": str(donor), "classifier": str(path)}


def run_one(setting: str, seed: int, run_dir: str, quick: bool, data: str, steps: int,
            donor: str, classifier: str) -> dict[str, Any]:
    snaps = D.GridSnapshots(D.article_checkpoints(steps, quick).values())
    sets = [f"name={setting}", *D.run_sets(data, quick, steps, seed), *setting_sets(setting, donor, classifier)]
    trainer = train_run(config_path(D.BASE), sets, Path(run_dir), callbacks=[snaps])
    return {"rows": D.checkpoint_rows(trainer, setting=setting, seed=seed), "images": snaps.images}


def ms_per_step(results: pd.DataFrame, setting: str) -> np.ndarray:
    steady = results[(results["setting"] == setting) & (results["step"] > results["step"].min())]
    return steady.groupby("seed")["seconds_per_step"].mean().sort_index().to_numpy() * 1000


def claims(results: pd.DataFrame, checkpoints: dict[str, int]) -> list[str]:
    early, late = checkpoints["epoch 10"], checkpoints["epoch 50"]
    names = set(results["setting"])
    lines = ["| claim (MP-GAN article) | measured at step | difference, 95 % interval over training seeds | verdict |",
             "|---|---|---|---|"]
    if {"scratch", "pretrained"} <= names:
        def gap(step):
            return difference(D.at_step(results, step, "scratch", "fid"), D.at_step(results, step, "pretrained", "fid"))

        e, lt = gap(early), gap(late)
        lines.append(f"| a pretrained D gives better samples early | {early} | FID(scratch) − FID(pretrained) = "
                     f"{e.text()} | {claim(e)} |")
        if e.n < 2:
            closes = "not decided (one seed)"
        elif not e.decided or e.mean < 0:
            closes = "not decided (no early advantage to close)"
        elif not lt.decided:
            closes = "reproduced (no difference left that the seeds can resolve)"
        elif lt.mean > 0 and lt.mean < e.mean:
            closes = "partly (smaller, but still there)"
        else:
            closes = "not reproduced"
        lines.append(f"| the gap closes by \"epoch 50\" | {late} | FID(scratch) − FID(pretrained) = {lt.text()} "
                     f"| {closes} |")
    if {"pretrained", "pretrained_frozen"} <= names:
        upd, frz = ms_per_step(results, "pretrained"), ms_per_step(results, "pretrained_frozen")
        saving = mean_interval(1 - frz / upd)
        if saving.n < 2:
            verdict = "not decided (one seed)"
        elif saving.high < LITTLE:
            verdict = "reproduced"
        elif saving.low > LITTLE:
            verdict = "not reproduced"
        else:
            verdict = "not decided"
        lines.append(f"| freezing D saves little time (< {LITTLE:.0%} per step) | all | time saved per step: "
                     f"{saving.text(pct=True)} ({upd.mean():.0f} → {frz.mean():.0f} ms) | {verdict} |")
    if {"pretrained", "pretrained_modern"} <= names:
        for step in (early, late):
            d = difference(D.at_step(results, step, "pretrained", "fid"),
                           D.at_step(results, step, "pretrained_modern", "fid"))
            lines.append(f"| (modern recipe) {D.MODERN_TEXT} on top of the pretrained D helps | {step} | "
                         f"FID(pretrained) − FID(pretrained_modern) = {d.text()} | {claim(d)} |")
    return lines


def run(out: str | Path | None = None, quick: bool = False, seeds: int = 3, jobs: int | Execution = 1,
        data: str = "mnist", steps: int | None = None, only: Sequence[str] | None = None) -> Path:
    steps = D.study_steps(steps, quick)
    D.check_data(data)
    checkpoints = D.article_checkpoints(steps, quick)
    chosen = only or DEFAULT_SETTINGS
    with output_dir(NAME, out, jobs, configs=[D.BASE]) as st:
        folder = st.path
        D.warm_extractor(data, quick)
        rungs = D.ladder(data, quick)
        (prepared,) = st.run(prepare, [{"setting": "donor", "seed": DONOR_SEED, "run_dir": str(st.runs / "donor"),
                                        "quick": quick, "data": data, "steps": steps,
                                        "classifier": "classifier" in chosen}])
        outputs = st.run_settings(run_one, chosen, seeds, quick=quick, data=data, steps=steps, **prepared)
        results = pd.concat([o["rows"] for o in outputs.values()], ignore_index=True)
        table = D.checkpoint_table(results, checkpoints)
        D.image_figures(folder, results, outputs, checkpoints, rungs)
        notes = ["Mean ± std over training seeds at the two checkpoints standing for the article's epochs; ms per "
                 "step leaves out the first checkpoint (tracing). The pretrained D is the discriminator of a donor run "
                 f"(seed {DONOR_SEED}, same budget).", "",
                 D.scale_text(steps, checkpoints, D.batch_size(data, quick), D.eval_every(quick)),
                 f"Data: {D.run_summary(data)}.", D.ladder_text(rungs, D.QUICK_EVAL_N if quick else D.EVAL_N), "",
                 "## The article's claims", "", *claims(results, checkpoints), "",
                 "\"not decided\": the 95 % interval contains 0 (or the threshold). Intervals are Student-t over "
                 f"training seeds ({seeds} per setting; differences paired by seed)."]
        if "classifier" in chosen:
            notes.append("Caveat: the `classifier` discriminator starts from a classifier of the same architecture, "
                         "trained on the same images, as the FID feature extractor; compare it with "
                         "`classifier_scratch` and read the sample grids too.")
        write_results(folder, results, table, title="Scratch vs pretrained discriminator (MP-GAN experiment 2)",
                      notes="\n".join(notes), digits=2)
    return folder


def main(argv: Sequence[str] | None = None) -> int:
    p = D.add_image_options(study_parser(NAME, __doc__.split("\n\n")[0], settings=SETTINGS,
                                         default_settings=DEFAULT_SETTINGS))
    args: argparse.Namespace = p.parse_args(argv)
    folder = run(args.out, args.quick, n_seeds(args), execution(args), args.data, args.steps, args.settings)
    return report(folder)
