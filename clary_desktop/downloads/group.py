"""Stopping work that runs on several threads (parts of a file, files of a job).

`ControlGroup` is a `TransferControl` like `JobControl` (check, sleep, attach,
detach, reason), so the transfer code runs unchanged under it. It adds what one job
control lacks: responses attached from many threads at once, and `abort(error)`
so the first failing thread stops its siblings, whose checks then raise
`GroupAborted` while the supervisor re-raises the first error.

The parent's pause/cancel is seen by polling: the supervising thread calls
`stop_if_interrupted()` a few times a second, which shuts the sockets down so
no thread waits for a read timeout.
"""

from __future__ import annotations

import contextlib
import threading
import time

import requests

from clary_desktop.downloads.control import TransferControl


class GroupAborted(Exception):
    """A sibling thread failed; this one stops without an error of its own."""


class ControlGroup:
    POLL_SECONDS = 0.1

    def __init__(self, parent: TransferControl) -> None:
        self._parent = parent
        self._error: BaseException | None = None
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._responses: dict[int, requests.Response] = {}

    @property
    def error(self) -> BaseException | None:
        return self._error

    @property
    def reason(self) -> str | None:
        """The parent's stop reason, or "aborted" once a member failed."""
        return self._parent.reason or ("aborted" if self._error is not None else None)

    def check(self) -> None:
        self._parent.check()
        if self._error is not None:
            raise GroupAborted()

    def sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while True:
            self.check()
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._wake.wait(min(left, self.POLL_SECONDS))

    def attach(self, response: requests.Response) -> None:
        with self._lock:
            self._responses[threading.get_ident()] = response
        if self.reason is not None:
            _shutdown(response)

    def detach(self) -> None:
        with self._lock:
            self._responses.pop(threading.get_ident(), None)

    def abort(self, error: BaseException) -> None:
        """Record the first failure and stop every member."""
        with self._lock:
            if self._error is None:
                self._error = error
        self._stop_all()

    def stop_if_interrupted(self) -> bool:
        """Called by the supervisor: wake every member when the parent was stopped."""
        if self.reason is None:
            return False
        self._stop_all()
        return True

    def _stop_all(self) -> None:
        self._wake.set()
        with self._lock:
            responses = list(self._responses.values())
        for response in responses:
            _shutdown(response)


def _shutdown(response: requests.Response) -> None:
    with contextlib.suppress(Exception):  # best effort: the read loops check the reason too
        response.raw.shutdown()
