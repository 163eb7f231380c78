"""The docs site: `mkdocs build --strict` passes, and its generated reference pages
(docs/hooks.py) cover every config key and every CLI subcommand."""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mpgan import config as config_module
from mpgan.config_reference import config_reference_markdown, config_sections

ROOT = Path(__file__).resolve().parent.parent


def _hooks():
    spec = importlib.util.spec_from_file_location("mpgan_docs_hooks", ROOT / "docs" / "hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_mkdocs_build_strict(tmp_path):
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}"
    site = tmp_path / "site"
    for page in ("reference/config/index.html", "reference/cli/index.html", "reference/api/index.html"):
        assert (site / page).is_file(), page
    assert not (site / "hooks.py").exists()


def test_config_reference_lists_every_field_of_every_config_dataclass():
    md = config_reference_markdown()
    sections = config_sections()
    classes = {obj for obj in vars(config_module).values()
               if isinstance(obj, type) and dataclasses.is_dataclass(obj) and obj.__module__ == config_module.__name__}
    assert classes <= {cls for _, cls, _ in sections}, "a config dataclass is not reachable from Config"
    rows = {line.split("|")[1].strip().strip("`"): line for line in md.splitlines() if line.startswith("| `")}
    for cls in classes:
        paths = [path for path, c, _ in sections if c is cls]
        documented = [p for p in paths if all(f"{p + '.' if p else ''}{f.name}" in rows for f in dataclasses.fields(cls))]
        assert documented, f"{cls.__name__}: no section lists all of its fields"
        for f in dataclasses.fields(cls):
            key = f"{documented[0] + '.' if documented[0] else ''}{f.name}"
            description = rows[key].rstrip().rstrip("|").rsplit("|", 1)[1].strip()
            assert description, f"{key} has no one-line doc (a trailing # comment in mpgan/config.py)"
    # one deep key, its type and default
    assert config_module.PrivacyConfig().target_epsilon is None
    assert rows["privacy.target_epsilon"].startswith("| `privacy.target_epsilon` | `float | None` | `null` |")
    assert rows["train.batch_size"].startswith(f"| `train.batch_size` | `int` | `{config_module.TrainConfig().batch_size}` |")


def test_cli_reference_names_every_subcommand():
    from mpgan.cli import build_parser

    hooks = _hooks()
    md = hooks.cli_reference_markdown()
    names = [name for name, _, _ in hooks._subcommands(build_parser())]
    assert "train" in names and "sweep" in names
    for name in names:
        assert f"## `mpgan {name}`" in md, name
    assert "`--set KEY=VALUE, -s KEY=VALUE`" in md


@pytest.mark.parametrize("code", [
    "from mpgan.cli import build_parser; build_parser()",
    "from mpgan.config_reference import config_reference_markdown; config_reference_markdown()",
])
def test_reference_generators_do_not_import_tensorflow(code):
    check = f"import sys; {code}; assert 'tensorflow' not in sys.modules, 'tensorflow was imported'"
    proc = subprocess.run([sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
