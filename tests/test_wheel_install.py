"""The installed wheel works outside the checkout: configs ship as package data, and
`mpgan list`, a 1-epoch run of the default config and a --quick study run from a fresh
venv (with the machine's other packages, but not the checkout) in a folder of its own."""

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(cmd, cwd, env, timeout=600):
    out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, f"{cmd} failed:\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}"
    return out.stdout


def test_wheel_installs_and_runs_outside_the_checkout(tmp_path):
    dist = tmp_path / "dist"
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist),
         str(ROOT)], cwd=tmp_path, env=os.environ.copy())
    wheel = next(dist.glob("mpgan-*.whl"))
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index", "--ignore-installed", "-q", str(wheel)],
        cwd=tmp_path, env=os.environ.copy())
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MPGAN_CONFIGS", "MPGAN_DATA")}
    env["MPGAN_CACHE"] = str(tmp_path / "cache")
    where = run([str(py), "-c", "import mpgan; print(mpgan.__file__)"], cwd=work, env=env)
    assert str(env_dir) in where and str(ROOT) not in where  # the wheel, not the checkout
    mpgan = str(env_dir / "bin" / "mpgan")
    assert "mnist_default" not in run([mpgan, "list", "datasets"], cwd=work, env=env)
    assert "mnist" in run([mpgan, "list", "datasets"], cwd=work, env=env)
    run([mpgan, "train", "--config", "mnist_default", "--epochs", "1", "--set", "train.steps_per_epoch=20",
         "--set", "train.steps_per_call=10", "--set", "eval.every=0"], cwd=work, env=env)
    assert (work / "runs" / "mnist_default" / "generator.weights.h5").is_file()
    run([mpgan, "experiment", "normal_toy", "--quick", "--out", "study"], cwd=work, env=env)
    assert (work / "study" / "results.md").is_file()
