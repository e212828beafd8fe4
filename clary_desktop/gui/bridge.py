"""Download events from engine worker threads -> Qt signals on the GUI thread.

The engine calls back on its own threads, once per chunk if it likes. The callback
only stores the newest event per job under a lock and, the first time since the last
repaint, pokes the GUI thread through a queued signal. The GUI thread then waits one
repaint period (200 ms, 5 Hz) and emits everything that arrived meanwhile in one go.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from clary_desktop.domain.download_values import DownloadEvent, JobInfo
from clary_desktop.gui.models.queue_model import JobRow

log = logging.getLogger(__name__)
REPAINT_MS = 200


class DownloadBridge(QObject):
    jobs_changed = Signal(list)  # list[JobRow], every job known, in arrival order
    job_finished = Signal(object)  # JobRow that just reached completed / failed
    _poke = Signal()

    def __init__(self, parent: QObject | None = None, interval_ms: int = REPAINT_MS) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._pending: dict[int, JobInfo] = {}
        self._poked = False
        self._closed = False
        self._jobs: dict[int, JobRow] = {}
        self._unsubscribe: Callable[[], None] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.flush)
        self._poke.connect(self._schedule, Qt.ConnectionType.QueuedConnection)

    def attach(
        self, subscribe: Callable[[Callable[[DownloadEvent], None]], Callable[[], None]]
    ) -> None:
        """Subscribe to the engine (`Registry.subscribe_downloads`)."""
        self._unsubscribe = subscribe(self.on_event)

    def on_event(self, event: DownloadEvent) -> None:
        """Called on engine worker threads: store, and poke the GUI thread at most once."""
        with self._lock:
            if self._closed:
                return
            self._pending[event.job_id] = event
            if self._poked:
                return
            self._poked = True
        self._poke.emit()

    def _schedule(self) -> None:
        if not self._closed and not self._timer.isActive():
            self._timer.start()

    def reset(self, jobs: Iterable[JobInfo]) -> None:
        """Replace what is known with a fresh `jobs()` snapshot (after clear, at start).
        Attach first, then read the snapshot: nothing is lost in between, and an event
        that arrived before the snapshot was read (not newer than it) is dropped."""
        snapshot = list(jobs)
        read = {job.job_id: job.updated_at for job in snapshot}
        with self._lock:
            self._pending = {
                job_id: event
                for job_id, event in self._pending.items()
                if job_id not in read or event.updated_at > read[job_id]
            }
        self._jobs = {row.job_id: row for row in (JobRow.of(j) for j in snapshot)}
        self.flush()

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
            self._poked = False
        finished: list[JobRow] = []
        for job_id, event in pending.items():
            row = JobRow.of(event)
            before = self._jobs.get(job_id)
            changed = before is None or before.state != row.state
            if row.state in ("completed", "failed") and changed:
                finished.append(row)
            self._jobs[job_id] = row
        self.jobs_changed.emit(list(self._jobs.values()))
        for row in finished:
            self.job_finished.emit(row)

    def jobs(self) -> list[JobRow]:
        return list(self._jobs.values())

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._timer.stop()
        if self._unsubscribe is not None:
            try:
                self._unsubscribe()
            except Exception:  # the engine may already be shut down
                log.debug("unsubscribe failed", exc_info=True)
            self._unsubscribe = None
