"""A stand-in download engine driven by the test, checked against the engine's
Protocol (`DownloadEngine`) by mypy and handing out the engine's value types.

Events go out on a worker thread, like the real engine's, so the bridge is tested
with real cross-thread delivery.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

from clary_desktop.app import Registry
from clary_desktop.app.download_engine import DownloadEngine
from clary_desktop.domain.access import Tier
from clary_desktop.domain.download_values import DownloadEvent, JobInfo, JobState, StrayPartial
from clary_desktop.errors import AccessDeniedError
from clary_desktop.settings import Settings


class FakeDownloads:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self._callbacks: list[Callable[[DownloadEvent], None]] = []
        self.jobs_by_id: dict[int, JobInfo] = {}
        self.calls: list[tuple[str, int | str | None]] = []
        self.settings: Settings | None = None
        self._next = 1

    def subscribe(self, callback: Callable[[DownloadEvent], None]) -> Callable[[], None]:
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback)

    def start(self, model_id: str, version: str | None = None, force: bool = False) -> int:
        info = self._registry.get_model(model_id)
        if Tier.parse(info.tier) > self._registry.tier:
            raise AccessDeniedError(f"{model_id} requires {info.tier}")
        self.calls.append(("start", model_id))
        now = datetime.now(UTC)
        job = JobInfo(
            job_id=self._next,
            model_id=model_id,
            version=info.version,
            state=JobState.QUEUED,
            bytes_done=0,
            bytes_total=info.size_bytes,
            speed_bps=None,
            eta_seconds=None,
            error=None,
            current_file=None,
            created_at=now,
            updated_at=now,
        )
        self.jobs_by_id[job.job_id] = job
        self._next += 1
        self.emit(job.job_id)
        return job.job_id

    def _update(self, job_id: int, **changes: object) -> None:
        changes["updated_at"] = datetime.now(UTC)
        self.jobs_by_id[job_id] = self.jobs_by_id[job_id].model_copy(update=changes)
        self.emit(job_id)

    def _set(self, job_id: int, name: str, state: JobState) -> None:
        self.calls.append((name, job_id))
        self._update(job_id, state=state)

    def pause(self, job_id: int) -> None:
        self._set(job_id, "pause", JobState.PAUSED)

    def resume(self, job_id: int) -> None:
        self._set(job_id, "resume", JobState.QUEUED)

    def cancel(self, job_id: int, keep_partial: bool = False) -> None:
        self._set(job_id, "cancel", JobState.CANCELLED)

    def retry(self, job_id: int) -> None:
        self._set(job_id, "retry", JobState.QUEUED)

    def clear_finished(self) -> int:
        self.calls.append(("clear_finished", None))
        finished = [j for j, job in self.jobs_by_id.items() if job.state.finished]
        for job_id in finished:
            del self.jobs_by_id[job_id]
        return len(finished)

    def jobs(self, include_finished: bool = True) -> list[JobInfo]:
        return [j for j in self.jobs_by_id.values() if include_finished or not j.state.finished]

    def job(self, job_id: int) -> JobInfo:
        return self.jobs_by_id[job_id]

    def wait(self, job_id: int, timeout: float | None = None) -> JobInfo:
        """The job as it is: only the test moves a fake job on, so there is nothing to wait for."""
        return self.jobs_by_id[job_id]

    def stray_partials(self) -> list[StrayPartial]:
        return []

    def apply_settings(self, settings: Settings) -> None:
        self.settings = settings

    def progress(self, job_id: int, state: str, done: int, error: str | None = None) -> None:
        downloading = state == JobState.DOWNLOADING
        self._update(
            job_id,
            state=JobState(state),
            bytes_done=done,
            error=error,
            speed_bps=50_000_000.0 if downloading else None,
            eta_seconds=3.0 if downloading else None,
        )

    def emit(self, job_id: int) -> None:
        """Deliver the job's state on a worker thread and wait for the delivery."""
        job = self.jobs_by_id[job_id]
        event = DownloadEvent.model_validate({**job.model_dump(), "kind": "state"})

        def deliver() -> None:
            for callback in list(self._callbacks):
                callback(event)

        thread = threading.Thread(target=deliver, name="fake-engine")
        thread.start()
        thread.join()

    def shutdown(self, timeout: float | None = None) -> None:
        self.calls.append(("shutdown", None))


def _as_engine(fake: FakeDownloads) -> DownloadEngine:
    """mypy checks here that the fake has the engine's interface, signatures included."""
    return fake
