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
    n_seeds,
    output_dir,
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


def _probs(trainer, z: np.ndarray) -> np.ndarray:
    from ..metrics.features import classifier_extractor

    params = {k: v for k, v in trainer.config.data.params.items() if k != "limit"}
    extractor = classifier_extractor(trainer.config.data.name, params, seed=0)
    return extractor.probabilities(trainer.generate(z))


def _confidence(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ent = -(p * np.log(np.clip(p, 1e-12, 1))).sum(axis=1)
    return p.max(axis=1), ent


def analyse(trainer, seed: int) -> dict[str, Any]:
    """Grids, interpolations and the radius study for one trained generator."""
    dim, std = trainer.latent_dim, float(trainer.config.train.latent_std)
    typical = typical_radius(dim, std)
    rows = []
    examples = {}
    for f in FACTORS:
        r = f * typical
        z = L.at_radius(r, N_DIRECTIONS, dim, seed=seed + 1)
        conf, ent = _confidence(_probs(trainer, z))
        rows.append({"seed": seed, "radius": r, "radius_over_typical": f,
                     "confidence": float(conf.mean()), "entropy": float(ent.mean()),
                     "confident_share": float((conf > 0.9).mean())})
        examples[round(r, 2)] = trainer.dataset.inverse_transform(trainer.generate(z[:8]))
    real = trainer.dataset.x[np.random.default_rng(seed).choice(len(trainer.dataset), min(500, len(trainer.dataset)), replace=False)]
    from ..metrics.features import classifier_extractor

    params = {k: v for k, v in trainer.config.data.params.items() if k != "limit"}
    real_conf, real_ent = _confidence(classifier_extractor(trainer.config.data.name, params, seed=0)
                                      .probabilities(real))
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
            "real_confidence": float(real_conf.mean()), "real_entropy": float(real_ent.mean())}


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
    """Confidence near 0 (radius <= 0.1 x typical) against the typical shell (radius = typical),
    per seed; with 3 or more seeds a one-sided paired t-test of "lower near 0" (p < 0.05)."""
    from scipy import stats as st

    per_seed = []
    for seed, g in results.groupby("seed"):
        near = g[g["radius_over_typical"] <= 0.1 + 1e-9]
        typ = g[g["radius_over_typical"] == 1.0]
        per_seed.append({"seed": seed, "near0": near["confidence"].mean(), "typical": typ["confidence"].mean(),
                         "near0_entropy": near["entropy"].mean(), "typical_entropy": typ["entropy"].mean()})
    ps = pd.DataFrame(per_seed)
    diff = (ps["typical"] - ps["near0"]).to_numpy()
    n = len(ps)

    def sd(s: pd.Series) -> str:
        return f" ± {s.std(ddof=1):.3f}" if n > 1 else ""

    if n >= 3:
        p = float(st.ttest_1samp(diff, 0.0, alternative="greater").pvalue)
        if p < 0.05:
            word, why = "HOLDS", f"confidence is lower near 0 (one-sided paired t-test over seeds, p = {p:.3g})"
        elif (diff > 0).all():
            word, why = "is NOT ESTABLISHED", f"lower near 0 in every seed, but not significantly (p = {p:.3g})"
        else:
            word, why = "DOES NOT HOLD", f"near-0 points are not less confident in every seed (p = {p:.3g})"
    else:
        word = "is NOT TESTED"
        why = (f"{'lower' if (diff > 0).all() else 'not lower'} near 0 in {n} seed{'s' if n > 1 else ''}; "
               "a test needs 3 or more")
    text = (f"Classifier confidence near latent 0 (radius ≤ 0.1 × typical): {ps['near0'].mean():.3f}"
            f"{sd(ps['near0'])}; on the typical shell (radius = latent_std·√d): {ps['typical'].mean():.3f}"
            f"{sd(ps['typical'])} (entropy {ps['near0_entropy'].mean():.3f} vs "
            f"{ps['typical_entropy'].mean():.3f}), over {n} seed{'s' if n > 1 else ''}. Verdict: the article's "
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
    long = results.melt(id_vars=["seed", "radius"], value_vars=["confidence", "entropy"])
    for var in ("confidence", "entropy"):
        d = long[long["variable"] == var].assign(group=var)
        plots.plot_metric_bands(d, "radius", "value", "group", fig / f"{var}_vs_radius.png",
                                ylabel=f"classifier {var} (mean over {N_DIRECTIONS} directions)",
                                title=f"latent_dim {dim}: typical radius = latent_std·√{dim}")


def run(out: str | Path | None = None, quick: bool = False, seeds: int = 3, jobs: int = 1,
        dataset: str = "digits", epochs: int | None = None, run_dir: str | None = None) -> Path:
    epochs = epochs if epochs is not None else (2 if quick else EPOCHS)
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
        summary = results.groupby("radius").agg(
            confidence=("confidence", "mean"), confidence_std=("confidence", "std"),
            entropy=("entropy", "mean"), confident_share=("confident_share", "mean")).reset_index()
        real = np.mean([o["real_confidence"] for o in outputs])
        dim = int(outputs[0]["latent_dim"])
        figures(folder, outputs, results, dim)
        write_results(folder, results, summary, title="Latent trajectories (MP-GAN experiment 3)", digits=3,
                      notes=f"Mean over seeds at each radius (latent_dim {dim}); real digits score confidence "
                            f"{real:.3f}.\n\n{text}")
    return folder


def main(argv: Sequence[str] | None = None) -> int:
    p = study_parser(NAME, __doc__.split("\n\n")[0])
    p.add_argument("--dataset", default="digits", choices=list(D.DATASETS),
                   help="digits (embedded, 16x16) or mnist (local files, 28x28)")
    p.add_argument("--epochs", type=int, help=f"epochs per run (default {EPOCHS}; 2 with --quick)")
    p.add_argument("--run", help="analyse this trained run instead of training new ones")
    args: argparse.Namespace = p.parse_args(argv)
    folder = run(args.out, args.quick, n_seeds(args), args.jobs, args.dataset, args.epochs, args.run)
    print((folder / "results.md").read_text())
    print(f"wrote {folder}")
    return 0
