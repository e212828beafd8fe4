"""The download queue: jobs persisted in the database, run by worker threads.

No asyncio needed: the CLI blocks in `wait()`, the GUI subscribes to events and
bridges them to Qt. A worker thread exists only while a job runs, so an idle
manager holds no threads. Jobs of other processes (a CLI download while the
window is open) are seen through the database: `pause`/`cancel` of such a job
change its row, and the process running it notices within a second.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from clary_desktop.db import Database
from clary_desktop.db.tables import ModelDownload
from clary_desktop.domain.access import ModelAccessControl, Tier
from clary_desktop.domain.disk_space import NotEnoughSpace, ensure_space
from clary_desktop.domain.download_values import JobInfo, JobState, StrayPartial
from clary_desktop.domain.layout import (
    PART_SUFFIX,
    FileTask,
    VersionSpec,
    target_paths,
    version_dir,
)
from clary_desktop.domain.sizes import known_total
from clary_desktop.downloads.control import JobControl, TransferControl
from clary_desktop.downloads.errors import DownloadFailed, Interrupted
from clary_desktop.downloads.events import Callback, EventHub, SpeedMeter
from clary_desktop.downloads.fetch import fetch_file
from clary_desktop.downloads.files import fetch_all
from clary_desktop.downloads.mirrors import SourceChain
from clary_desktop.downloads.partial import discard_partial, saved_bytes
from clary_desktop.downloads.ratelimit import TokenBucket
from clary_desktop.downloads.store import (
    SHUTDOWN_OWNER,
    JobStore,
    job_info,
    owner_alive,
    this_process,
)
from clary_desktop.downloads.strays import stray_partials
from clary_desktop.downloads.transfer import TransferOptions
from clary_desktop.downloads.verify import sha256_of
from clary_desktop.errors import AccessDeniedError, Action, ClaryError, Hint
from clary_desktop.network.config import NetworkConfig
from clary_desktop.network.http import new_session
from clary_desktop.settings import Settings

log = logging.getLogger(__name__)

_OPTIONS_FROM_SETTINGS = {
    "download_stall_seconds": "stall_seconds",
    "download_space_margin_bytes": "space_margin_bytes",
    "max_unknown_size_bytes": "max_unknown_bytes",
    "parallel_parts": "parallel_parts",
    "part_threshold_bytes": "part_threshold_bytes",
    "bandwidth_limit_bps": "bandwidth_limit_bps",
    "single_stream_fast_bps": "single_stream_fast_bps",
}
"""Settings field -> TransferOptions field."""

PERSIST_INTERVAL = 1.0
"""Seconds between progress writes to the database, and between looks at the rows of
the jobs running here (how fast a pause or cancel from another process is noticed)."""
RELEASE_SECONDS = 30.0
"""How long a cancel waits for the process running the job to stop before it deletes
the partial files."""


@dataclass
class _Running:
    thread: threading.Thread
    control: JobControl
    keep_partial: bool = False
    bytes_done: int = 0
    bytes_total: int | None = None
    current_file: str | None = None
    meter: SpeedMeter = field(default_factory=SpeedMeter)
    last_persist: float = 0.0


class DownloadManager:
    def __init__(
        self,
        database: Database,
        *,
        models_dir: Callable[[], Path],
        tier: Callable[[], Tier],
        settings: Settings,
        options: TransferOptions | None = None,
        events_per_second: float = 4.0,
    ) -> None:
        self.store = JobStore(database)
        self._models_dir = models_dir
        self._tier = tier
        self.settings = settings
        self.options = options or TransferOptions(
            **{option: getattr(settings, name) for name, option in _OPTIONS_FROM_SETTINGS.items()}
        )
        # One bucket for every job: the limit is for the whole connection, and a new
        # limit reaches the transfers already running.
        self._limiter = TokenBucket(self.options.bandwidth_limit_bps)
        self.events = EventHub(events_per_second)
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._pending: deque[int] = deque()
        self._running: dict[int, _Running] = {}
        self._closed = False
        self._watcher: threading.Thread | None = None
        self._watch_wake = threading.Event()
        # Offline mode: interrupted jobs come back paused, never started by themselves.
        for job_id in self.store.recover(resume=settings.resume_on_start and not settings.offline):
            self._pending.append(job_id)
        self._dispatch()

    @property
    def models_dir(self) -> Path:
        return self._models_dir()

    def apply_settings(self, settings: Settings) -> None:
        """Work with new settings from now on. The bandwidth limit changes for running
        transfers too; parts and timeouts apply to the next file; a higher concurrency
        starts queued jobs at once, a lower one starts none until enough have ended;
        offline mode pauses this process's queued and running jobs (partials kept)."""
        with self._lock:
            changed = {
                option: getattr(settings, name)
                for name, option in _OPTIONS_FROM_SETTINGS.items()
                if getattr(settings, name) != getattr(self.settings, name)
            }
            self.settings = settings
            self.options = replace(self.options, **changed)
            if "bandwidth_limit_bps" in changed:
                self._limiter.set_rate(self.options.bandwidth_limit_bps)
            stopping = [*self._pending, *self._running] if settings.offline else []
            for job_id in stopping:
                self.pause(job_id)
        self._dispatch()

    # ---- the interface the fronts use -----------------------------------------------

    def start(self, model_id: str, version: str | None = None, force: bool = False) -> int:
        """Queue a download (or join the unfinished one for the same version); the job id."""
        model_tier, newest = self.store.model_tier(model_id)
        self._check_tier(model_id, model_tier)
        version = version or newest
        spec = self.store.version_spec(model_id, version)
        version_dir(self.models_dir, spec)  # refuses unsafe ids before anything else
        if self.settings.offline:
            raise ClaryError(
                "Clary Desktop is in offline mode (the offline setting, which your administrator "
                "may have set, or CLARY_OFFLINE=1), "
                "so nothing is downloaded. Switch it off to download, or bring the model in "
                "from a model file or an offline bundle.",
                hint=Hint(Action.IMPORT_MODEL),
            )
        with self._lock:
            self._check_open()
            existing = self.store.open_job(model_id, version)
            if existing is not None:
                if existing.id not in self._running and existing.id not in self._pending:
                    state = JobState(existing.status)
                    if state == JobState.PAUSED or not self._owned_elsewhere(existing.owner):
                        self._enqueue(existing.id)
                return existing.id
            total = _total_size(spec)
            job_id = self.store.create(model_id, version, force, total)
            if not force and self.store.is_installed(model_id, version):
                self.store.update(
                    job_id,
                    status=JobState.COMPLETED.value,
                    bytes_done=total or 0,
                    owner=None,
                    error=None,
                )
                self._emit_state(job_id)
                return job_id
            self._pending.append(job_id)
            self._emit_state(job_id)
            self._dispatch()
            return job_id

    def pause(self, job_id: int) -> None:
        with self._lock:
            running = self._running.get(job_id)
            if running is not None:
                running.control.interrupt(JobState.PAUSED.value)
                return
            row = self.store.get(job_id)
            state = JobState(row.status)
            if state == JobState.PAUSED:
                return
            if state.finished:
                raise ClaryError(f"Download job {job_id} has already {_finished_word(state)}.")
            if job_id in self._pending:
                self._pending.remove(job_id)
            if not self.store.stop(job_id, JobState.PAUSED, speed_bps=None):
                self.pause(job_id)  # it finished meanwhile: say so
                return
            self._emit_state(job_id)

    def resume(self, job_id: int) -> None:
        """Continue a paused job (or try a failed or cancelled one again)."""
        if self.settings.offline:
            raise ClaryError(
                "Clary Desktop is in offline mode (the offline setting, which your administrator "
                "may have set, or CLARY_OFFLINE=1); "
                "switch it off to resume downloads."
            )
        with self._lock:
            self._check_open()
            if job_id in self._running or job_id in self._pending:
                return
            row = self.store.get(job_id)
            state = JobState(row.status)
            if state == JobState.COMPLETED:
                raise ClaryError(f"Download job {job_id} has already completed.")
            if self._owned_elsewhere(row.owner):  # running there, or stopping there
                raise ClaryError(
                    f"Download job {job_id} is running in another Clary Desktop process."
                )
            tier, _ = self.store.model_tier(row.model_id)
            self._check_tier(row.model_id, tier)
            self._enqueue(job_id)

    def retry(self, job_id: int) -> None:
        self.resume(job_id)

    def cancel(self, job_id: int, keep_partial: bool = False) -> None:
        """Cancel for good, whichever process runs the job. When another one does, it
        stops within about PERSIST_INTERVAL, keeping its files; this call waits for that
        (at most RELEASE_SECONDS), then deletes the partial files unless `keep_partial`."""
        with self._lock:
            running = self._running.get(job_id)
            if running is not None:
                running.keep_partial = keep_partial
                running.control.interrupt(JobState.CANCELLED.value)
                return
            row = self.store.get(job_id)
            state = JobState(row.status)
            if state.finished:
                if state == JobState.COMPLETED:
                    raise ClaryError(
                        f"Download job {job_id} has completed; remove the model to delete it.",
                        hint=Hint(Action.REMOVE_MODEL, model_id=row.model_id),
                    )
                return
            if job_id in self._pending:
                self._pending.remove(job_id)
            elsewhere = self._owned_elsewhere(row.owner)
            # The process running it releases the job (owner) once it has stopped.
            release = {} if elsewhere else {"owner": None}
            if not self.store.stop(job_id, JobState.CANCELLED, speed_bps=None, **release):
                self.cancel(job_id, keep_partial)  # it finished meanwhile: say so
                return
            self._emit_state(job_id)
        if elsewhere and not self._wait_released(job_id, row.owner):
            raise ClaryError(
                f"Download job {job_id} is cancelled, but the Clary Desktop process running "
                f"it has not stopped after {RELEASE_SECONDS:.0f} s, so its partial files are "
                "still on disk. Once it stops they show as stray partial files to delete."
            )
        if not keep_partial:
            self._discard_files(row.model_id, row.version)

    def _wait_released(self, job_id: int, owner: str | None) -> bool:
        """Wait until the process `owner` has stopped job `job_id` (or is gone)."""
        deadline = time.monotonic() + RELEASE_SECONDS
        while True:
            current = self.store.get(job_id).owner
            if current != owner or not self._owned_elsewhere(current):
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)

    def clear_finished(self) -> int:
        """Forget completed, failed and cancelled jobs; returns how many."""
        with self._lock:
            removed = self.store.delete_finished()
            self._changed.notify_all()
            return removed

    def jobs(self, include_finished: bool = True) -> list[JobInfo]:
        with self._lock:
            return [self._info(row) for row in self.store.rows(include_finished)]

    def job(self, job_id: int) -> JobInfo:
        with self._lock:
            return self._info(self.store.get(job_id))

    def wait(self, job_id: int, timeout: float | None = None) -> JobInfo:
        """Block until the job finishes or pauses (disk full, pause from elsewhere)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._changed:
            while True:
                info = self.job(job_id)
                # A job still running here is not over, whatever its row says (another
                # process may have cancelled it: this one has yet to stop).
                local = job_id in self._running or job_id in self._pending
                if not local and (info.state.finished or info.state == JobState.PAUSED):
                    return info
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return info
                self._changed.wait(0.5 if left is None else min(0.5, left))

    def subscribe(self, callback: Callback) -> Callable[[], None]:
        return self.events.subscribe(callback)

    def stray_partials(self) -> list[StrayPartial]:
        """`.part` files under the models folder that no unfinished job will resume."""
        return stray_partials(self.store, self.models_dir)

    def shutdown(self, timeout: float | None = 10.0) -> None:
        """Stop the workers: running jobs go to paused with their partial kept."""
        with self._lock:
            self._closed = True
            pending = list(self._pending)
            self._pending.clear()
            running = list(self._running.values())
            for job_id in pending:
                self.store.stop(job_id, JobState.PAUSED, owner=SHUTDOWN_OWNER)
            for item in running:
                item.control.interrupt(JobState.PAUSED.value)
            watcher = self._watcher
            self._watch_wake.set()  # it ends once the workers have
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in [item.thread for item in running] + ([watcher] if watcher else []):
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            thread.join(left)

    # ---- queue ----------------------------------------------------------------------

    def _check_tier(self, model_id: str, model_tier: str) -> None:
        user = self._tier()
        if not ModelAccessControl.can_access_model(user, model_tier):
            raise AccessDeniedError(
                f"{model_id} requires {Tier.parse(model_tier).key}; your license is "
                f"{user.key}. Upgrade your license to download it."
            )

    def _check_open(self) -> None:
        if self._closed:
            raise ClaryError("The download manager has been shut down.")

    @staticmethod
    def _owned_elsewhere(owner: str | None) -> bool:

        return (
            bool(owner)
            and owner != this_process()
            and owner_alive(owner, this_process().split(":")[0])
        )

    def _enqueue(self, job_id: int) -> None:
        self.store.update(
            job_id, status=JobState.QUEUED.value, owner=this_process(), error=None, speed_bps=None
        )
        self._pending.append(job_id)
        self._emit_state(job_id)
        self._dispatch()

    def _dispatch(self) -> None:
        with self._lock:
            while (
                not self._closed
                and self._pending
                and len(self._running) < self.settings.concurrent_downloads
            ):
                job_id = self._pending.popleft()
                control = JobControl()
                thread = threading.Thread(
                    target=self._run, args=(job_id, control), name=f"clary-download-{job_id}"
                )
                self._running[job_id] = _Running(thread=thread, control=control)
                thread.start()
            if (self._running or self._pending) and self._watcher is None:
                self._watcher = threading.Thread(
                    target=self._watch, name="clary-download-watch", daemon=True
                )
                self._watcher.start()

    def _watch(self) -> None:
        """Pause and cancel asked by another process change the job's row: they reach
        the jobs queued or running here within PERSIST_INTERVAL, even while no byte
        arrives."""
        while True:
            self._watch_wake.wait(PERSIST_INTERVAL)
            with self._lock:
                self._watch_wake.clear()
                job_ids = [*self._running, *self._pending]
                if not job_ids:
                    self._watcher = None
                    return
            try:
                states = self.store.statuses(job_ids)
            except ClaryError as error:  # the database is busy: look again next time
                log.warning("Could not read the download jobs' states: %s", error)
                continue
            with self._lock:
                for job_id, state in states.items():
                    if state in (JobState.PAUSED, JobState.CANCELLED):
                        self._stopped_elsewhere(job_id, state)

    def _stopped_elsewhere(self, job_id: int, state: JobState) -> None:
        """Another process paused or cancelled a job of this one (the caller holds the
        lock). A cancel's partial files are the canceller's to delete, once released."""
        if job_id in self._pending:
            self._pending.remove(job_id)
            self.store.update(job_id, owner=None, speed_bps=None)  # released, never started
            self._emit_state(job_id)
            return
        running = self._running.get(job_id)
        if running is not None and running.control.reason is None:
            running.keep_partial = True
            running.control.interrupt(state.value)

    def _run(self, job_id: int, control: JobControl) -> None:
        try:
            self._execute(job_id, control)
        except Exception:  # never let a worker die silently
            log.exception("Download job %s crashed", job_id)
            self._finish(
                job_id,
                JobState.FAILED,
                "An unexpected problem stopped the download; details are in the log.",
            )
        finally:
            with self._lock:
                self._running.pop(job_id, None)
                self._changed.notify_all()
                if not self._running and not self._pending:
                    self._watch_wake.set()  # nothing left to watch: let the watcher end
            self._dispatch()

    def _finish(
        self, job_id: int, state: JobState, error: str | None = None, **values: object
    ) -> None:
        values.setdefault("owner", None)
        self.store.finish(job_id, state, error=error, speed_bps=None, **values)
        self._emit_state(job_id)

    # ---- one job --------------------------------------------------------------------

    def _execute(self, job_id: int, control: JobControl) -> None:
        row = self.store.get(job_id)
        running = self._running[job_id]
        if not self.store.advance(
            job_id,
            JobState.DOWNLOADING,
            error=None,
            expected_sha256=None,
            actual_sha256=None,
            owner=this_process(),
        ):
            self._finish(job_id, JobState.CANCELLED)  # cancelled elsewhere while queued
            return
        self._emit_state(job_id)
        tasks: list[FileTask] = []
        try:
            tier, _ = self.store.model_tier(row.model_id)
            self._check_tier(row.model_id, tier)
            spec = self.store.version_spec(row.model_id, row.version)
            network = NetworkConfig.from_settings(self.settings)
            chain = SourceChain(spec, self.models_dir, self.settings, self.options, network)
            tasks = chain.first_tasks(control)
            if row.force:
                self.store.forget_install(row.model_id, row.version)
                for task in tasks:
                    task.target.unlink(missing_ok=True)
                self.store.update(job_id, force=False)
            self._download_all(job_id, spec, tasks, chain, running, control, network)
        except Interrupted as stop:
            state = JobState(stop.reason)
            if state == JobState.CANCELLED and not running.keep_partial:
                for task in tasks:
                    discard_partial(task)
                    task.target.unlink(missing_ok=True)
            # A job stopped by shutdown is marked so the next start can resume it.
            owner = SHUTDOWN_OWNER if self._closed and state == JobState.PAUSED else None
            self._finish(job_id, state, None, bytes_done=running.bytes_done, owner=owner)
        except NotEnoughSpace as error:
            self._finish(job_id, JobState.PAUSED, str(error), bytes_done=running.bytes_done)
        except DownloadFailed as error:
            self._finish(
                job_id,
                JobState.FAILED,
                str(error),
                expected_sha256=error.expected_sha256,
                actual_sha256=error.actual_sha256,
            )
        except ClaryError as error:
            self._finish(job_id, JobState.FAILED, str(error))

    def _download_all(
        self,
        job_id: int,
        spec: VersionSpec,
        tasks: list[FileTask],
        chain: SourceChain,
        running: _Running,
        control: JobControl,
        network: NetworkConfig,
    ) -> None:
        running.bytes_total = known_total(t.size_bytes for t in tasks)
        folder = version_dir(self.models_dir, spec)
        remaining = sum(
            (t.size_bytes or 0) - saved_bytes(t) for t in tasks if not t.target.exists()
        )
        ensure_space(folder, max(0, remaining), self.options.space_margin_bytes)
        with new_session(network) as session:

            def fetch_one(
                task: FileTask, ctl: TransferControl, on_bytes: Callable[[int], None]
            ) -> tuple[str, int]:
                found = _already_there(task)
                if found is None:
                    result = fetch_file(
                        session, task, ctl, on_bytes, self.options, self._limiter, chain
                    )
                    found = (result.sha256, result.size_bytes)
                return found

            # The files of a model run concurrently, at most concurrent_downloads at once.
            learned = fetch_all(
                tasks,
                fetch_one,
                control,
                progress=lambda done: self._progress(job_id, running, done),
                on_start=lambda path: setattr(running, "current_file", path),
                concurrency=self.settings.concurrent_downloads,
                thread_name=f"clary-download-{job_id}-file",
            )
        before = sum(size for _, size in learned.values())
        control.check()
        if not self.store.advance(job_id, JobState.VERIFYING, current_file=None):
            raise _cancelled_elsewhere(running)
        self._emit_state(job_id)
        for task in tasks:  # every file must be in place before the install is recorded
            if not task.target.is_file():
                raise DownloadFailed(f"{task.path} disappeared before the install finished.")
        # Only digests a source vouched for (the catalog, the Hub) are recorded: what a
        # bare URL happened to send proves nothing and must not turn into "verified".
        vouched = {t.path for t in tasks if t.sha256 or t.git_blob_id}
        if not self.store.record_install(
            spec.model_id,
            spec.version,
            folder,
            before,
            {p: v for p, v in learned.items() if p in vouched},
            job_id,
        ):
            raise _cancelled_elsewhere(running)
        self._emit_state(job_id)

    def _progress(self, job_id: int, running: _Running, done: int) -> None:
        running.bytes_done = done
        running.meter.add(done)
        now = time.monotonic()
        if now - running.last_persist >= PERSIST_INTERVAL:
            running.last_persist = now
            self.store.save_progress(
                job_id, done, running.bytes_total, running.meter.bps, running.current_file
            )
        if self.events.progress_due(job_id):
            self.events.progress(self.job(job_id))

    # ---- helpers --------------------------------------------------------------------

    def _info(self, row: object) -> JobInfo:

        assert isinstance(row, ModelDownload)
        running = self._running.get(row.id)
        info = job_info(row)
        if running is None or info.state != JobState.DOWNLOADING:
            return info
        speed = running.meter.bps
        total = running.bytes_total
        eta = (total - running.bytes_done) / speed if speed and total else None
        return info.model_copy(
            update={
                "bytes_done": running.bytes_done,
                "bytes_total": total,
                "speed_bps": speed,
                "eta_seconds": eta,
                "current_file": running.current_file,
            }
        )

    def _emit_state(self, job_id: int) -> None:
        info = self.job(job_id)
        with self._lock:
            self._changed.notify_all()
        self.events.state(info)

    def _discard_files(self, model_id: str, version: str) -> None:
        """Delete the partial and not-yet-installed files of a cancelled job."""
        try:
            spec = self.store.version_spec(model_id, version)
            paths = target_paths(self.models_dir, spec)
        except ClaryError:
            return
        installed = self.store.is_installed(model_id, version)
        for path in paths:
            path.with_name(path.name + PART_SUFFIX).unlink(missing_ok=True)
            path.with_name(path.name + PART_SUFFIX + ".json").unlink(missing_ok=True)
            if not installed:
                path.unlink(missing_ok=True)


def _cancelled_elsewhere(running: _Running) -> Interrupted:
    """Another process cancelled the job: it deletes the partial files once this one
    has stopped, if the user asked it to."""
    running.keep_partial = True
    return Interrupted(JobState.CANCELLED.value)


def _total_size(spec: VersionSpec) -> int | None:
    return known_total(f.size_bytes for f in spec.files)


def _already_there(task: FileTask) -> tuple[str, int] | None:
    """A target left by an earlier run of this job, if it is intact (re-hashed)."""
    if not task.target.is_file():
        return None
    size = task.target.stat().st_size
    if task.size_bytes is not None and size != task.size_bytes:
        task.target.unlink()
        return None
    if task.sha256 is None:
        task.target.unlink()  # nothing to check it against: fetch it again
        return None
    digest = sha256_of(task.target)
    if digest != task.sha256:
        task.target.unlink()
        return None
    return digest, size


def _finished_word(state: JobState) -> str:
    return {
        JobState.COMPLETED: "completed",
        JobState.FAILED: "failed",
        JobState.CANCELLED: "been cancelled",
    }[state]
