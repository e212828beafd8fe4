"""A stand-in download manager with the engine's interface, driven by the test.

Events go out on a worker thread, like the real engine's, so the bridge is tested
with real cross-thread delivery.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from clary_desktop.app import Registry
from clary_desktop.domain.access import Tier
from clary_desktop.errors import AccessDeniedError


class FakeDownloads:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self._callbacks: list[Callable[[Any], None]] = []
        self.jobs_by_id: dict[int, SimpleNamespace] = {}
        self.calls: list[tuple[str, Any]] = []
        self._next = 1

    def subscribe(self, callback: Callable[[Any], None]) -> Callable[[], None]:
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback)

    def start(self, model_id: str, version: str | None = None, force: bool = False) -> int:
        info = self._registry.get_model(model_id)
        if Tier.parse(info.tier) > self._registry.tier:
            raise AccessDeniedError(f"{model_id} requires {info.tier}")
        self.calls.append(("start", model_id))
        job = SimpleNamespace(
            job_id=self._next,
            model_id=model_id,
            version=info.version,
            state="queued",
            bytes_done=0,
            bytes_total=info.size_bytes,
            speed_bps=None,
            eta_seconds=None,
            error=None,
        )
        self.jobs_by_id[job.job_id] = job
        self._next += 1
        self.emit(job.job_id)
        return job.job_id

    def _set(self, job_id: int, name: str, state: str) -> None:
        self.calls.append((name, job_id))
        self.jobs_by_id[job_id].state = state
        self.emit(job_id)

    def pause(self, job_id: int) -> None:
        self._set(job_id, "pause", "paused")

    def resume(self, job_id: int) -> None:
        self._set(job_id, "resume", "queued")

    def cancel(self, job_id: int, keep_partial: bool = False) -> None:
        self._set(job_id, "cancel", "cancelled")

    def retry(self, job_id: int) -> None:
        self._set(job_id, "retry", "queued")

    def clear_finished(self) -> None:
        self.calls.append(("clear_finished", None))
        for job_id in [
            j
            for j, job in self.jobs_by_id.items()
            if job.state in ("completed", "failed", "cancelled")
        ]:
            del self.jobs_by_id[job_id]

    def jobs(self, include_finished: bool = True) -> list[Any]:
        return [SimpleNamespace(**vars(j)) for j in self.jobs_by_id.values()]

    def progress(self, job_id: int, state: str, done: int, error: str | None = None) -> None:
        job = self.jobs_by_id[job_id]
        job.state, job.bytes_done, job.error = state, done, error
        job.speed_bps = 50_000_000.0 if state == "downloading" else None
        job.eta_seconds = 3.0 if state == "downloading" else None
        self.emit(job_id)

    def emit(self, job_id: int) -> None:
        """Deliver the job's state on a worker thread and wait for the delivery."""
        event = SimpleNamespace(**vars(self.jobs_by_id[job_id]))

        def deliver() -> None:
            for callback in list(self._callbacks):
                callback(event)

        thread = threading.Thread(target=deliver, name="fake-engine")
        thread.start()
        thread.join()

    def shutdown(self, timeout: float | None = None) -> None:
        self.calls.append(("shutdown", None))
