"""Does the privacy report catch copying? Two copying controls and two baselines on every
shipped table (70/30 split, seed 0), no GAN training (about a minute).

    python benchmarks/privacy_controls.py

Writes ``results/privacy_controls/results.csv`` and ``results.md``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split

from mpgan.metrics.privacy import privacy_report
from mpgan.report import write_machine_record
from mpgan.synthesizers import CopyRows, GaussianCopula, IndependentMarginals

OUT = Path(__file__).resolve().parent / "results" / "privacy_controls"
KEYS = ("closer_to_train", "closer_to_train_ideal", "dcr_synthetic_median", "dcr_holdout_median",
        "exact_copies_synthetic", "exact_copies_holdout", "mia_distance_auc", "mia_density_auc",
        "shared_rows_holdout", "judged_on")


def tables() -> dict[str, tuple[pd.DataFrame, str]]:
    from sklearn.datasets import load_breast_cancer, load_wine

    from mpgan.data.tabular import load_affairs, load_penguins, load_rand_hie

    return {"breast_cancer": (load_breast_cancer(as_frame=True).frame, "target"),
            "wine": (load_wine(as_frame=True).frame, "target"),
            "penguins": (load_penguins(), "species"), "affairs": (load_affairs(), "affair"),
            "rand_hie": (load_rand_hie(), "health")}


def main() -> None:
    rows = []
    for name, (df, target) in tables().items():
        train, hold = train_test_split(df, test_size=0.3, random_state=0)
        synths = {"identity": CopyRows(), "noisy_copy": CopyRows(noise=0.05),
                  "gaussian_copula": GaussianCopula(), "independent_marginals": IndependentMarginals()}
        for label, syn in synths.items():
            fake = syn.fit(train).sample(len(train), seed=0)
            r = privacy_report(train, hold, fake, categorical=[target])
            warn = sum(v.startswith("warning") for v in r["readings"].values())
            rows.append({"table": name, "synthesizer": label, **{k: r[k] for k in KEYS}, "warnings": warn})
    res = pd.DataFrame(rows)
    OUT.mkdir(parents=True, exist_ok=True)
    res.to_csv(OUT / "results.csv", index=False)
    lines = ["# Privacy report on copying controls", "", "`python benchmarks/privacy_controls.py`: 70/30 split "
             "(seed 0), synthetic rows as many as the training rows. Nearer to train: share of synthetic rows "
             "nearer to a training row than to an unseen one (ideal in brackets). Warnings: of 5 readings.", "",
             "| table | synthesizer | nearer to train (ideal) | DCR median synth / holdout | exact copies | "
             "MIA AUC distance | MIA AUC density | warnings |", "|" + "---|" * 8]
    for r in res.itertuples():
        lines.append(f"| {r.table} | {r.synthesizer} | {r.closer_to_train:.2f} ({r.closer_to_train_ideal:.2f}) | "
                     f"{r.dcr_synthetic_median:.2f} / {r.dcr_holdout_median:.2f} | {r.exact_copies_synthetic:.1%} | "
                     f"{r.mia_distance_auc:.2f} | {r.mia_density_auc:.2f} | {r.warnings} |")
    (OUT / "results.md").write_text("\n".join(lines) + "\n")
    write_machine_record(OUT, command="python benchmarks/privacy_controls.py")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
