"""Seed 004, exp. 3: latent planes, interpolations; is latent 0 a meaningful digit?

MP-GAN experiment 3 (seed 004, Fig. 8): trajectories in the latent space, and a test
of the article's claim that the region near latent 0 does not map to a meaningful digit.

For each trained generator (several seeds, or one given run): 2-D grids embedded in two
latent planes with the other coordinates at 0 and at a fixed random point; linear and
spherical interpolations between random samples; and, at radii from 0 to beyond the
typical radius sqrt(latent_dim), the digit classifier's confidence (max probability) and
entropy on images generated in random directions.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import latent as L
from . import digits
from .base import Study, StudyRun, option, register
from .common import config_path, mean_std, train_run
from .verdicts import claim, difference, mean_interval

NAME = "latent_trajectories"
N_DIRECTIONS = 200
PLANES = ((0, 1), (2, 3))


FACTORS = (0.0, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5)  # radii in units of the typical radius


def typical_radius(latent_dim: int, latent_std: float = 1.0) -> float:
    """Where N(0, latent_std^2 I) latents concentrate: latent_std * sqrt(latent_dim)."""
    return float(latent_std * np.sqrt(latent_dim))


def _extractor(trainer):
    from ..metrics.features import classifier_extractor

    params = {k: v for k, v in trainer.config.data.params.items() if k != "limit"}
    return classifier_extractor(trainer.config.data.name, params, seed=0)


def _confidence(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ent = -(p * np.log(np.clip(p, 1e-12, 1))).sum(axis=1)
    return p.max(axis=1), ent


def _ink(x: np.ndarray, value_range) -> np.ndarray:
    """Mean stroke intensity per image in [0, 1] (0 = blank)."""
    lo, hi = value_range or (float(x.min()), float(x.max()))
    return ((x - lo) / (hi - lo)).reshape(len(x), -1).mean(axis=1)


def analyse(trainer, seed: int) -> dict[str, Any]:
    """Grids, interpolations and the radius study for one trained generator.

    "Meaningful digit" is measured at each radius by the *digit share* (the verdict's
    metric): images inside the k-NN manifold of real digits in the classifier's feature
    space (per-sample improved precision, Kynkäänniemi et al. 2019) **and** with at least
    the ink of the faintest 1 % of real digits. Both halves are needed: on MNIST a blank
    image's features fall inside the real manifold (realism alone called blank images
    real), and a classifier gives blank images confident labels too. Realism, ink,
    confidence and entropy are reported beside it.
    """
    from ..metrics.images import covered, kth_radius

    dim, std = trainer.latent_dim, float(trainer.config.train.latent_std)
    typical = typical_radius(dim, std)
    ext, vr = _extractor(trainer), trainer.dataset.spec.value_range
    n_real = min(1000, len(trainer.dataset))
    real = trainer.dataset.x[np.random.default_rng(seed).choice(len(trainer.dataset), n_real, replace=False)]
    f_real, p_real = ext.features_and_probabilities(real)
    radii_real = kth_radius(np.asarray(f_real), 3)
    ink_floor = float(np.percentile(_ink(real, vr), 1))
    real_conf, real_ent = _confidence(np.asarray(p_real))
    rows = []
    examples = {}
    for f in FACTORS:
        r = f * typical
        z = L.at_radius(r, N_DIRECTIONS, dim, seed=seed + 1)
        x = trainer.generate(z)
        feats, probs = ext.features_and_probabilities(x)
        conf, ent = _confidence(np.asarray(probs))
        inside, ink = covered(np.asarray(feats), np.asarray(f_real), radii_real), _ink(x, vr)
        rows.append({"seed": seed, "radius": r, "radius_over_typical": f,
                     "digit_share": float((inside & (ink >= ink_floor)).mean()), "realism": float(inside.mean()),
                     "confidence": float(conf.mean()), "entropy": float(ent.mean()), "ink": float(ink.mean())})
        examples[round(r, 2)] = trainer.dataset.inverse_transform(x[:8])
    origin = trainer.latents(1, seed=seed + 2)[0]
    planes = {f"dims {a},{b}, others 0": L.plane_grid(dim, (a, b), 7, extent=3 * std)
              for a, b in PLANES if max(a, b) < dim}
    planes.update({f"dims {a},{b}, others random": L.plane_grid(dim, (a, b), 7, extent=3 * std, origin=origin)
                   for a, b in PLANES[:1]})
    grids = {k: trainer.dataset.inverse_transform(trainer.generate(z)) for k, z in planes.items()}
    zs = trainer.latents(8, seed=seed + 3)
    interp = {kind: [trainer.dataset.inverse_transform(trainer.generate(fn(zs[2 * i], zs[2 * i + 1], 8)))
                     for i in range(4)] for kind, fn in (("linear", L.lerp), ("spherical", L.slerp))}
    return {"rows": rows, "examples": examples, "grids": grids, "interp": interp, "latent_dim": dim,
            "real_confidence": float(real_conf.mean()), "real_entropy": float(real_ent.mean()),
            "real_ink": float(_ink(real, vr).mean()), "ink_floor": ink_floor}


SETTINGS = ("reference", "modern")


def run_one(setting: str, seed: int, run_dir: str, quick: bool, data: str, steps: int,
            run: str | None = None) -> dict[str, Any]:
    from ..training import Trainer

    if run:
        trainer = Trainer.from_run(run, progress=False)
    else:
        sets = [f"name={setting}", *digits.run_sets(data, quick, steps, seed, score=False),
                *(digits.MODERN if setting == "modern" else [])]
        trainer = train_run(config_path(digits.BASE), sets, Path(run_dir))
    out = analyse(trainer, seed)
    for row in out["rows"]:
        row["setting"] = setting
    return out


def verdict(results: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Digit share near 0 (radius <= 0.1 x typical) against the typical shell (radius =
    typical), per setting and seed; the claim holds if the paired difference's interval is
    above 0."""
    per_seed = []
    for (setting, seed), g in results.groupby(["setting", "seed"], sort=False):
        near = g[g["radius_over_typical"] <= 0.1 + 1e-9]
        typ = g[g["radius_over_typical"] == 1.0]
        per_seed.append({"setting": setting, "seed": seed,
                         **{f"{m}_{where}": d[m].mean() for m in ("digit_share", "realism", "confidence", "ink")
                            for where, d in (("near0", near), ("typical", typ))}})
    ps = pd.DataFrame(per_seed)
    lines = ["| setting | digit share near 0 | digit share at the typical radius | typical − near 0, 95 % interval | "
             "realism near 0 / typical | ink near 0 / typical | claim \"latent 0 maps to no clear digit\" |",
             "|---|---|---|---|---|---|---|"]
    for setting, g in ps.groupby("setting", sort=False):
        d = difference(g["digit_share_typical"], g["digit_share_near0"])
        near, typ = mean_interval(g["digit_share_near0"]), mean_interval(g["digit_share_typical"])
        lines.append(f"| {setting} | {near.text(digits=3)} | {typ.text(digits=3)} | {d.text(digits=3)} | "
                     f"{g['realism_near0'].mean():.3f} / {g['realism_typical'].mean():.3f} | "
                     f"{g['ink_near0'].mean():.3f} / {g['ink_typical'].mean():.3f} | {claim(d)} |")
    text = ("Digit share: generated images inside the real digits' k-NN manifold in the classifier's feature space "
            "(per-sample improved precision) *and* with at least the ink of the faintest 1 % of real digits; "
            "realism alone counts blank images as real on MNIST. \"near 0\" is radius ≤ 0.1 × typical, the typical "
            "radius latent_std·√d. Intervals are Student-t over training seeds, differences paired by seed; "
            "\"not decided\" means the interval contains 0.\n\n" + "\n".join(lines))
    return ps, text


def figures(run: StudyRun) -> None:
    """The first run's latent planes, interpolations and samples by radius; every measure
    against the radius (band over seeds)."""
    from .. import plots

    fig, results, first = run.path / "figures", run.results, run.outputs[0]
    dim = int(first["latent_dim"])
    for name, images in first["grids"].items():
        plots.save_image_grid(images, fig / f"plane_{re.sub(r'[^a-z0-9]+', '_', name).strip('_')}.png", ncols=7,
                              title=f"latent plane {name}")
    for kind, rows in first["interp"].items():
        plots.save_image_grid(np.concatenate(rows), fig / f"interpolation_{kind}.png", ncols=8,
                              title=f"{kind} interpolation between random latents (one pair per row)")
    rs = sorted(first["examples"])
    plots.save_image_grid(np.concatenate([first["examples"][r] for r in rs]), fig / "samples_by_radius.png",
                          ncols=8, title="rows: radius " + ", ".join(f"{r:g}" for r in rs))
    for var in ("digit_share", "realism", "ink", "confidence", "entropy"):
        plots.plot_metric_bands(results, "radius", var, "setting", fig / f"{var}_vs_radius.png",
                                ylabel=f"{var} (mean over {N_DIRECTIONS} directions)",
                                title=f"latent_dim {dim}: typical radius = latent_std·√{dim}")


def cells(run: StudyRun) -> list[dict[str, Any]]:
    """One given run (``--run``) to analyse, or a run per setting and seed to train first."""
    o = run.options
    common = {"quick": run.quick, "data": o["data"], "steps": o["steps"]}
    if o["run"]:
        return run.folder.run(run_one, [{"setting": "given", "seed": 0, "run_dir": "", **common, "run": o["run"]}])
    digits.warm_extractor(o["data"], run.quick)
    run.extra["scale"] = (f"Each run: {o['steps']} steps at batch {digits.batch_size(o['data'], run.quick)} of the "
                          f"reference pair ({digits.BASE}.yaml); `modern` adds {digits.MODERN_TEXT}. Data: "
                          f"{digits.run_summary(o['data'])}.\n\n")
    return run.folder.run(run_one, [{"setting": s, "seed": k, "run_dir": str(run.folder.runs / f"{s}_seed{k}"),
                                     **common} for s in run.settings for k in range(run.seeds)])


def summarize(run: StudyRun) -> tuple[pd.DataFrame, str]:
    """Every measure at each radius (mean ± std over seeds), and the verdict on latent 0."""
    outputs, results = run.outputs, run.results
    _, text = verdict(results)
    summary = mean_std(results, ["setting", "radius_over_typical"],
                       ["radius", "digit_share", "realism", "ink", "confidence", "entropy"], digits=3, sort=False)
    real = np.mean([o["real_confidence"] for o in outputs])
    real_ink = np.mean([o["real_ink"] for o in outputs])
    dim = int(outputs[0]["latent_dim"])
    return summary, (f"{run.extra.get('scale', '')}Mean ± std over training seeds at each radius (latent_dim "
                     f"{dim}); real digits: realism ≈ 1 by construction, ink {real_ink:.3f} (digit-share floor "
                     f"{np.mean([o['ink_floor'] for o in outputs]):.3f}), classifier confidence {real:.3f}."
                     f"\n\n## The article's claim\n\n{text}")


STUDY = register(Study(
    name=NAME, doc=__doc__, title="Latent trajectories (MP-GAN experiment 3)", run_one=run_one,
    summarize=summarize, figures=figures, cells=cells, settings=SETTINGS, quick=digits.QUICK,
    defaults={**digits.DEFAULTS, "run": None}, prepare=digits.prepare, configs=[digits.BASE], digits=3, progress="radius",
    options=[*digits.OPTIONS, option("--run", help="analyse this trained run instead of training new ones")]))
run, main = STUDY.run, STUDY.main


def write_up(folder: Path, outputs: list[dict[str, Any]], scale: str = "") -> None:
    """results.csv, results.md (table and verdict) and figures from runs already analysed
    (:func:`analyse`), as the study writes them."""
    STUDY.finish(StudyRun(STUDY, Path(folder), outputs=outputs, extra={"scale": scale}))
