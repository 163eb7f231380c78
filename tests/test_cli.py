"""The command line: list, train, sample; errors exit non-zero with one clear line."""

import subprocess
import sys

import numpy as np
import pytest

from mpgan.cli import main
from tests.helpers import TINY, TOY


def sets(items):
    return [a for item in items for a in ("--set", item)]


def test_console_script_help():
    out = subprocess.run(["mpgan", "--help"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0
    for cmd in ("list", "train", "sample"):
        assert cmd in out.stdout


def test_list_shows_every_registry(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for header in ("generators:", "discriminators:", "datasets:", "objectives:", "metrics:", "modalities:"):
        assert header in out
    line = next(line for line in out.splitlines() if line.strip().startswith("mpgan_discriminator"))
    assert len(line.split(None, 1)[1]) > 10  # a description follows the name


def test_train_then_sample(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", *sets(TINY), "--run-dir", str(run)]) == 0
    assert "run directory:" in capsys.readouterr().out
    assert (run / "history.csv").exists()
    for ext in ("png", "npy"):
        assert main(["sample", "--run", str(run), "--n", "9", "--seed", "1", "--out", str(tmp_path / f"s.{ext}")]) == 0
    again = tmp_path / "again.npy"
    assert main(["sample", "--run", str(run), "--n", "9", "--seed", "1", "--out", str(again)]) == 0
    a, b = np.load(tmp_path / "s.npy"), np.load(again)
    assert a.shape == (9, 8, 8, 1) and np.array_equal(a, b)
    # resume and extend
    assert main(["train", "--resume", str(run), "--epochs", "3"]) == 0
    assert "resuming" in capsys.readouterr().out
    # an existing run directory is refused rather than overwritten
    assert main(["train", *sets(TINY), "--run-dir", str(run)]) == 2
    assert "already exists" in capsys.readouterr().err


@pytest.mark.parametrize("args, message", [
    (["train", "--set", "train.batch_size=7"], "train.batch_size must be a positive even number"),
    (["train", "--set", "generator=nope"], "unknown generator 'nope'"),
    (["train", "--set", "data=nope"], "unknown dataset 'nope'; known datasets:"),
    (["train", "--config", "/no/such.yaml"], "does not exist"),
    (["sample", "--run", "/no/such/run", "--out", "x.png"], "is not an mpgan run directory"),
    (["sample", "--run", ".", "--out", "x.gif"], "--out must end in .png"),
    (["experiment", "NOSUCH"], "unknown study 'NOSUCH'; known studies: augmentation,"),
])
def test_errors_exit_2_with_one_line(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err
    assert not (tmp_path / "runs").exists()  # no half-written run directory


def test_console_script_exit_code_on_error(tmp_path):
    out = subprocess.run([sys.executable, "-m", "mpgan.cli", "train", "--set", "train.epochs=0"],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert out.returncode == 2
    assert "error: config error: train.epochs must be a positive integer, got 0" in out.stderr


def _run(args, tmp_path, **kw):
    env = {k: v for k, v in __import__("os").environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run([sys.executable, "-m", "mpgan.cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path, env=env, **kw)


def test_help_and_list_do_not_import_tensorflow():
    code = ("import sys\nfrom mpgan.cli import main\nmain(['list'])\n"
            "heavy = [m for m in ('tensorflow', 'keras', 'scipy.stats') if m in sys.modules]\n"
            "assert not heavy, heavy\nprint('light')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "light" in out.stdout, out.stderr
    import mpgan

    assert mpgan.Trainer.__name__ == "Trainer"  # the lazy names still resolve


START_UP = ("oneDNN custom operations", "cudart_stub", "absl::InitializeLog", "cuInit",
            "To enable the following instructions")


@pytest.mark.slow  # test_filter_passes_other_stderr_through runs the filter on a start-up line in a subprocess
def test_commands_hide_tensorflow_start_up_lines_unless_verbose(tmp_path):
    run = tmp_path / "run"
    assert main(["train", *sets(TOY + ["train.epochs=1"]), "--run-dir", str(run)]) == 0
    out = _run(["sample", "--run", str(run), "--out", str(tmp_path / "x.npy")], tmp_path)
    assert out.returncode == 0, out.stderr
    for line in START_UP:
        assert line not in out.stderr, out.stderr
    verbose = _run(["-v", "sample", "--run", str(run), "--out", str(tmp_path / "y.npy")], tmp_path)
    # which start-up lines TensorFlow prints depends on the CPU; -v must show whichever it prints
    assert verbose.returncode == 0 and any(s in verbose.stderr for s in START_UP), verbose.stderr


def test_filter_passes_other_stderr_through():
    code = ("import os, sys, warnings\nfrom mpgan.console import filtered_stderr\n"
            "with filtered_stderr():\n"
            "    os.write(2, b'I0000 00:00:1796350464.891794    5900 port.cc:153] oneDNN custom operations\\n')\n"
            "    warnings.warn('a warning that matters')\n"
            "    print('progress\\r', end='', file=sys.stderr, flush=True)\n"
            "    print('error: kept', file=sys.stderr)\n")
    err = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60).stderr
    assert b"oneDNN" not in err
    assert b"a warning that matters" in err and b"progress\r" in err and b"error: kept" in err
