"""Seed 004, exp. 2: scratch vs pretrained vs frozen vs classifier-initialised discriminator.

MP-GAN experiment 2 (seed 004, Figs. 6-7): does a discriminator that starts trained help?

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

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import digits
from .base import Study, StudyRun, register
from .common import config_path, train_run
from .verdicts import NOT_REPRODUCED, claim, difference, gap_closes, mean_interval

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
        "pretrained_modern": [f"discriminator.pretrained={donor}", *digits.MODERN],
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
    sets = digits.run_sets(data, quick, steps, seed, score=False)
    train_run(config_path(digits.BASE), sets, donor)
    path = donor / "classifier.weights.h5"
    if classifier:
        cfg = load_config(config_path(digits.BASE), sets)
        ds = load_dataset(cfg.data.name, **cfg.data.params)
        clf = build_classifier(ds.spec, ds.spec.num_classes)
        hist = train_classifier(clf, ds.x, ds.y, epochs=2 if quick else 10, seed=seed)
        clf.save_weights(str(path))
        (donor / "classifier_accuracy.txt").write_text(f"held-out accuracy {hist.history['val_accuracy'][-1]:.4f}\n")
    return {"donor": str(donor), "classifier": str(path)}


def run_one(setting: str, seed: int, run_dir: str, quick: bool, data: str, steps: int,
            donor: str, classifier: str) -> dict[str, Any]:
    snaps = digits.GridSnapshots(digits.article_checkpoints(steps, quick).values())
    sets = [f"name={setting}", *digits.run_sets(data, quick, steps, seed), *setting_sets(setting, donor, classifier)]
    trainer = train_run(config_path(digits.BASE), sets, Path(run_dir), callbacks=[snaps])
    return {"rows": digits.checkpoint_rows(trainer, setting=setting, seed=seed), "images": snaps.images}


def ms_per_step(results: pd.DataFrame, setting: str) -> np.ndarray:
    steady = results[(results["setting"] == setting) & (results["step"] > results["step"].min())]
    return steady.groupby("seed")["seconds_per_step"].mean().sort_index().to_numpy() * 1000


def claims(results: pd.DataFrame, checkpoints: dict[str, int]) -> list[str]:
    """The article's claims this study can decide, each with the interval that decides it."""
    early, late = checkpoints["epoch 10"], checkpoints["epoch 50"]
    names = set(results["setting"])
    lines = []
    if {"scratch", "pretrained"} <= names:
        def gap(step):
            return difference(digits.at_step(results, step, "scratch", "fid"), digits.at_step(results, step, "pretrained", "fid"))

        e, lt = gap(early), gap(late)
        lines.append(f"| a pretrained D gives better samples early | {early} | FID(scratch) − FID(pretrained) = "
                     f"{e.text()} | {claim(e)} |")
        lines.append(f"| the gap closes by \"epoch 50\" | {late} | FID(scratch) − FID(pretrained) = {lt.text()} "
                     f"| {gap_closes(e, lt)} |")
    if {"pretrained", "pretrained_frozen"} <= names:
        upd, frz = ms_per_step(results, "pretrained"), ms_per_step(results, "pretrained_frozen")
        saving = mean_interval(1 - frz / upd)
        verdict = claim(saving, holds_if_positive=False, threshold=LITTLE, otherwise=NOT_REPRODUCED)
        lines.append(f"| freezing D saves little time (< {LITTLE:.0%} per step) | all | time saved per step: "
                     f"{saving.text(pct=True)} ({upd.mean():.0f} → {frz.mean():.0f} ms) | {verdict} |")
    if {"pretrained", "pretrained_modern"} <= names:
        for step in (early, late):
            d = difference(digits.at_step(results, step, "pretrained", "fid"),
                           digits.at_step(results, step, "pretrained_modern", "fid"))
            lines.append(f"| (modern recipe) {digits.MODERN_TEXT} on top of the pretrained D helps | {step} | "
                         f"FID(pretrained) − FID(pretrained_modern) = {d.text()} | {claim(d)} |")
    return lines


def cells(run: StudyRun) -> dict[tuple[str, int], Any]:
    """The donor (and classifier) first, then every setting and seed starting from them."""
    digits.begin(run)
    st = run.folder
    (prepared,) = st.run(prepare, [{"setting": "donor", "seed": DONOR_SEED, "run_dir": str(st.runs / "donor"),
                                    "quick": run.quick, **run.options, "classifier": "classifier" in run.settings}])
    return run.run_settings(**prepared)


def summarize(run: StudyRun) -> tuple[pd.DataFrame, str]:
    """FID, classes covered and time per step at the two checkpoints, and the claims."""
    table, notes = digits.summary(run, claims(run.results, digits.checkpoints(run)),
                             about=" The pretrained D is the discriminator of a donor run "
                                   f"(seed {DONOR_SEED}, same budget).",
                             contains="the 95 % interval contains 0 (or the threshold)")
    if "classifier" in run.settings:
        notes += ("\nCaveat: the `classifier` discriminator starts from a classifier of the same architecture, "
                  "trained on the same images, as the FID feature extractor; compare it with "
                  "`classifier_scratch` and read the sample grids too.")
    return table, notes


STUDY = register(Study(
    name=NAME, doc=__doc__, title="Scratch vs pretrained discriminator (MP-GAN experiment 2)", run_one=run_one,
    summarize=summarize, figures=digits.figures, cells=cells, settings=SETTINGS, default_settings=DEFAULT_SETTINGS,
    quick=digits.QUICK, defaults=digits.DEFAULTS, options=digits.OPTIONS, prepare=digits.prepare, configs=[digits.BASE], digits=2))
run, main = STUDY.run, STUDY.main
