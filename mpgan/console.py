"""Keep TensorFlow's C++ log lines off the user's terminal.

TensorFlow 2.21 prints start-up lines (oneDNN, the cudart stub, cuInit, absl's
"All log messages before absl::InitializeLog()") and graph-optimizer notes from C++
straight to file descriptor 2, before and regardless of ``TF_CPP_MIN_LOG_LEVEL``.
:func:`filtered_stderr` routes descriptor 2 through a pipe for the length of a
command and drops exactly those lines; everything else (Python warnings, errors,
the progress bar) passes through unchanged. ``mpgan -v`` turns the filter off.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
from collections.abc import Iterator

#: absl's C++ log format: severity + MMDD, time, thread id, file.cc:line]
NOISE = re.compile(rb"^([IWEF]\d{4} [\d:.]+\s+\d+ [\w./-]+:\d+\] |"
                   rb"WARNING: All log messages before absl::InitializeLog\(\) is called|"
                   rb"To enable the following instructions: .* rebuild TensorFlow with)")
_PREFIXES = (b"I", b"W", b"E", b"F", b"T")


def _pump(read_fd: int, write_fd: int) -> None:
    """Copy ``read_fd`` to ``write_fd`` until EOF, dropping whole noise lines.

    A partial line is forwarded at once unless it could still become a noise line
    (so tqdm's carriage-return updates are not held back).
    """
    pending = b""
    while True:
        try:
            chunk = os.read(read_fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        pending += chunk
        *lines, pending = pending.split(b"\n")
        out = b"".join(line + b"\n" for line in lines if not NOISE.match(line))
        if pending and not pending.startswith(_PREFIXES):
            out, pending = out + pending, b""
        if out:
            with contextlib.suppress(OSError):
                os.write(write_fd, out)
    if pending and not NOISE.match(pending):
        os.write(write_fd, pending)
    os.close(read_fd)


@contextlib.contextmanager
def filtered_stderr(enabled: bool = True) -> Iterator[None]:
    """Within the block, file descriptor 2 drops TensorFlow's C++ log lines."""
    if not enabled:
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real descriptor 2 (embedded interpreters)
        yield
        return
    read_fd, write_fd = os.pipe()
    os.dup2(write_fd, 2)
    os.close(write_fd)
    thread = threading.Thread(target=_pump, args=(read_fd, saved), daemon=True, name="mpgan-stderr")
    thread.start()
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        os.dup2(saved, 2)  # closes the pipe's last write end: the pump sees EOF
        thread.join(timeout=5)
        if not thread.is_alive():  # else a child still holds the pipe: leave it the descriptor
            os.close(saved)


_QUIETED = False


def quiet_tensorflow() -> None:
    """Import TensorFlow and let it look for GPUs (where it prints its start-up and cuInit
    lines) inside :func:`filtered_stderr`, once per process: library calls that start
    TensorFlow (the table synthesizer) stay as quiet as the CLI. ``TF_CPP_MIN_LOG_LEVEL=0``
    keeps the lines."""
    global _QUIETED
    if _QUIETED:
        return
    _QUIETED = True
    with filtered_stderr(enabled=os.environ.get("TF_CPP_MIN_LOG_LEVEL") != "0"):
        import tensorflow as tf

        tf.config.list_physical_devices("GPU")


__all__ = ["NOISE", "filtered_stderr", "quiet_tensorflow"]
