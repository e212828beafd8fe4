"""Stopping a running job from another thread, promptly.

Pause, cancel and shutdown set a reason; the transfer checks it between chunks,
and a blocked socket read is woken by shutting the socket down.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Protocol

import requests

from clary_desktop.downloads.errors import Interrupted


class TransferControl(Protocol):
    """What a transfer needs from the job it runs for.

    `JobControl` (one job) and `group.ControlGroup` (the files or parts of a job,
    running on several threads) both provide it, so the transfer code runs
    unchanged under either.
    """

    @property
    def reason(self) -> str | None:
        """Why the job was stopped (paused / cancelled / ...), None while it may run."""
        ...

    def check(self) -> None:
        """Raise when the job was stopped; called between chunks."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait (a back-off, the bandwidth limit) unless stopped first."""
        ...

    def attach(self, response: requests.Response) -> None:
        """The response being read: a stop shuts its socket down to wake the read."""
        ...

    def detach(self) -> None:
        """The response attached by this thread is finished with."""
        ...


class JobControl:
    def __init__(self) -> None:
        self._reason: str | None = None
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._response: requests.Response | None = None

    @property
    def reason(self) -> str | None:
        return self._reason

    def interrupt(self, reason: str) -> None:
        """Ask the job to stop and go to state `reason` (paused / cancelled)."""
        with self._lock:
            if self._reason is None or reason == "cancelled":
                self._reason = reason
            response = self._response
        self._wake.set()
        if response is not None:
            # Best effort: the chunk loop checks the reason between reads anyway.
            with contextlib.suppress(Exception):
                response.raw.shutdown()

    def check(self) -> None:
        if self._reason is not None:
            raise Interrupted(self._reason)

    def sleep(self, seconds: float) -> None:
        """Wait (for a retry back-off) unless interrupted first."""
        self._wake.wait(seconds)
        self.check()

    def attach(self, response: requests.Response) -> None:
        with self._lock:
            self._response = response
        if self._reason is not None:
            self.interrupt(self._reason)

    def detach(self) -> None:
        with self._lock:
            self._response = None
