"""Seed 001: steps to learn 1-10 Gaussian modes against the generator's width.

Seed 001's multi-modal study: how many steps until a GAN learns 1, 2, 3 (5, 10) Gaussian
modes, and does the generator width it needs grow linearly with the number of modes?

Data: equal-weight mixtures of K Gaussians (std 0.5, means 3 apart, centred on 0). The
discriminator has three tanh hidden layers (seed 001's); the generator two ReLU hidden
layers of a width the study varies. Each run is evaluated every few steps on 5000
generated values. It has *converged* once W1 to the true mixture is below a threshold and
every mode's mass is within ±10% of its weight, at two evaluations in a row; two
thresholds are reported, ``strict`` (W1 ≤ 0.1, a fifth of a mode's std; the run stops
there) and ``loose`` (W1 ≤ 0.25, half a mode's std: every mode present with the right
mass, shapes roughly right).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .base import Study, StudyRun, option, register
from .common import config_path, markdown_table, mean_std, unique

NAME = "gaussian_modes"
MODES = (1, 2, 3, 5, 10)
WIDTHS = (4, 8, 12, 16, 32)  # 4, 8, 12: seed 001's widths for 1, 2, 3 modes
MAX_STEPS = 5000  # seed 001's budget
SPACING, STD = 3.0, 0.5
CRITERIA = {"strict": 0.1, "loose": 0.25}  # W1 thresholds: a fifth / half of a mode's std
MASS_TOL = 0.10  # relative: |mass - w| <= 0.1 w, or 3 binomial standard errors if larger
N_EVAL = 5000
SNAPSHOT_STEPS = (0, 30, 300, 3000)
ARTICLE = {1: "20–30", 2: "20–30", 3: "300"}  # seed 001's steps to convergence (widths 4, 8, 12)


def mixture(k: int) -> tuple[list[float], list[float]]:
    means = [SPACING * (i - (k - 1) / 2) for i in range(k)]
    return means, [STD] * k


def eval_steps(max_steps: int) -> list[int]:
    """When to evaluate: every 10 steps up to 300, every 50 up to 2000, then every 100."""
    steps = list(range(10, 301, 10)) + list(range(350, 2001, 50)) + list(range(2100, max_steps + 1, 100))
    return [s for s in steps if s <= max_steps] + ([max_steps] if max_steps not in steps else [])


def _quantile_table(means, stds):
    """The mixture's quantile function tabulated once (bisection is too slow per evaluation)."""
    from ..data.toy import GaussianMixture1D

    tails = np.geomspace(1e-12, 1e-4, 60)
    u = np.unique(np.concatenate([tails, np.linspace(1e-4, 1 - 1e-4, 40001), 1 - tails]))
    q = GaussianMixture1D(means, stds).ppf(u)
    return lambda p: np.interp(p, u, q)


def run_one(modes: int, width: int, seed: int, max_steps: int) -> dict[str, Any]:
    """Train one (modes, width, seed) until convergence or ``max_steps``; picklable for --jobs."""
    from ..config import load_config
    from ..metrics.stats import mode_masses, wasserstein1_to_cdf
    from ..training import Trainer

    means, stds = mixture(modes)
    sets = [f"seed={seed}", f"data.params.means={means}", f"data.params.stds={stds}",
            f"generator.params.hidden=[{width}, {width}]", "train.tensorboard=false"]
    cfg = load_config(config_path(NAME), sets)
    trainer = Trainer.from_config(cfg, progress=False)
    ppf = _quantile_table(means, stds)

    def measure(step):
        # fresh latents at every evaluation: a lucky or unlucky sample does not persist
        x = trainer.sample(N_EVAL, seed=10_000_000 * (seed + 1) + step).ravel()
        w1 = wasserstein1_to_cdf(x, ppf, n_grid=0)["w1"]
        mm = mode_masses(x, means, stds, assign="posterior")
        return x, w1, mass_error_over_tolerance(mm["errors"], mm["weights"], N_EVAL)

    snapshots: dict[int, np.ndarray] = {}
    x, w1, rel = measure(0)
    snapshots[0] = x
    curve = [(0, w1, rel)]
    done = 0
    t0 = time.perf_counter()
    for step in eval_steps(max_steps):
        trainer.train_steps(step - done)
        done = step
        x, w1, rel = measure(step)
        curve.append((step, w1, rel))
        if step in SNAPSHOT_STEPS:
            snapshots[step] = x
        if not np.isnan(steps_to(curve, CRITERIA["strict"])):
            break
    seconds = time.perf_counter() - t0
    snapshots[done] = x
    row = {"modes": modes, "width": width, "seed": seed}
    for name, w1_max in CRITERIA.items():
        at = steps_to(curve, w1_max)
        row[f"steps_{name}"], row[f"converged_{name}"] = at, not np.isnan(at)
    row.update(steps_run=done, final_w1=w1, final_mass_error_over_tol=rel, seconds=seconds)
    return {
        "row": row,
        "curve": pd.DataFrame(curve, columns=["step", "w1", "mass_error_over_tol"]).assign(
            modes=modes, width=width, seed=seed),
        "snapshots": {k: v[::2] for k, v in snapshots.items()},
    }


def mass_error_over_tolerance(errors: Sequence[float], weights: Sequence[float], n: int) -> float:
    """max over modes of |mass - weight| / tolerance; <= 1 means every mode's mass is right.
    The tolerance is ``MASS_TOL`` x weight, or three binomial standard errors of a mass
    estimated from ``n`` samples if that is larger (with 10 modes and 5000 samples a perfect
    generator would otherwise miss the ±10% band at some mode one evaluation in six)."""
    w = np.asarray(weights, float)
    tol = np.maximum(MASS_TOL * w, 3 * np.sqrt(w * (1 - w) / n))
    tol = np.where(tol > 0, tol, np.inf)  # one mode: its mass is 1 by construction
    return float(np.max(np.abs(np.asarray(errors, float)) / tol))


def steps_to(curve: Sequence[tuple[int, float, float]], w1_max: float) -> float:
    """The first evaluated step of two in a row with W1 <= ``w1_max`` and every mode's mass
    within tolerance (NaN if never); ``curve`` holds (step, w1, mass error over tolerance)."""
    ok = [w <= w1_max and r <= 1 for _, w, r in curve]
    for i in range(1, len(curve)):
        if ok[i] and ok[i - 1] and curve[i - 1][0] > 0:
            return float(curve[i - 1][0])
    return np.nan


def minimal_widths(results: pd.DataFrame, criterion: str = "strict") -> pd.DataFrame:
    """Per number of modes, the smallest width at which most seeds converged, and its median steps."""
    rows = []
    for k, grp in results.groupby("modes"):
        share = grp.groupby("width")[f"converged_{criterion}"].mean()
        ok = share[share > 0.5]
        w = int(ok.index.min()) if len(ok) else np.nan
        med = float(grp[grp["width"] == w][f"steps_{criterion}"].median()) if len(ok) else np.nan
        rows.append({"modes": int(k), "min_width": w, "median_steps_at_min_width": med})
    return pd.DataFrame(rows)


def linear_fit(mw: pd.DataFrame) -> dict[str, float]:
    """Least-squares line min_width = a * modes + b and its R^2 (NaN with < 3 points)."""
    d = mw.dropna()
    if len(d) < 3:
        return {"slope": np.nan, "intercept": np.nan, "r2": np.nan}
    x, y = d["modes"].to_numpy(float), d["min_width"].to_numpy(float)
    a, b = np.polyfit(x, y, 1)
    ss_res = float(((y - (a * x + b)) ** 2).sum())
    ss_tot = float(((y - y.mean()) ** 2).sum())
    return {"slope": float(a), "intercept": float(b), "r2": 1 - ss_res / ss_tot if ss_tot > 0 else np.nan}


def summarize(run: StudyRun) -> tuple[pd.DataFrame, str]:
    """Convergence per number of modes and width under both criteria, the smallest width
    that converges and a line through them."""
    results = run.results
    res = results.copy()
    grp = res.groupby(["modes", "width"], sort=True)
    table = grp.agg(seeds=("seed", "count"), final_w1=("final_w1", "mean")).reset_index()
    for name in CRITERIA:
        res[f"c_{name}"] = res[f"converged_{name}"].astype(int)
        conv = res.groupby(["modes", "width"], sort=True)[f"c_{name}"].sum().to_numpy()
        spread = mean_std(res, ["modes", "width"], [f"steps_{name}"], digits=0, sort=True)
        assert spread[["modes", "width"]].values.tolist() == table[["modes", "width"]].values.tolist()
        table[f"{name}: converged"] = [f"{c}/{s}" for c, s in zip(conv, table["seeds"], strict=True)]
        table[f"{name}: steps (mean ± std, converged seeds)"] = spread[f"steps_{name}"].str.replace(
            "nan", "—").to_numpy()
    table["article"] = [ARTICLE.get(int(k), "") if int(w) == 4 * int(k) else "" for k, w in
                        zip(table["modes"], table["width"], strict=True)]
    table = table.drop(columns=["seeds"])
    notes = ["Converged: W1 to the true mixture ≤ threshold (strict "
             f"{CRITERIA['strict']}, loose {CRITERIA['loose']}) and every mode's mass within ±{MASS_TOL:.0%} of "
             f"its weight (or 3 binomial standard errors, if larger) at two evaluations in a row ({N_EVAL} fresh "
             "samples each); budget "
             f"{int(results['steps_run'].max())} steps; {int(results['seed'].nunique())} seeds. The article "
             "column sits at seed 001's widths (4 per mode).", ""]
    for name in CRITERIA:
        mw = minimal_widths(results, name)
        fit = linear_fit(mw)
        notes += [f"Smallest width at which most seeds converged ({name}):", "",
                  markdown_table(mw, digits=0),
                  f"Linear fit min_width = {fit['slope']:.2f} × modes + {fit['intercept']:.2f}, "
                  f"R² = {fit['r2']:.3f} (needs ≥ 3 numbers of modes that converge).", ""]
    return table, "\n".join(notes)


def figures(run: StudyRun) -> None:
    """Steps to converge against width (curves.csv beside them), and the widest
    generator's densities over training."""
    from .. import plots
    from ..data.toy import GaussianMixture1D

    out, outputs, results = run.path, run.outputs, run.results
    fig_dir = out / "figures"
    curves = pd.concat([o["curve"] for o in outputs], ignore_index=True)
    curves.to_csv(out / "curves.csv", index=False)
    for name in CRITERIA:
        plots.plot_steps_vs_width(results.rename(columns={f"steps_{name}": "steps_to_converge",
                                                          f"converged_{name}": "converged"}),
                                  fig_dir / f"steps_vs_width_{name}.png", max_steps=int(results["steps_run"].max()))
    # densities over training: the widest generator, first seed, one row per number of modes
    width, seed = int(results["width"].max()), int(results["seed"].min())
    rows, dens = [], []
    for o in outputs:
        r = o["row"]
        if r["width"] != width or r["seed"] != seed:
            continue
        means, stds = mixture(r["modes"])
        dens.append(GaussianMixture1D(means, stds).pdf)
        support = (min(means) - 3 * STD, max(means) + 3 * STD)  # missed modes stay in view
        rows.append([{"title": f"{r['modes']} modes, width {width}: step {s}", "samples": {"generated": x},
                      "density": dens[-1], "support": support} for s, x in sorted(o["snapshots"].items())])
    if rows:
        plots.plot_histogram_grid(rows, fig_dir / "densities.png", density_label="true density", share_x="row")


def cells(run: StudyRun) -> list[dict[str, Any]]:
    """One cell per number of modes, width and seed."""
    o = run.options
    modes, widths = sorted(unique(int(m) for m in o["modes"])), sorted(unique(int(w) for w in o["widths"]))
    return run.folder.run(run_one, [{"modes": k, "width": w, "seed": s, "max_steps": int(o["max_steps"])}
                                    for k in modes for w in widths for s in range(run.seeds)])


def rows(outputs: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame([o["row"] for o in outputs])


STUDY = register(Study(
    name=NAME, doc=__doc__, title="Multi-modal Gaussians (seed 001)", run_one=run_one, summarize=summarize,
    figures=figures, cells=cells, rows=rows, configs=[NAME], digits=3, hparams=("modes", "width"),
    defaults={"modes": MODES, "widths": WIDTHS, "max_steps": MAX_STEPS},
    quick_defaults={"modes": (1, 2), "widths": (8,), "max_steps": 200},
    options=[option("--modes", type=int, nargs="+", help=f"numbers of modes (default {MODES})"),
             option("--widths", type=int, nargs="+", help=f"generator hidden widths (default {WIDTHS})"),
             option("--max-steps", type=int, help=f"step budget per run (default {MAX_STEPS})")]))
run, main = STUDY.run, STUDY.main
