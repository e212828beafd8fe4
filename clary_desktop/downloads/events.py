"""Progress events for the fronts: subscribe a callback, get rate-limited updates.

Callbacks run on worker threads. State changes are always delivered; byte
counts at most `max_per_second` times per job. Speed is a moving average over
the last few seconds, so the ETA does not jump with every chunk.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from clary_desktop.domain.download_values import DownloadEvent, JobInfo

log = logging.getLogger(__name__)

Callback = Callable[[DownloadEvent], None]


class EventHub:
    def __init__(self, max_per_second: float = 4.0) -> None:
        self._interval = 1.0 / max_per_second
        self._callbacks: list[Callback] = []
        self._lock = threading.Lock()
        self._last_progress: dict[int, float] = {}

    def subscribe(self, callback: Callback) -> Callable[[], None]:
        with self._lock:
            self._callbacks.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._callbacks:
                    self._callbacks.remove(callback)

        return unsubscribe

    def state(self, info: JobInfo) -> None:
        self._deliver(DownloadEvent(**info.model_dump(), kind="state"))

    def progress_due(self, job_id: int) -> bool:
        """True (and the clock restarted) when a progress event may go out now."""
        now = time.monotonic()
        with self._lock:
            if now - self._last_progress.get(job_id, 0.0) < self._interval:
                return False
            self._last_progress[job_id] = now
            return True

    def progress(self, info: JobInfo) -> None:
        self._deliver(DownloadEvent(**info.model_dump(), kind="progress"))

    def _deliver(self, event: DownloadEvent) -> None:
        with self._lock:
            callbacks = list(self._callbacks)
        for callback in callbacks:
            try:
                callback(event)
            except Exception:  # a broken subscriber must not break the download
                log.exception("Download event callback failed")


class SpeedMeter:
    """Bytes per second over a sliding window of `window` seconds."""

    def __init__(self, window: float = 5.0) -> None:
        self._window = window
        self._samples: deque[tuple[float, int]] = deque()

    def add(self, total_bytes: int) -> None:
        now = time.monotonic()
        self._samples.append((now, total_bytes))
        while len(self._samples) > 2 and now - self._samples[0][0] > self._window:
            self._samples.popleft()

    def reset(self) -> None:
        self._samples.clear()

    @property
    def bps(self) -> float | None:
        if len(self._samples) < 2:
            return None
        (t0, b0), (t1, b1) = self._samples[0], self._samples[-1]
        if t1 - t0 < 0.2 or b1 < b0:
            return None
        return (b1 - b0) / (t1 - t0)
