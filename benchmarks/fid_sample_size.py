"""How many samples does a stable FID need? (seed 002: FID is biased at small n)

Two measurements on the same feature extractor (the digits classifier that
``mpgan evaluate`` uses):

- the *floor*: FID between two disjoint random halves of the real data, of n each —
  what a perfect generator would score at that n;
- with ``--run``: FID of n generated samples against n real ones, for a trained run.

Writes ``results.csv`` and ``results.md`` (mean ± std over repeats per n).

    python benchmarks/fid_sample_size.py --run runs/digits_mpgan --out benchmarks/results/fid_sample_size
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from mpgan.data import load_dataset
from mpgan.io import atomic_save, atomic_write_text
from mpgan.metrics import classifier_extractor, fid_from_features, fid_sample_size_study
from mpgan.report import write_machine_record


def generated_fid(run: str, extractor, real: np.ndarray, sizes, repeats: int, seed: int) -> pd.DataFrame:
    from mpgan.training import Trainer

    trainer = Trainer.from_run(run, progress=False)
    f_real_all = extractor.features(real)
    rows = []
    for n in sizes:
        if n > len(real):
            continue
        for r in range(repeats):
            rng = np.random.default_rng(seed + 1000 * r + n)
            f_real = f_real_all[rng.choice(len(real), n, replace=False)]
            f_fake = extractor.features(trainer.sample(n, seed=seed + r))
            rows.append({"n": n, "repeat": r, "fid": fid_from_features(f_real, f_fake)["value"]})
    return pd.DataFrame(rows)


def summarise(df: pd.DataFrame, label: str) -> pd.DataFrame:
    g = df.groupby("n")["fid"]
    out = pd.DataFrame({"mean": g.mean(), "std": g.std(ddof=1), "repeats": g.count()}).reset_index()
    out.insert(0, "measure", label)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dataset", default="digits")
    ap.add_argument("--size", type=int, default=28)
    ap.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 250, 500, 898])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--run", help="also score this run's generator at each n")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", help="folder for results.csv and results.md")
    args = ap.parse_args(argv)

    data = load_dataset(args.dataset, size=args.size)
    extractor = classifier_extractor(args.dataset, {"size": args.size}, seed=0)
    floor = fid_sample_size_study(data.x, extractor, sizes=tuple(args.sizes), repeats=args.repeats, seed=args.seed)
    parts = [floor.assign(measure="real vs real (floor)")]
    summary = [summarise(floor, "real vs real (floor)")]
    if args.run:
        gen = generated_fid(args.run, extractor, data.x, args.sizes, args.repeats, args.seed)
        parts.append(gen.assign(measure=f"generated ({args.run}) vs real"))
        summary.append(summarise(gen, f"generated ({args.run}) vs real"))
    table = pd.concat(summary, ignore_index=True)
    lines = [f"FID vs sample size on {args.dataset} {args.size}x{args.size}, extractor {extractor.id} "
             f"(held-out accuracy {extractor.info.get('holdout_accuracy', float('nan')):.3f}), "
             f"{args.repeats} repeats", "", "| measure | n | FID mean | std |", "| --- | --- | --- | --- |"]
    lines += [f"| {r.measure} | {r.n} | {r['mean']:.2f} | {r['std']:.2f} |" for _, r in table.iterrows()]
    text = "\n".join(lines)
    print(text)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        raw = pd.concat(parts, ignore_index=True)
        atomic_save(out / "results.csv", lambda p: raw.to_csv(p, index=False), suffix=".csv")
        atomic_write_text(out / "results.md", text + "\n")
        write_machine_record(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
