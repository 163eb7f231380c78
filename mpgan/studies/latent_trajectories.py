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


def radii(latent_dim: int) -> list[float]:
    typical = float(np.sqrt(latent_dim))
    return sorted({0.0, *[round(f * typical, 3) for f in (0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5)]})


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
    dim = trainer.latent_dim
    rows = []
    examples = {}
    for r in radii(dim):
        z = L.at_radius(r, N_DIRECTIONS, dim, seed=seed + 1)
        conf, ent = _confidence(_probs(trainer, z))
        rows.append({"seed": seed, "radius": r, "radius_over_sqrt_dim": r / np.sqrt(dim),
                     "confidence": float(conf.mean()), "entropy": float(ent.mean()),
                     "confident_share": float((conf > 0.9).mean())})
        examples[r] = trainer.dataset.inverse_transform(trainer.generate(z[:8]))
    real = trainer.dataset.x[np.random.default_rng(seed).choice(len(trainer.dataset), min(500, len(trainer.dataset)), replace=False)]
    from ..metrics.features import classifier_extractor

    params = {k: v for k, v in trainer.config.data.params.items() if k != "limit"}
    real_conf, real_ent = _confidence(classifier_extractor(trainer.config.data.name, params, seed=0)
                                      .probabilities(real))
    origin = np.random.default_rng(seed + 2).standard_normal(dim)
    planes = {f"dims {a},{b}, others 0": L.plane_grid(dim, (a, b), 7) for a, b in PLANES if max(a, b) < dim}
    planes.update({f"dims {a},{b}, others random": L.plane_grid(dim, (a, b), 7, origin=origin)
                   for a, b in PLANES[:1]})
    grids = {k: trainer.dataset.inverse_transform(trainer.generate(z)) for k, z in planes.items()}
    zs = trainer.latents(8, seed=seed + 3)
    interp = {kind: [trainer.dataset.inverse_transform(trainer.generate(fn(zs[2 * i], zs[2 * i + 1], 8)))
                     for i in range(4)] for kind, fn in (("linear", L.lerp), ("spherical", L.slerp))}
    return {"rows": rows, "examples": examples, "grids": grids, "interp": interp,
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
    """Confidence near 0 (radius <= 0.1 sqrt(d)) against the typical shell (radius = sqrt(d))."""
    per_seed = []
    for seed, g in results.groupby("seed"):
        near = g[g["radius_over_sqrt_dim"] <= 0.1 + 1e-9]
        typ = g[np.isclose(g["radius_over_sqrt_dim"], 1.0)]
        per_seed.append({"seed": seed, "near0": near["confidence"].mean(), "typical": typ["confidence"].mean(),
                         "near0_entropy": near["entropy"].mean(), "typical_entropy": typ["entropy"].mean()})
    ps = pd.DataFrame(per_seed)
    diff = ps["typical"] - ps["near0"]
    n = len(ps)
    holds = bool((diff > 0).all() and (n == 1 or diff.mean() > 2 * diff.std(ddof=1) / np.sqrt(n)))

    def sd(s: pd.Series) -> str:
        return f" ± {s.std(ddof=1):.3f}" if n > 1 else ""

    text = (f"Classifier confidence near latent 0 (radius ≤ 0.1·√d): {ps['near0'].mean():.3f}{sd(ps['near0'])}; "
            f"on the typical shell (radius √d): {ps['typical'].mean():.3f}{sd(ps['typical'])} "
            f"(entropy {ps['near0_entropy'].mean():.3f} vs {ps['typical_entropy'].mean():.3f}), over {n} "
            f"seed{'s' if n > 1 else ''}. Verdict: the article's claim that the region near 0 does not map to "
            f"a meaningful digit {'HOLDS' if holds else 'DOES NOT HOLD'} here "
            f"({'confidence is lower near 0 in every seed' if holds else 'near-0 points are not less confident'}).")
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
                                title=f"typical radius √{dim} = {np.sqrt(dim):.1f}")


def run(out: str | Path | None = None, quick: bool = False, seeds: int = 3, jobs: int = 1,
        dataset: str = "digits", epochs: int | None = None, run_dir: str | None = None) -> Path:
    epochs = epochs or (2 if quick else EPOCHS)
    with output_dir(NAME, out) as folder:
        if run_dir:
            tasks = [{"seed": 0, "run_dir": "", "quick": quick, "dataset": dataset, "epochs": epochs, "run": run_dir}]
        else:
            tasks = [{"seed": k, "run_dir": str(folder / "runs" / f"seed{k}"), "quick": quick, "dataset": dataset,
                      "epochs": epochs} for k in range(seeds)]
        outputs = run_tasks(run_one, tasks, jobs)
        results = pd.DataFrame([r for o in outputs for r in o["rows"]])
        per_seed, text = verdict(results)
        summary = results.groupby("radius").agg(
            confidence=("confidence", "mean"), confidence_std=("confidence", "std"),
            entropy=("entropy", "mean"), confident_share=("confident_share", "mean")).reset_index()
        real = np.mean([o["real_confidence"] for o in outputs])
        dim = int(round((results["radius"] / results["radius_over_sqrt_dim"]).dropna().iloc[0] ** 2))
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
