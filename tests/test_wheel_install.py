"""The installed wheel works outside the checkout, from a fresh venv (with the machine's
other packages, but not the checkout) in a folder of its own: configs ship as package data
and resolve as in the checkout, `mpgan list` and `mpgan experiment` work; the slow test
also trains 1 epoch of the default config and runs a --quick study."""

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from mpgan.config import load_config

ROOT = Path(__file__).resolve().parents[1]


def run(cmd, cwd, env, timeout=600):
    out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, f"{cmd} failed:\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}"
    return out.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The wheel built from the checkout, installed in a fresh venv; ``(mpgan, python, work dir, env)``."""
    tmp_path = tmp_path_factory.mktemp("wheel")
    dist = tmp_path / "dist"
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist),
         str(ROOT)], cwd=tmp_path, env=os.environ.copy())
    wheel = next(dist.glob("mpgan-*.whl"))
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index", "--ignore-installed",
         "-q", str(wheel)], cwd=tmp_path, env=os.environ.copy())
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MPGAN_CONFIGS", "MPGAN_DATA")}
    env["MPGAN_CACHE"] = str(tmp_path / "cache")
    where = run([str(py), "-c", "import mpgan; print(mpgan.__file__)"], cwd=work, env=env)
    assert str(env_dir) in where and str(ROOT) not in where  # the wheel, not the checkout
    return str(env_dir / "bin" / "mpgan"), py, work, env


def test_wheel_ships_its_configs_and_commands(installed):
    """Without TensorFlow work: the registries list, and every shipped config resolves by name."""
    mpgan, py, work, env = installed
    listed = run([mpgan, "list", "datasets"], cwd=work, env=env)
    assert "mnist" in listed and "mnist_default" not in listed
    assert "normal_toy" in run([mpgan, "experiment"], cwd=work, env=env)
    code = ("import json; from mpgan.config import load_config, packaged_configs; "
            "print(json.dumps({n: load_config(n).to_dict() for n in sorted(packaged_configs())}))")
    shipped = json.loads(run([str(py), "-c", code], cwd=work, env=env))
    assert sorted(shipped) == sorted(p.stem for p in (ROOT / "mpgan" / "configs").glob("*.yaml"))
    assert shipped == {name: load_config(name).to_dict() for name in shipped}


@pytest.mark.slow
def test_wheel_trains_and_runs_a_study_outside_the_checkout(installed):
    mpgan, _, work, env = installed
    run([mpgan, "train", "--config", "mnist_default", "--epochs", "1", "--set", "train.steps_per_epoch=20",
         "--set", "train.steps_per_call=10", "--set", "eval.every=0"], cwd=work, env=env)
    assert (work / "runs" / "mnist_default" / "generator.weights.h5").is_file()
    run([mpgan, "experiment", "normal_toy", "--quick", "--out", "study"], cwd=work, env=env)
    assert (work / "study" / "results.md").is_file()
