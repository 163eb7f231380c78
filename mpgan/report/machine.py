"""Where a result was measured: the ``machine.json`` beside every committed results file.

The same command runs 2x faster on one CPU than another, so a time means little without its
machine. Every script that writes results under ``*/results/`` calls
:func:`write_machine_record` once; the docs renderer prints the record under every block
that reads the folder.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import shlex
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from ..io import atomic_write_text

MACHINE_FILE = "machine.json"
#: What the GFLOP/s probe times (recorded with its value, so probes stay comparable).
PROBE = "float32 1024x1024 tf.matmul in a tf.function, median of 9"


def cpu_model() -> str:
    """The CPU's model name from ``/proc/cpuinfo`` (``platform.processor()`` elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def matmul_gflops(n: int = 1024, repeats: int = 9, dtype: str = "float32") -> float:
    """Median GFLOP/s of an ``n x n`` matmul of ``dtype`` in TensorFlow: this machine's practical peak."""
    import tensorflow as tf

    a = tf.cast(tf.random.normal((n, n), seed=1), dtype)
    b = tf.cast(tf.random.normal((n, n), seed=2), dtype)
    f = tf.function(lambda a, b: tf.reduce_sum(tf.cast(tf.matmul(a, b), tf.float32)))
    for _ in range(2):
        f(a, b).numpy()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f(a, b).numpy()
        times.append(time.perf_counter() - t0)
    return 2.0 * n**3 / statistics.median(times) / 1e9


def _version(module: str) -> str | None:
    mod = sys.modules.get(module)
    if mod is None:
        try:
            from importlib.metadata import version

            return version(module)
        except Exception:  # not installed
            return None
    return getattr(mod, "__version__", None)


def machine_record(command: str | list[str] | None = None, probe: bool = True) -> dict[str, Any]:
    """CPU model, cores, a matmul GFLOP/s probe, versions, date and ``command`` (default: argv)."""
    from ..version import __version__

    if command is None:
        command = [Path(sys.argv[0]).name if sys.argv[0].endswith("mpgan") else sys.argv[0], *sys.argv[1:]]
        command = ("python " if command[0].endswith(".py") else "") + shlex.join(command)
    elif not isinstance(command, str):
        command = shlex.join(command)
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "cores_usable": affinity,
        "gflops": round(matmul_gflops(), 1) if probe else None,
        "probe": PROBE if probe else None,
        "python": platform.python_version(),
        "tensorflow": _version("tensorflow"),
        "keras": _version("keras"),
        "mpgan": __version__,
        "date": _dt.datetime.now().astimezone().isoformat(timespec="minutes"),
        "command": command,
    }


def write_machine_record(folder: str | Path, command: str | list[str] | None = None,
                         probe: bool = True) -> dict[str, Any]:
    """Write ``folder/machine.json`` (see :func:`machine_record`) and return the record."""
    record = machine_record(command, probe=probe)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / MACHINE_FILE, json.dumps(record, indent=2) + "\n")
    return record


def find_machine_record(path: Path, root: Path) -> Path | None:
    """The ``machine.json`` of the results folder holding ``path``: its own folder or the
    nearest parent, not above ``root``."""
    folder = path if path.is_dir() else path.parent
    root = root.resolve()
    folder = folder.resolve()
    while True:
        candidate = folder / MACHINE_FILE
        if candidate.is_file():
            return candidate
        if folder == root or root not in folder.parents:
            return None
        folder = folder.parent


def describe_machine(record: dict[str, Any]) -> str:
    """One line: ``2026-12-04 on AMD EPYC 7B13 (2 cores, 148.7 GFLOP/s), TensorFlow 2.21.0, mpgan 0.1.0``."""
    date = str(record.get("date") or "date not recorded")[:10]
    if record.get("legacy"):
        # Results measured before machine records existed: only what their pages had noted.
        known = ", ".join(str(record[k]) + suffix for k, suffix in
                          (("cpu", ""), ("cores", " cores"), ("gflops", " GFLOP/s")) if record.get(k))
        return f"committed {date}, " + (f"measured on {known}" if known else "machine not recorded")
    cpu = record.get("cpu") or "CPU not recorded"
    parts = [f"{record['cores']} cores" if record.get("cores") else "cores not recorded",
             f"{record['gflops']:.1f} GFLOP/s" if record.get("gflops") else "GFLOP/s not recorded"]
    versions = [f"TensorFlow {record['tensorflow']}" if record.get("tensorflow") else None,
                f"mpgan {record['mpgan']}" if record.get("mpgan") else None]
    text = f"{date} on {cpu} ({', '.join(parts)})"
    versions = [v for v in versions if v]
    if versions:
        text += ", " + ", ".join(versions)
    return text
