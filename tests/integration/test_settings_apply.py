"""Settings saved through `Registry.apply_settings` reach the download manager at once,
running jobs included; one-run overrides (CLARY_OFFLINE) are never written."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest

from clary_desktop.app import Registry
from clary_desktop.domain.access import Tier
from clary_desktop.errors import ClaryError
from clary_desktop.paths import AppPaths
from clary_desktop.settings import Settings
from tests.support.download_env import FAST, import_entries, url_entry, use_fast_manager
from tests.support.fault_server import BlobServer, random_bytes

KiB = 1024
MiB = 1024 * KiB
DATA = random_bytes(16 * MiB, seed=5)


@pytest.fixture
def blobs() -> Iterator[BlobServer]:
    with BlobServer(throttle=1 * MiB) as server:
        server.add("a", DATA)
        yield server


@pytest.fixture
def reg(paths: AppPaths, blobs: BlobServer) -> Iterator[Registry]:
    registry = Registry.open(paths, tier_source=lambda: Tier.LITE)
    import_entries(
        registry,
        *(url_entry(f"m{n}", {"m.gguf": (blobs.url("a"), DATA)}) for n in range(1, 5)),
    )
    yield registry
    registry.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("clary-download")]


def _stored(registry: Registry) -> dict:
    return json.loads(registry.paths.settings_file.read_text(encoding="utf-8"))


def _wait_for(condition, what: str, timeout: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def _states(registry: Registry) -> dict[str, str]:
    return {job.model_id: str(job.state) for job in registry.downloads.jobs()}


def test_a_lower_bandwidth_limit_reaches_a_running_download(reg: Registry) -> None:
    reg.apply_settings(reg.stored_settings.model_copy(update={"bandwidth_limit_bps": 4 * MiB}))
    manager = use_fast_manager(reg, replace(FAST, bandwidth_limit_bps=4 * MiB))
    job_id = manager.start("m1")
    _wait_for(lambda: manager.job(job_id).bytes_done > 0, "the download to start")

    slow = 128 * KiB
    applied = reg.apply_settings(
        reg.stored_settings.model_copy(update={"bandwidth_limit_bps": slow})
    )
    assert applied.bandwidth_limit_bps == slow and _stored(reg)["bandwidth_limit_bps"] == slow
    assert manager.settings.bandwidth_limit_bps == slow
    assert manager.options.bandwidth_limit_bps == slow
    assert manager.options.stall_seconds == FAST.stall_seconds  # unchanged settings stay put

    # From now on the running transfer moves at most `slow` bytes a second (plus the
    # bucket's burst and the chunk being read): an upper bound, so a slow machine passes.
    start, done_before = time.monotonic(), manager.job(job_id).bytes_done
    _wait_for(lambda: time.monotonic() - start >= 1.5, "1.5 s to pass")
    elapsed, moved = time.monotonic() - start, manager.job(job_id).bytes_done - done_before
    read_size = 4 * MiB // 20
    assert moved <= slow * elapsed + 64 * KiB + 2 * read_size, (moved, elapsed)
    assert manager.job(job_id).state == "downloading"
    manager.cancel(job_id)
    assert manager.wait(job_id, timeout=30).state == "cancelled"


def test_concurrency_changes_are_respected_by_the_queue(reg: Registry) -> None:
    reg.apply_settings(reg.stored_settings.model_copy(update={"concurrent_downloads": 1}))
    manager = use_fast_manager(reg)
    ids = [manager.start(f"m{n}") for n in (1, 2, 3)]
    _wait_for(lambda: _states(reg)["m1"] == "downloading", "m1 to run")
    assert [_states(reg)[m] for m in ("m2", "m3")] == ["queued", "queued"]

    reg.apply_settings(reg.stored_settings.model_copy(update={"concurrent_downloads": 3}))
    _wait_for(
        lambda: all(s == "downloading" for s in _states(reg).values()), "three running at once"
    )

    reg.apply_settings(reg.stored_settings.model_copy(update={"concurrent_downloads": 2}))
    assert manager.settings.concurrent_downloads == 2
    fourth = manager.start("m4")
    assert _states(reg)["m4"] == "queued"  # three run, the limit is two
    manager.cancel(ids[0])
    assert manager.wait(ids[0], timeout=30).state == "cancelled"
    _wait_for(
        lambda: not any(t.name == f"clary-download-{ids[0]}" for t in threading.enumerate()),
        "the cancelled job's worker to end",
    )
    assert _states(reg)["m4"] == "queued"  # still two running: at the limit
    manager.cancel(ids[1])
    _wait_for(lambda: _states(reg)["m4"] == "downloading", "m4 to start below the limit")
    for job_id in (ids[2], fourth):
        manager.cancel(job_id)
        assert manager.wait(job_id, timeout=30).state == "cancelled"


def test_offline_mode_pauses_running_jobs_and_refuses_new_ones(reg: Registry) -> None:
    manager = use_fast_manager(reg)
    job_id = manager.start("m1")
    _wait_for(lambda: manager.job(job_id).bytes_done > 0, "the download to start")
    reg.apply_settings(reg.stored_settings.model_copy(update={"offline": True}))
    assert _stored(reg)["offline"] is True  # the user's own choice is saved
    assert manager.wait(job_id, timeout=30).state == "paused"
    with pytest.raises(ClaryError, match="offline mode"):
        manager.start("m2")
    with pytest.raises(ClaryError, match="offline mode"):
        manager.resume(job_id)
    reg.apply_settings(reg.stored_settings.model_copy(update={"offline": False}))
    manager.resume(job_id)
    _wait_for(lambda: manager.job(job_id).state == "downloading", "the resume")
    manager.cancel(job_id)
    assert manager.wait(job_id, timeout=30).state == "cancelled"


def test_clary_offline_is_applied_but_never_saved(
    paths: AppPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLARY_OFFLINE", "1")
    with Registry.open(paths, tier_source=lambda: Tier.LITE) as registry:
        assert registry.settings.offline and registry.offline
        assert not registry.stored_settings.offline
        manager = registry.downloads
        applied = registry.apply_settings(
            registry.stored_settings.model_copy(update={"concurrent_downloads": 3})
        )
        assert applied.offline and registry.settings.offline  # still offline for this run
        assert manager.settings.offline and manager.settings.concurrent_downloads == 3
        stored = _stored(registry)
        assert stored["offline"] is False and stored["concurrent_downloads"] == 3
        # Moving the models folder saves the setting the same way.
        new_dir = paths.data_dir / "elsewhere"
        registry.move_models_dir(new_dir)
        assert _stored(registry)["offline"] is False
        assert _stored(registry)["models_dir"] == str(new_dir.resolve())
        assert registry.stored_settings.models_dir == str(new_dir.resolve())
        assert registry.models_dir == new_dir.resolve()
    monkeypatch.delenv("CLARY_OFFLINE")
    with Registry.open(paths, tier_source=lambda: Tier.LITE) as registry:
        assert not registry.settings.offline
        assert registry.settings.concurrent_downloads == 3


def test_settings_that_cannot_be_saved_change_nothing(reg: Registry) -> None:
    manager = use_fast_manager(reg)
    before = reg.settings
    reg.paths.settings_file.mkdir(parents=True)  # something in the way of the file
    (reg.paths.settings_file / "x").write_text("x")
    with pytest.raises(ClaryError, match="Cannot save the settings"):
        reg.apply_settings(Settings(concurrent_downloads=5))
    assert reg.settings == before and reg.stored_settings.concurrent_downloads == 2
    assert manager.settings.concurrent_downloads == 2
