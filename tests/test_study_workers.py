"""A study's worker processes end with the study: a killed study leaves no orphans
training on (they would use the cores and write into the run folders of a restart)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STUDY = """
import sys
from mpgan.sweeps.backends import LocalBackend
from tests.helpers import note_pid_and_sleep
LocalBackend(2).map(note_pid_and_sleep, [{"folder": sys.argv[1]}, {"folder": sys.argv[1]}], print, print)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purpose
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


def test_workers_end_when_the_study_process_is_killed(tmp_path):
    study = subprocess.Popen([sys.executable, "-c", STUDY, str(tmp_path)], cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while len(list(tmp_path.glob("pid_*"))) < 2 and time.time() < deadline:
            time.sleep(0.2)
        pids = [int(p.name[4:]) for p in tmp_path.glob("pid_*")]
        assert len(pids) == 2, "the two workers did not start"
        assert all(_alive(p) for p in pids)
        study.send_signal(signal.SIGKILL)
        study.wait(10)
        deadline = time.time() + 15
        while any(_alive(p) for p in pids) and time.time() < deadline:
            time.sleep(0.2)
        assert not any(_alive(p) for p in pids), "workers outlived the killed study"
    finally:
        study.kill()
        for p in tmp_path.glob("pid_*"):
            try:
                os.kill(int(p.name[4:]), signal.SIGKILL)
            except ProcessLookupError:
                pass
