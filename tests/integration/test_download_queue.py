"""The queue: pause, resume, cancel, concurrency, events, restart recovery."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from clary_desktop.app import Registry
from clary_desktop.domain.access import Tier
from clary_desktop.domain.download_values import JobState
from clary_desktop.downloads import manager as manager_module
from clary_desktop.downloads.manager import DownloadManager
from clary_desktop.errors import ClaryError
from tests.support.download_env import FAST, import_entries, sha, url_entry, use_fast_manager
from tests.support.fault_server import BlobServer, random_bytes
from tests.support.waiting import PATIENCE, wait_until

DATA = random_bytes(3 * 1024 * 1024, seed=21)


@pytest.fixture
def server():
    with BlobServer(throttle=3 * 1024 * 1024) as blob_server:  # ~1 s per model
        for name in ("a", "b", "c"):
            blob_server.add(name, DATA)
        yield blob_server


@pytest.fixture
def reg(paths, server):
    registry = Registry.open(paths, tier_source=lambda: Tier.LITE)
    import_entries(
        registry, *(url_entry(f"q-{n}", {"m.bin": (server.url(n), DATA)}) for n in ("a", "b", "c"))
    )
    use_fast_manager(registry)
    yield registry
    registry.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("clary-download")]


def target(reg, model_id):
    return reg.models_dir / "llm" / model_id / "1.0" / "m.bin"


def test_pause_keeps_partial_and_resume_finishes(reg, server):
    manager = reg.downloads
    job = manager.start("q-a")
    part = target(reg, "q-a").with_name("m.bin.part")
    wait_until(lambda: part.exists() and part.stat().st_size > 500_000, "500 kB are in")
    manager.pause(job)
    assert manager.wait(job, timeout=PATIENCE).state == JobState.PAUSED
    assert part.stat().st_size > 0
    assert reg.get_model("q-a").status == "not installed"
    server.throttle = None
    manager.resume(job)
    assert manager.wait(job, timeout=PATIENCE).state == JobState.COMPLETED
    assert sha(target(reg, "q-a").read_bytes()) == sha(DATA)
    ranged = [r for r in server.requests if r.range]
    assert len(ranged) == 1 and ranged[0].status == 206


@pytest.mark.parametrize("keep", [False, True])
def test_cancel_deletes_or_keeps_partial(reg, keep):
    manager = reg.downloads
    job = manager.start("q-a")
    part = target(reg, "q-a").with_name("m.bin.part")
    wait_until(lambda: part.exists() and part.stat().st_size > 0, "the first bytes are in")
    manager.cancel(job, keep_partial=keep)
    assert manager.wait(job, timeout=PATIENCE).state == JobState.CANCELLED
    assert part.exists() is keep
    assert not target(reg, "q-a").exists()
    stray = [s.path for s in manager.stray_partials()]
    assert stray == ([str(part)] if keep else [])


def test_concurrency_limit_and_events(reg):
    manager = reg.downloads
    events = []
    unsubscribe = manager.subscribe(events.append)
    began = time.monotonic()
    jobs = [manager.start(m) for m in ("q-a", "q-b", "q-c")]
    states: list[JobState] = []

    def two_running() -> bool:
        states[:] = [manager.job(j).state for j in jobs]
        return states.count(JobState.DOWNLOADING) == 2

    wait_until(two_running, "two jobs download")  # each takes a second at least
    assert states.count(JobState.QUEUED) == 1
    assert reg.get_model("q-c").status == "downloading"
    for job in jobs:
        assert manager.wait(job, timeout=PATIENCE).state == JobState.COMPLETED
    took = time.monotonic() - began
    unsubscribe()
    per_job = [e for e in events if e.job_id == jobs[0]]
    kinds = [e.state for e in per_job if e.kind == "state"]
    assert kinds[0] == JobState.QUEUED and kinds[-1] == JobState.COMPLETED
    progress = [e for e in per_job if e.kind == "progress"]
    # Rate-limited (4 a second), not one per chunk (12 chunks a file), however long it took.
    assert progress and len(progress) <= 4 * took + 2
    assert any(e.speed_bps for e in progress)
    assert manager.clear_finished() == 3 and manager.jobs() == []


def test_shutdown_pauses_and_a_new_manager_recovers(reg, paths):
    manager = reg.downloads
    job = manager.start("q-a")
    wait_until(lambda: manager.job(job).bytes_done > 0, "the first bytes are in")
    manager.shutdown(timeout=PATIENCE)
    assert manager.job(job).state == JobState.PAUSED
    again = DownloadManager(
        reg.db,
        models_dir=lambda: reg.models_dir,
        tier=lambda: Tier.LITE,
        settings=reg.settings.model_copy(update={"resume_on_start": True}),
        options=FAST,
    )
    try:
        assert again.wait(job, timeout=PATIENCE).state == JobState.COMPLETED
    finally:
        again.shutdown()


def test_a_job_cancelled_after_shutdown_stays_cancelled(reg):
    manager = reg.downloads
    job = manager.start("q-a")
    wait_until(lambda: manager.job(job).bytes_done > 0, "the first bytes are in")
    manager.shutdown(timeout=PATIENCE)
    manager.cancel(job, keep_partial=False)
    assert manager.job(job).state == JobState.CANCELLED
    next_run = DownloadManager(
        reg.db,
        models_dir=lambda: reg.models_dir,
        tier=lambda: Tier.LITE,
        settings=reg.settings.model_copy(update={"resume_on_start": True}),
        options=FAST,
    )
    try:
        assert next_run.job(job).state == JobState.CANCELLED  # not resumed at start
        assert not target(reg, "q-a").with_name("m.bin.part").exists()
    finally:
        next_run.shutdown()


# ---- a job another live process holds ------------------------------------------------


@pytest.fixture
def other_process() -> Iterator[str]:
    """The owner id of a live process that is not this one (it never lets go)."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    try:
        yield f"{socket.gethostname()}:{process.pid}"
    finally:
        process.kill()
        process.wait()


def held_elsewhere(reg, owner: str, state: JobState) -> int:
    """A job of q-a with a partial file, held by `owner` in `state`."""
    manager = reg.downloads
    job = manager.start("q-a")
    wait_until(lambda: manager.job(job).bytes_done > 0, "the first bytes are in")
    manager.pause(job)
    assert manager.wait(job, timeout=PATIENCE).state == JobState.PAUSED
    manager.store.update(job, status=state.value, owner=owner)
    return job


def test_a_job_still_stopping_in_another_process_is_not_resumed_here(reg, other_process):
    # Paused from here, but the process running it has not stopped yet: starting it here
    # too would put two writers on one partial file.
    job = held_elsewhere(reg, other_process, JobState.PAUSED)
    with pytest.raises(ClaryError, match="running in another Clary Desktop process"):
        reg.downloads.resume(job)
    assert reg.downloads.job(job).state == JobState.PAUSED


def test_cancel_says_so_when_the_other_process_does_not_stop(reg, other_process, monkeypatch):
    monkeypatch.setattr(manager_module, "RELEASE_SECONDS", 0.5)
    job = held_elsewhere(reg, other_process, JobState.DOWNLOADING)
    part = target(reg, "q-a").with_name("m.bin.part")
    with pytest.raises(ClaryError, match=r"is cancelled, but .* has not stopped") as error:
        reg.downloads.cancel(job, keep_partial=False)
    assert "stray partial files" in str(error.value)
    assert reg.downloads.job(job).state == JobState.CANCELLED
    assert part.exists()  # the other process may still be writing it: not deleted under it
