"""A server program (nginx, tinyproxy) run as one child process on 127.0.0.1, from a
private temporary folder that holds its config, pid file and logs: the system's own
config is never read, and stopping it is one signal to one pid, so nothing is left behind.

Neither program can take port 0, so a free port is picked and the start is tried again
should another process take that port first.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ChildServer:
    """Subclasses write their config and give the command line (`command`), say whether
    an early exit was a taken port (`port_was_taken`), and where their log is (`log`)."""

    program = "server"
    attempts = 3

    def __init__(self) -> None:
        self.port = 0
        self._prefix: tempfile.TemporaryDirectory[str] | None = None
        self._process: subprocess.Popen[bytes] | None = None

    # ---- for subclasses ----------------------------------------------------------------

    def command(self, prefix: Path) -> list[str]:
        raise NotImplementedError

    def port_was_taken(self) -> bool:
        return True

    def log(self) -> Path | None:
        return None

    # ---- running -----------------------------------------------------------------------

    def __enter__(self) -> ChildServer:
        self._prefix = tempfile.TemporaryDirectory(prefix=f"clary-{self.program}-")
        try:
            for _attempt in range(self.attempts):
                if self._start(Path(self._prefix.name)):
                    return self
            raise RuntimeError(f"{self.program} did not start: {self.log_text()}")
        except BaseException:
            self.__exit__()
            raise

    def __exit__(self, *_exc: object) -> None:
        self._stop()
        if self._prefix is not None:
            self._prefix.cleanup()
            self._prefix = None

    def log_text(self) -> str:
        log = self.log()
        if log is None:
            return ""
        return log.read_text(errors="replace").strip()[-2000:] if log.exists() else "(no log)"

    @property
    def prefix(self) -> Path | None:
        return Path(self._prefix.name) if self._prefix is not None else None

    def _start(self, prefix: Path) -> bool:
        self.port = free_port()
        self._process = subprocess.Popen(
            self.command(prefix),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._process = None
                if self.port_was_taken():
                    return False
                raise RuntimeError(f"{self.program} did not start: {self.log_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return True
            except OSError:
                time.sleep(0.02)
        self._stop()
        raise RuntimeError(f"{self.program} did not listen on port {self.port} within 15 s")

    def _stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)  # fast shutdown: open transfers are dropped
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
