"""The queue: pause, resume, cancel, concurrency, events, restart recovery."""

from __future__ import annotations

import threading
import time

import pytest

from clary_desktop.downloads import DownloadManager, JobState
from clary_desktop.registry import Registry, Tier
from tests.support.download_env import FAST, import_entries, sha, url_entry, use_fast_manager
from tests.support.fault_server import BlobServer, random_bytes

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
    import_entries(registry, *(url_entry(f"q-{n}", {"m.bin": (server.url(n), DATA)})
                               for n in ("a", "b", "c")))
    use_fast_manager(registry)
    yield registry
    registry.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("clary-download")]


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("condition not reached")


def target(reg, model_id):
    return reg.models_dir / "llm" / model_id / "1.0" / "m.bin"


def test_pause_keeps_partial_and_resume_finishes(reg, server):
    manager = reg.downloads
    job = manager.start("q-a")
    part = target(reg, "q-a").with_name("m.bin.part")
    wait_for(lambda: part.exists() and part.stat().st_size > 500_000)
    manager.pause(job)
    assert manager.wait(job, timeout=5).state == JobState.PAUSED
    assert part.stat().st_size > 0
    assert reg.get_model("q-a").status == "not installed"
    server.throttle = None
    manager.resume(job)
    assert manager.wait(job, timeout=10).state == JobState.COMPLETED
    assert sha(target(reg, "q-a").read_bytes()) == sha(DATA)
    ranged = [r for r in server.requests if r.range]
    assert len(ranged) == 1 and ranged[0].status == 206


@pytest.mark.parametrize("keep", [False, True])
def test_cancel_deletes_or_keeps_partial(reg, keep):
    manager = reg.downloads
    job = manager.start("q-a")
    part = target(reg, "q-a").with_name("m.bin.part")
    wait_for(lambda: part.exists() and part.stat().st_size > 0)
    manager.cancel(job, keep_partial=keep)
    assert manager.wait(job, timeout=5).state == JobState.CANCELLED
    assert part.exists() is keep
    assert not target(reg, "q-a").exists()
    stray = [s.path for s in manager.stray_partials()]
    assert stray == ([str(part)] if keep else [])


def test_concurrency_limit_and_events(reg):
    manager = reg.downloads
    events = []
    unsubscribe = manager.subscribe(events.append)
    jobs = [manager.start(m) for m in ("q-a", "q-b", "q-c")]
    time.sleep(0.3)
    states = [manager.job(j).state for j in jobs]
    assert states.count(JobState.DOWNLOADING) == 2 and states.count(JobState.QUEUED) == 1
    assert reg.get_model("q-c").status == "downloading"
    for job in jobs:
        assert manager.wait(job, timeout=20).state == JobState.COMPLETED
    unsubscribe()
    per_job = [e for e in events if e.job_id == jobs[0]]
    kinds = [e.state for e in per_job if e.kind == "state"]
    assert kinds[0] == JobState.QUEUED and kinds[-1] == JobState.COMPLETED
    progress = [e for e in per_job if e.kind == "progress"]
    assert progress and len(progress) < 20  # rate-limited, not one per chunk
    assert any(e.speed_bps for e in progress)
    assert manager.clear_finished() == 3 and manager.jobs() == []


def test_shutdown_pauses_and_a_new_manager_recovers(reg, paths):
    manager = reg.downloads
    job = manager.start("q-a")
    wait_for(lambda: manager.job(job).bytes_done > 0)
    manager.shutdown(timeout=5)
    assert manager.job(job).state == JobState.PAUSED
    again = DownloadManager(reg.db, models_dir=lambda: reg.models_dir, tier=lambda: Tier.LITE,
                            settings=reg.settings.model_copy(update={"resume_on_start": True}),
                            options=FAST)
    try:
        assert again.wait(job, timeout=20).state == JobState.COMPLETED
    finally:
        again.shutdown()
