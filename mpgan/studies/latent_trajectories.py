"""MP-GAN experiment 3 (seed 004, Fig. 8): trajectories in the latent space, and a test
of the article's claim that the region near latent 0 does not map to a meaningful digit.

For each trained generator (several seeds, or one given run): 2-D grids embedded in two
latent planes with the other coordinates at 0 and at a fixed random point; linear and
spherical interpolations between random samples; and, at radii from 0 to beyond the
typical radius sqrt(latent_dim), the digit classifier's confidence (max probability) and
entropy on images generated in random directions.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import latent as L
from . import digits as D
from .common import (
    config_path,
    mean_std,
    n_seeds,
    output_dir,
    report,
    run_tasks,
    study_parser,
    train_run,
    write_results,
)

NAME = "latent_trajectories"
EPOCHS = 12
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

    "Meaningful digit" is measured three ways at each radius: *realism*, the share of
    generated images inside the k-NN manifold of real digits in the classifier's feature
    space (per-sample improved precision, Kynkäänniemi et al. 2019: the verdict's metric);
    the classifier's confidence and entropy (which a classifier can give confidently to
    blank or out-of-distribution images, so it is reported, not trusted); and the ink.
    """
    from ..metrics.images import _covered, _kth_radius

    dim, std = trainer.latent_dim, float(trainer.config.train.latent_std)
    typical = typical_radius(dim, std)
    ext, vr = _extractor(trainer), trainer.dataset.spec.value_range
    n_real = min(1000, len(trainer.dataset))
    real = trainer.dataset.x[np.random.default_rng(seed).choice(len(trainer.dataset), n_real, replace=False)]
    f_real, p_real = ext.features_and_probabilities(real)
    radii_real = _kth_radius(np.asarray(f_real), 3)
    real_conf, real_ent = _confidence(np.asarray(p_real))
    rows = []
    examples = {}
    for f in FACTORS:
        r = f * typical
        z = L.at_radius(r, N_DIRECTIONS, dim, seed=seed + 1)
        x = trainer.generate(z)
        feats, probs = ext.features_and_probabilities(x)
        conf, ent = _confidence(np.asarray(probs))
        rows.append({"seed": seed, "radius": r, "radius_over_typical": f,
                     "realism": float(_covered(np.asarray(feats), np.asarray(f_real), radii_real).mean()),
                     "confidence": float(conf.mean()), "entropy": float(ent.mean()),
                     "ink": float(_ink(x, vr).mean())})
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
            "real_ink": float(_ink(real, vr).mean())}


def run_one(seed: int, run_dir: str, quick: bool, dataset: str, epochs: int, run: str | None = None) -> dict[str, Any]:
    from ..training import Trainer

    if run:
        trainer = Trainer.from_run(run, progress=False)
    else:
        sets = [f"seed={seed}", *D.dataset_sets(dataset, quick), f"train.epochs={epochs}", "train.sample_every=0",
                f"train.checkpoint_every={epochs}"]
        trainer = train_run(config_path(D.BASE), sets, Path(run_dir))
    return analyse(trainer, seed)


def verdict(results: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Realism near 0 (radius <= 0.1 x typical) against the typical shell (radius = typical),
    per seed; with 3 or more seeds a one-sided paired t-test of "less realistic near 0"."""
    from scipy import stats as st

    per_seed = []
    for seed, g in results.groupby("seed"):
        near = g[g["radius_over_typical"] <= 0.1 + 1e-9]
        typ = g[g["radius_over_typical"] == 1.0]
        per_seed.append({"seed": seed, **{f"{m}_{where}": d[m].mean() for m in ("realism", "confidence", "ink")
                                          for where, d in (("near0", near), ("typical", typ))}})
    ps = pd.DataFrame(per_seed)
    diff = (ps["realism_typical"] - ps["realism_near0"]).to_numpy()
    n = len(ps)

    def ms(col: str) -> str:
        return f"{ps[col].mean():.3f}" + (f" ± {ps[col].std(ddof=1):.3f}" if n > 1 else "")

    if n >= 3:
        p = float(st.ttest_1samp(diff, 0.0, alternative="greater").pvalue)
        if p < 0.05:
            word, why = "HOLDS", f"images near 0 are less realistic; one-sided paired t-test over seeds, p = {p:.3g}"
        elif (diff > 0).all():
            word, why = "is NOT ESTABLISHED", f"less realistic near 0 in every seed, but p = {p:.3g}"
        else:
            word, why = "DOES NOT HOLD", f"images near 0 are not less realistic in every seed; p = {p:.3g}"
    else:
        word = "is NOT TESTED"
        why = (f"{'less' if (diff > 0).all() else 'not less'} realistic near 0 in {n} seed{'s' if n > 1 else ''}; "
               "a test needs 3 or more")
    text = (f"Near latent 0 (radius ≤ 0.1 × typical) vs the typical shell (radius = latent_std·√d), over {n} "
            f"seed{'s' if n > 1 else ''}: realism (share of images inside the real digits' k-NN manifold) "
            f"{ms('realism_near0')} vs {ms('realism_typical')}; ink {ms('ink_near0')} vs {ms('ink_typical')}; "
            f"classifier confidence {ms('confidence_near0')} vs {ms('confidence_typical')}. Verdict: the article's "
            f"claim that the region near 0 does not map to a meaningful digit {word} here ({why}).")
    return ps, text


def figures(out: Path, outputs: list[dict[str, Any]], results: pd.DataFrame, dim: int) -> None:
    from .. import plots

    fig = out / "figures"
    first = outputs[0]
    for name, images in first["grids"].items():
        plots.save_image_grid(images, fig / f"plane_{re.sub(r'[^a-z0-9]+', '_', name).strip('_')}.png", ncols=7,
                              title=f"latent plane {name}")
    for kind, rows in first["interp"].items():
        plots.save_image_grid(np.concatenate(rows), fig / f"interpolation_{kind}.png", ncols=8,
                              title=f"{kind} interpolation between random latents (one pair per row)")
    rs = sorted(first["examples"])
    plots.save_image_grid(np.concatenate([first["examples"][r] for r in rs]), fig / "samples_by_radius.png",
                          ncols=8, title="rows: radius " + ", ".join(f"{r:g}" for r in rs))
    long = results.melt(id_vars=["seed", "radius"], value_vars=["realism", "ink", "confidence", "entropy"])
    for var in ("realism", "ink", "confidence", "entropy"):
        d = long[long["variable"] == var].assign(group=var)
        plots.plot_metric_bands(d, "radius", "value", "group", fig / f"{var}_vs_radius.png",
                                ylabel=f"{var} (mean over {N_DIRECTIONS} directions)",
                                title=f"latent_dim {dim}: typical radius = latent_std·√{dim}")


def run(out: str | Path | None = None, quick: bool = False, seeds: int = 3, jobs: int = 1,
        dataset: str = "digits", epochs: int | None = None, run_dir: str | None = None) -> Path:
    epochs = D.study_epochs(epochs, quick, EPOCHS)
    with output_dir(NAME, out) as folder:
        if run_dir:
            tasks = [{"seed": 0, "run_dir": "", "quick": quick, "dataset": dataset, "epochs": epochs, "run": run_dir}]
        else:
            tasks = [{"seed": k, "run_dir": str(folder / "runs" / f"seed{k}"), "quick": quick, "dataset": dataset,
                      "epochs": epochs} for k in range(seeds)]
        if not run_dir:
            D.warm_extractor(dataset, quick, jobs)
        outputs = run_tasks(run_one, tasks, jobs)
        results = pd.DataFrame([r for o in outputs for r in o["rows"]])
        per_seed, text = verdict(results)
        summary = mean_std(results, "radius_over_typical", ["radius", "realism", "ink", "confidence", "entropy"],
                           digits=3, sort=True)
        real = np.mean([o["real_confidence"] for o in outputs])
        real_ink = np.mean([o["real_ink"] for o in outputs])
        dim = int(outputs[0]["latent_dim"])
        figures(folder, outputs, results, dim)
        write_results(folder, results, summary, title="Latent trajectories (MP-GAN experiment 3)", digits=3,
                      notes=f"Mean ± std over seeds at each radius (latent_dim {dim}); real digits: realism ≈ 1 by "
                            f"construction, ink {real_ink:.3f}, classifier confidence {real:.3f}.\n\n{text}")
    return folder


def main(argv: Sequence[str] | None = None) -> int:
    p = study_parser(NAME, __doc__.split("\n\n")[0])
    p.add_argument("--dataset", default="digits", choices=list(D.DATASETS),
                   help="digits (embedded, 16x16) or mnist (local files, 28x28)")
    p.add_argument("--epochs", type=int, help=f"epochs per run (default {EPOCHS}; 2 with --quick)")
    p.add_argument("--run", help="analyse this trained run instead of training new ones")
    args: argparse.Namespace = p.parse_args(argv)
    folder = run(args.out, args.quick, n_seeds(args), args.jobs, args.dataset, args.epochs, args.run)
    return report(folder)
