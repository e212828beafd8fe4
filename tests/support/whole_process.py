"""Run a command as a user would and measure the whole process: wall time, CPU time
(user + sys, the kernel's record of that one child from wait4, so neither the bench's
own work nor other children leak in) and peak resident memory (the process's VmHWM,
polled). wait4's ru_maxrss would not do for memory: a child forked from this large
pytest process starts its record at this process's size."""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

#: What a process that reads the catalog must import before anything of ours can run
#: (SQLAlchemy's ORM, its SQLite dialect, pydantic): timed alone, the start-up floor.
CATALOG_LIBRARIES = "import sqlalchemy.orm, sqlalchemy.dialects.sqlite, pydantic"


@dataclass(frozen=True)
class Run:
    seconds: float
    #: user + sys of the process and the children it waited for (a shell's pipeline)
    cpu_seconds: float
    #: the largest resident set of the process itself (not of its children)
    peak_rss_mib: float
    stdout: str
    stderr: str


def as_installed(env: dict[str, str], cache_dir: Path) -> dict[str, str]:
    """`env` as an installed program meets it: Python reads (and writes) compiled bytecode,
    which pip writes at install time. A development shell often sets
    PYTHONDONTWRITEBYTECODE, and then every module is compiled from source on every run.
    The cache lives in `cache_dir` (PYTHONPYCACHEPREFIX), so no source tree is touched;
    the first run fills it, so leave that one out of the figures."""
    installed = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    installed["PYTHONPYCACHEPREFIX"] = str(cache_dir)
    return installed


def timed(argv: Sequence[str], *, env: dict[str, str] | None = None, timeout: float = 1800) -> Run:
    """Run `argv` to the end; raises CalledProcessError (with its output) when it fails."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        began = time.perf_counter()
        process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        killer = threading.Timer(timeout, process.kill)
        killer.start()
        peak = _PeakRss(process.pid)
        try:
            _pid, status, usage = os.wait4(process.pid, 0)
        finally:
            killer.cancel()
            peak.stop()
        seconds = time.perf_counter() - began
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
    if process.returncode != 0:
        raise subprocess.CalledProcessError(process.returncode, list(argv), stdout, stderr)
    return Run(
        seconds=seconds,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_rss_mib=peak.kib / 1024,
        stdout=stdout,
        stderr=stderr,
    )


class _PeakRss:
    """Polls /proc/PID/status for VmHWM (the high-water mark of the process's resident
    set since its exec) every 10 ms until the process is gone."""

    def __init__(self, pid: int) -> None:
        self.kib = 0
        self._status = f"/proc/{pid}/status"
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-vmhwm", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                with open(self._status) as status:
                    for line in status:
                        if line.startswith("VmHWM:"):
                            self.kib = max(self.kib, int(line.split()[1]))
            except OSError:
                return  # reaped
            if self._stopped.wait(0.01):
                return

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()
