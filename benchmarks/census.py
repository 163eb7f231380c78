"""The bad-input census: run every case of ``tests/census_cases.py`` (the table
``tests/test_census.py`` runs) and record, per case, whether the command refused its input
with one ``error:`` line naming the culprit, the expected exit code and nothing left behind.

Writes ``results.csv`` (one row per case: id, group, passed, what went wrong) and
``machine.json``; the docs render the counts from them. Cases that need a read-only folder
are skipped where ``chattr +i`` does not work (they are recorded as ``skipped``).

    python benchmarks/census.py                       # writes benchmarks/results/census
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mpgan.io import atomic_save  # noqa: E402
from mpgan.report import write_machine_record  # noqa: E402
from tests.census_cases import CASES, KNOWN, check_case, make_env, release  # noqa: E402


def census(root: Path) -> pd.DataFrame:
    """One row per case, run against a fresh environment under ``root``."""
    env = make_env(root)
    rows = []
    try:
        for case in CASES:
            skipped = any(n not in env for n in case.needs)
            problem = None if skipped else check_case(case, env, root / "cases" / case.id)
            rows.append({"case": case.id, "group": case.group, "skipped": skipped,
                         "passed": not skipped and problem is None, "known": KNOWN.get(case.id, ""),
                         "problem": problem or ""})
    finally:
        release(env)
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "census"), help="results folder")
    args = p.parse_args(argv)
    out = Path(args.out)
    with tempfile.TemporaryDirectory() as tmp:
        table = census(Path(tmp))
    atomic_save(out / "results.csv", lambda path: table.to_csv(path, index=False), suffix=".csv")
    write_machine_record(out, command=["python", "benchmarks/census.py", *(argv or sys.argv[1:])])
    ran = table[~table["skipped"]]
    print(f"{int(ran['passed'].sum())} of {len(ran)} cases pass ({int(table['skipped'].sum())} skipped)")
    for _, row in ran[~ran["passed"]].iterrows():
        print(f"  {row['case']}: {row['problem']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
