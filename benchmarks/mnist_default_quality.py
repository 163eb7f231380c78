"""Quality of the README's main job, calibrated, over several training seeds.

For each seed this runs the README's command as a user would, timed whole
(``mpgan train --config CONFIG --set seed=S``, interpreter start-up included), then
``mpgan evaluate --n N`` on the run. It reports, per seed, the FID against held-out
real images next to the calibration ladder (the same FID for real held-out images,
for real images with pixel noise, blurred, or of only 5 classes: same extractor, same
n), the smallest class share, the classes below half their fair share and the
classifier's mean confidence; then whether the default job's target holds on every seed:
FID below "real + noise σ 0.2", no class below half its fair share, confidence ≥ 0.93,
and the command under 5 minutes.

    python benchmarks/mnist_default_quality.py --seeds 0 1 2 --out benchmarks/results/mnist_default
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from mpgan.report import write_machine_record

ROOT = Path(__file__).resolve().parents[1]
TARGET = {"fid_below": "noise_0.2", "aim_below": "noise_0.1", "min_share": 0.05, "confidence": 0.93,
          "minutes": 5.0}


def run_seed(config: Path, seed: int, work: Path, n: int, extra: list[str], conditional: bool = False) -> dict:
    run = work / f"seed_{seed}"
    if run.exists():
        shutil.rmtree(run)
    cmd = [sys.executable, "-m", "mpgan.cli", "train", "--config", str(config), "--set", f"seed={seed}",
           "--run-dir", str(run), *[a for s in extra for a in ("--set", s)]]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if done.returncode:
        raise SystemExit(f"training seed {seed} failed:\n{done.stderr[-2000:]}")
    metrics = ["fid", "mode_coverage"] + (["label_agreement"] if conditional else [])
    ev = subprocess.run([sys.executable, "-m", "mpgan.cli", "evaluate", "--run", str(run), "--n", str(n),
                         "--metrics", *metrics], capture_output=True, text=True)
    if ev.returncode:
        raise SystemExit(f"evaluating seed {seed} failed:\n{ev.stderr[-2000:]}")
    res = json.loads((run / "eval" / "metrics.json").read_text())
    fid, cov = res["fid"], res["mode_coverage"]
    row = {"seed": seed, "command_seconds": round(seconds, 1), "steps": res["step"], "fid": fid["value"],
           "n": fid["n_fake"], "reads_as": fid["reads_as"], "min_class_share": min(cov["histogram"]),
           "n_missing": cov["n_missing"], "mean_confidence": cov["mean_confidence"],
           "real_confidence": cov["real_confidence"], "extractor": res["extractor"]}
    if conditional:
        agree = res["label_agreement"]
        row.update({"label_agreement": agree["value"], "label_agreement_min_class": agree["min_class"],
                    "classifier_real_accuracy": agree.get("real_accuracy")})
    row.update({f"ladder_{k}": v for k, v in fid["ladder"].items()})
    row.update({f"share_{c}": s for c, s in zip(cov["class_names"], cov["histogram"], strict=True)})
    return row


def curve_run(config: Path, seed: int, work: Path, every: int, n: int, extra: list[str]) -> pd.DataFrame:
    """One more run of ``seed`` with FID and class coverage every ``every`` epochs (the
    evaluations are not counted in its minutes): quality against training time."""
    run = work / f"curve_seed_{seed}"
    if run.exists():
        shutil.rmtree(run)
    sets = [f"seed={seed}", f"eval.every={every}", "eval.metrics=[fid, mode_coverage]", f"eval.n={n}", *extra]
    cmd = [sys.executable, "-m", "mpgan.cli", "train", "--config", str(config), "--run-dir", str(run),
           *[a for s in sets for a in ("--set", s)]]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"curve run failed:\n{done.stderr[-2000:]}")
    epochs = pd.read_csv(run / "epochs.csv")
    epochs["minutes"] = epochs["seconds"].cumsum() / 60
    scored = epochs.dropna(subset=["metric.fid.value"])
    return pd.DataFrame({"epoch": scored["epoch"], "step": scored["step"], "minutes": scored["minutes"],
                         "fid": scored["metric.fid.value"],
                         "confidence": scored["metric.mode_coverage.mean_confidence"],
                         "n_missing": scored["metric.mode_coverage.n_missing"]})


def verdict(df: pd.DataFrame) -> pd.DataFrame:
    checks = pd.DataFrame({
        "seed": df["seed"],
        "fid < noise σ 0.2": df["fid"] < df[f"ladder_{TARGET['fid_below']}"],
        "fid < noise σ 0.1 (aim)": df["fid"] < df[f"ladder_{TARGET['aim_below']}"],
        "every class ≥ half its share": df["min_class_share"] >= TARGET["min_share"],
        "confidence ≥ 0.93": df["mean_confidence"] >= TARGET["confidence"],
        "command < 5 min": df["command_seconds"] < 60 * TARGET["minutes"],
    })
    return checks


def report(df: pd.DataFrame, config: Path) -> str:
    ladder_cols = [c for c in df.columns if c.startswith("ladder_")]
    lines = [f"# `{config.relative_to(ROOT) if config.is_relative_to(ROOT) else config}`, "
             f"{len(df)} training seeds", "",
             "FID of n generated samples against n held-out real images, beside the calibration "
             "ladder (the same FID for damaged real images, same extractor and n). Each row is one "
             "training seed; `mpgan evaluate` draws the samples, the held-out reference and the "
             "ladder's images with its own seed 0, so the ladder is the same in every row and the "
             "spread between rows is the spread over training seeds.", "",
             "| seed | command | steps | FID | " + " | ".join(c.removeprefix("ladder_") for c in ladder_cols)
             + " | min class share | missing | confidence (real) |",
             "| ---: | ---: | ---: | ---: | " + " | ".join("---:" for _ in ladder_cols) + " | ---: | ---: | ---: |"]
    for _, r in df.iterrows():
        lines.append(f"| {r.seed} | {r.command_seconds / 60:.2f} min | {r.steps} | **{r.fid:.2f}** | "
                     + " | ".join(f"{r[c]:.2f}" for c in ladder_cols)
                     + f" | {r.min_class_share:.3f} | {r.n_missing} | {r.mean_confidence:.3f} "
                       f"({r.real_confidence:.3f}) |")
    m = df[["command_seconds", "fid", "min_class_share", "mean_confidence"]].agg(["mean", "std"])
    lines += ["", f"Mean ± std (sample std) over the {len(df)} training seeds: FID {m.fid['mean']:.2f} ± {m.fid['std']:.2f}, "
              f"smallest class share {m.min_class_share['mean']:.3f} ± {m.min_class_share['std']:.3f}, "
              f"confidence {m.mean_confidence['mean']:.3f} ± {m.mean_confidence['std']:.3f}, "
              f"command {m.command_seconds['mean'] / 60:.2f} ± {m.command_seconds['std'] / 60:.2f} min.", "",
              "Where each FID reads on the ladder: " + "; ".join(f"seed {r.seed}: {r.reads_as}"
                                                                for _, r in df.iterrows()) + ".", "",
              "## Target, per seed", ""]
    checks = verdict(df)
    lines.append("| " + " | ".join(checks.columns) + " |")
    lines.append("| " + " | ".join("---" for _ in checks.columns) + " |")
    for _, r in checks.iterrows():
        lines.append("| " + " | ".join(str(r[c]) if c == "seed" else ("yes" if r[c] else "**no**")
                                       for c in checks.columns) + " |")
    if "label_agreement" in df:
        lines += ["", "Label agreement (conditional run: share of samples the classifier puts in the requested "
                  "class, overall / worst class): " + "; ".join(
                      f"seed {r.seed}: {r.label_agreement:.1%} / {r.label_agreement_min_class:.1%}"
                      for _, r in df.iterrows()) + "."]
        if "classifier_real_accuracy" in df and df["classifier_real_accuracy"].notna().all():
            lines[-1] += (f" For scale, the same classifier labels the held-out real images right "
                          f"{df['classifier_real_accuracy'].iloc[0]:.1%} of the time.")
    lines += ["", f"Extractor: `{df.extractor.iloc[0]}`."]
    return "\n".join(lines) + "\n"


def is_conditional(config: Path) -> bool:
    """Whether the config's generator is class-conditional (then label agreement is scored)."""
    import yaml

    cfg = yaml.safe_load(config.read_text())
    gen = cfg.get("generator") or {}
    return bool(isinstance(gen, dict) and (gen.get("params") or {}).get("conditional"))


def seed_table(config: Path, work: Path, args: argparse.Namespace) -> pd.DataFrame:
    conditional = is_conditional(config)
    rows = []
    for seed in args.seeds:
        rows.append(run_seed(config, seed, work, args.n, args.set, conditional))
        print(f"seed {seed}: FID {rows[-1]['fid']:.2f} ({rows[-1]['reads_as']}), "
              f"{rows[-1]['command_seconds']:.0f} s, confidence {rows[-1]['mean_confidence']:.3f}", flush=True)
    df = pd.DataFrame(rows)
    print(report(df, config))
    return df


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", default=str(ROOT / "experiments" / "configs" / "mnist_default.yaml"))
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--n", type=int, default=1000, help="generated (and held-out real) images per FID")
    ap.add_argument("--set", action="append", default=[], help="config override passed to every run")
    ap.add_argument("--work", default="runs/mnist_default_quality", help="where the runs are written")
    ap.add_argument("--out", help="folder for results.csv and results.md")
    ap.add_argument("--curve-every", type=int, default=0,
                    help="also train the first seed once more, scoring it every N epochs (curve.csv/.png)")
    ap.add_argument("--curve-only", action="store_true",
                    help="only the curve run, its ladder read from OUT/results.csv of an earlier run")
    args = ap.parse_args(argv)
    config, work = Path(args.config).resolve(), Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    from mpgan.io import atomic_save, atomic_write_text

    out = Path(args.out) if args.out else None
    if args.curve_only:
        if out is None or not (out / "results.csv").is_file() or not args.curve_every:
            raise SystemExit("--curve-only needs --curve-every N and an --out folder holding results.csv")
        df = pd.read_csv(out / "results.csv")
    else:
        df = seed_table(config, work, args)
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            atomic_save(out / "results.csv", lambda p: df.to_csv(p, index=False), suffix=".csv")
            atomic_write_text(out / "results.md", report(df, config))
            write_machine_record(out)
    if args.curve_every:
        from mpgan import plots

        curve = curve_run(config, args.seeds[0], work, args.curve_every, args.n, args.set)
        print(curve.to_string(index=False))
        if out is not None:
            atomic_save(out / "curve.csv", lambda p: curve.to_csv(p, index=False), suffix=".csv")
            first = df.iloc[0]
            ladder = {"real + noise σ 0.1": first["ladder_noise_0.1"], "real + noise σ 0.2": first["ladder_noise_0.2"],
                      "real held-out": first["ladder_real"]}
            plots.plot_quality_curve(curve, ladder, out / "curve.png",
                                     title=f"seed {args.seeds[0]}: quality against training time")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
