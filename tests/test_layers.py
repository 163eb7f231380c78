"""The package's shape: the layer contract in setup.cfg holds (import-linter counts imports
inside functions too, so a lazy import that reaches up breaks it)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    return subprocess.run([exe, "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_layers_contract_is_kept():
    out = lint_imports(ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Contracts: 1 kept, 0 broken." in out.stdout


def test_a_lazy_import_that_reaches_up_breaks_the_contract(tmp_path):
    tree = tmp_path / "repo"
    shutil.copytree(ROOT / "mpgan", tree / "mpgan", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "setup.cfg", tree / "setup.cfg")
    with (tree / "mpgan" / "training" / "from_config.py").open("a") as f:
        f.write("\n\ndef _reach_up():\n    from ..studies import STUDIES\n\n    return STUDIES\n")
    out = subprocess.run([shutil.which("lint-imports") or "lint-imports", "--no-cache"], cwd=tree,
                         capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(tree), "PATH": str(Path(sys.executable).parent)})
    if "Could not find package" in out.stdout + out.stderr:
        pytest.skip("lint-imports did not pick up the copied package")
    assert out.returncode != 0
    assert "mpgan.training is not allowed to import mpgan.studies" in out.stdout
