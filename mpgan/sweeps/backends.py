"""Where cells run: ``local`` (this process, or a pool of spawned worker processes) or
``ray`` (one Ray task per cell, on a Ray cluster of any size).

A backend has one method, ``map(fn, tasks, finished, failed)``: it calls
``finished(i, result, seconds)`` or ``failed(i, error_text)`` for each task as it ends,
in whatever order they end, so the caller can record each cell at once.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import shutil
import socket
import sys
import tarfile
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError, MpganError
from .cells import error_text

Finished = Callable[[int, Any, float], None]
Failed = Callable[[int, str], None]
BACKENDS = ("local", "ray")
CONNECT_TIMEOUT = 20.0  # seconds to reach a Ray cluster before giving up


def check_jobs(jobs: int) -> int:
    """``jobs`` if it is a positive number of worker processes, else a clear error."""
    if jobs < 1:
        raise ConfigError(f"--jobs must be a positive integer, got {jobs}")
    return jobs


def timed_call(fn: Callable[..., Any], task: dict[str, Any]) -> tuple[Any, float]:
    """``fn(**task)`` and the seconds it took (what a worker runs)."""
    t0 = time.perf_counter()
    out = fn(**task)
    return out, time.perf_counter() - t0


def ray_cell(fn: Callable[..., Any], task: dict[str, Any], marker: str | None = None
             ) -> tuple[Any, float, bytes | None]:
    """What a Ray worker runs: the cell, and, on a node that cannot see ``marker`` (a file
    the driver put beside the run folder: no shared filesystem), the run folder packed to
    send back (then deleted here)."""
    run_dir = task.get("run_dir")
    ship = bool(run_dir) and marker is not None and not Path(marker).exists()
    out, sec = timed_call(fn, task)
    if not ship or not Path(run_dir).exists():
        return out, sec, None
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        tar.add(run_dir, arcname=".")
    shutil.rmtree(run_dir, ignore_errors=True)
    return out, sec, buf.getvalue()


def shared_markers(tasks: Sequence[dict[str, Any]]) -> list[str | None]:
    """One marker file per task with a run folder, created (by the driver) in that folder's
    parent: a worker that sees it shares the driver's filesystem. Checking for the parent
    itself would not do: on a remote node the first cell creates it for the next."""
    token = f".mpgan-driver-{uuid.uuid4().hex[:12]}"
    out: list[str | None] = []
    for task in tasks:
        if not task.get("run_dir"):
            out.append(None)
            continue
        marker = Path(task["run_dir"]).parent / token
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
        out.append(str(marker))
    return out


def unpack_run(archive: bytes, run_dir: str) -> None:
    """Put a run folder a remote node sent back where the cell said it would be."""
    Path(run_dir).mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        tar.extractall(run_dir, filter="data")


@dataclass
class LocalBackend:
    """Cells in this process (``jobs=1``) or in ``jobs`` spawned worker processes
    (TensorFlow does not survive fork). Each cell is seeded by its task, so results do not
    depend on ``jobs``."""

    jobs: int = 1

    def __post_init__(self) -> None:
        check_jobs(self.jobs)

    def map(self, fn: Callable[..., Any], tasks: Sequence[dict[str, Any]], finished: Finished,
            failed: Failed) -> None:
        if self.jobs == 1 or len(tasks) <= 1:
            for i, task in enumerate(tasks):
                try:
                    out, sec = timed_call(fn, task)
                except Exception as exc:  # noqa: BLE001 - recorded per cell; the others go on
                    failed(i, error_text(exc))
                    continue
                finished(i, out, sec)
            return
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(self.jobs, len(tasks)), mp_context=ctx,
                                 initializer=_quiet_worker) as pool:
            index = {pool.submit(timed_call, fn, task): i for i, task in enumerate(tasks)}
            try:
                pending = set(index)
                while pending:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for f in done:
                        try:
                            out, sec = f.result()
                        except Exception as exc:  # noqa: BLE001
                            failed(index[f], error_text(exc))
                            continue
                        finished(index[f], out, sec)
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise


def _quiet_worker() -> None:
    import threading

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()


def _exit_with_parent(parent: int, every: float = 1.0) -> None:
    """End this worker when the study process is gone (killed, say): a worker busy
    training would otherwise go on as an orphan, using the cores and writing into run
    folders a restarted study is using."""
    while os.getppid() == parent:
        time.sleep(every)
    os._exit(1)


RAY_MISSING = "the ray backend needs Ray: pip install -e \".[ray]\" (or pip install 'ray[tune]')"


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise MpganError(RAY_MISSING) from None
    return ray


def check_address(address: str | None, timeout: float = 5.0) -> None:
    """Fail fast on a HOST:PORT nobody listens on (ray.init would retry for minutes)."""
    if not address or address in ("auto", "local") or address.startswith("ray://"):
        return
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"--address must be auto or HOST:PORT, got {address!r}")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except OSError as exc:
        raise MpganError(f"cannot reach a Ray cluster at {address} ({exc.strerror or exc}); start one with "
                         "`ray start --head` and pass the address it prints") from None


def connect_ray(address: str | None, num_cpus: int | None = None) -> Any:
    """``ray.init`` for a cluster at ``address`` (None: a private one on this machine)."""
    ray = import_ray()
    if ray.is_initialized():
        return ray
    check_address(address)
    env = {"env_vars": {"TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONWARNINGS": "ignore"}}
    # cells' own output (TensorFlow's C++ start-up lines) stays in the workers' logs; errors come back with the task
    kwargs: dict[str, Any] = {"runtime_env": env, "log_to_driver": False, "include_dashboard": False}
    if address is None:
        kwargs["num_cpus"] = num_cpus or os.cpu_count()
    else:
        kwargs.pop("include_dashboard")
    os.environ.setdefault("RAY_gcs_rpc_server_connect_timeout_s", str(int(CONNECT_TIMEOUT)))
    try:
        ray.init(address=address, **kwargs)
    except ConnectionError as exc:
        raise MpganError(f"cannot connect to a Ray cluster at {address}: {str(exc).splitlines()[0]}") from None
    return ray


@dataclass
class RayBackend:
    """One Ray task per cell, asking for ``cpus`` (and ``gpus``) each. A worker or node lost
    mid-cell is retried by Ray (``retries`` times); an exception in the cell is not."""

    address: str | None = None
    cpus: float = 1
    gpus: float = 0
    retries: int = 3
    num_cpus: int | None = None  # size of a private cluster (address None)

    def map(self, fn: Callable[..., Any], tasks: Sequence[dict[str, Any]], finished: Finished,
            failed: Failed) -> None:
        ray = connect_ray(self.address, self.num_cpus)
        remote = ray.remote(num_cpus=self.cpus, num_gpus=self.gpus, max_retries=self.retries,
                            retry_exceptions=False)(ray_cell)
        markers = shared_markers(tasks)
        index = {remote.remote(fn, task, marker): i for i, (task, marker) in enumerate(zip(tasks, markers, strict=True))}
        pending = list(index)
        try:
            while pending:
                done, pending = ray.wait(pending, num_returns=1)
                for ref in done:
                    try:
                        out, sec, archive = ray.get(ref)
                    except ray.exceptions.RayTaskError as exc:
                        cause = exc.cause if getattr(exc, "cause", None) is not None else exc
                        failed(index[ref], error_text(cause) if isinstance(cause, BaseException) else str(exc))
                        continue
                    except ray.exceptions.RayError as exc:  # lost for good after retries
                        failed(index[ref], f"{type(exc).__name__}: {exc}")
                        continue
                    if archive is not None:
                        unpack_run(archive, tasks[index[ref]]["run_dir"])
                    finished(index[ref], out, sec)
        except BaseException:
            for ref in pending:
                ray.cancel(ref, force=True)
            raise
        finally:
            for marker in set(markers) - {None}:
                Path(marker).unlink(missing_ok=True)


def make_backend(name: str = "local", jobs: int = 1, address: str | None = None, cpus: float = 1,
                 gpus: float = 0) -> LocalBackend | RayBackend:
    """The backend ``name`` (``local`` or ``ray``) with its options."""
    if name == "local":
        if address:
            print("--address is ignored by the local backend", file=sys.stderr)
        return LocalBackend(jobs)
    if name == "ray":
        import_ray()
        return RayBackend(address=address, cpus=cpus, gpus=gpus, num_cpus=None if address else jobs if jobs > 1
                          else None)
    raise ConfigError(f"--backend must be one of {', '.join(BACKENDS)}, got {name!r}")
