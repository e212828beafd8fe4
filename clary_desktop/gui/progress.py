"""Progress of long storage operations (hashing, copying, verifying) -> the GUI thread.

The core calls the callback on a worker thread, as often as it likes; at most ten
updates a second cross to the GUI thread (a queued signal), plus the last one.
"""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QObject, Signal

from clary_desktop.domain.storage_values import Progress

MIN_INTERVAL = 0.1


class ProgressRelay(QObject):
    changed = Signal(str, object, object)  # stage, fraction (float | None), current file

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._last = 0.0

    def __call__(self, progress: Progress) -> None:
        """The core's ProgressCallback (worker threads)."""
        now = time.monotonic()
        done = progress.total_bytes and progress.done_bytes >= progress.total_bytes
        with self._lock:
            if not done and now - self._last < MIN_INTERVAL:
                return
            self._last = now
        fraction = progress.done_bytes / progress.total_bytes if progress.total_bytes else None
        self.changed.emit(progress.stage, fraction, progress.current)
