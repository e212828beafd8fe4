"""Quitting while downloads run, resuming them at the next start, and the dock keeping
running jobs first and in sight."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt

from clary_desktop.app import Registry
from clary_desktop.domain.access import Tier
from clary_desktop.domain.download_values import (
    PAUSED_AT_QUIT,
    DownloadEvent,
    JobInfo,
    JobState,
)
from clary_desktop.gui.actions.quit_actions import KEEP_RUNNING, PAUSE_AND_QUIT
from clary_desktop.gui.bridge import DownloadBridge
from tests.gui.fakes import FakeDownloads
from tests.support.download_env import import_entries, url_entry, use_fast_manager
from tests.support.fault_server import BlobServer, random_bytes

DATA = random_bytes(3 * 1024 * 1024, seed=7)


@pytest.fixture
def server():
    with BlobServer(throttle=256 * 1024) as blob_server:
        blob_server.add("a", DATA)
        yield blob_server


def record_questions(window) -> list[tuple[str, list[str], str]]:
    asked: list[tuple[str, list[str], str]] = []
    choose = window.choose

    def recording(question: str, options: list[str], dismiss: str = "Cancel") -> str | None:
        asked.append((question, list(options), dismiss))
        return choose(question, options, dismiss)

    window.choose = recording
    return asked


def open_engine_registry(paths, server) -> Registry:
    registry = Registry.open(paths, tier_source=lambda: Tier.LITE)
    import_entries(registry, url_entry("dl-a", {"m.bin": (server.url("a"), DATA)}))
    use_fast_manager(registry)
    return registry


def quit_during_a_download(open_window, paths, server, qtbot) -> None:
    """Start a download, quit with "Pause and quit", close the Registry (what the
    window does with a registry of its own)."""
    first = open_engine_registry(paths, server)
    try:
        window = open_window(first)
        window.model_actions.request_action("download", "dl-a")
        qtbot.waitUntil(
            lambda: (
                window.queue_model.rowCount() == 1
                and window.queue_model.job_at(0).state == "downloading"
            ),
            timeout=15000,
        )
        window.choices = [PAUSE_AND_QUIT]
        assert window.close()
        assert window.tasks._closed
    finally:
        first.close()


def window_with_a_job(open_window, tier_registry, qtbot, state: str):
    """A window over the scripted engine with one job of got-ocr-2 in `state`."""
    registry = tier_registry(Tier.LITE)
    fake = FakeDownloads(registry)
    registry.use_download_engine(fake)
    window = open_window(registry)
    window.model_actions.request_action("download", "got-ocr-2")
    qtbot.waitUntil(lambda: window.queue_model.rowCount() == 1, timeout=10000)
    fake.progress(1, state, 1000)
    qtbot.waitUntil(lambda: window.queue_model.job_at(0).state == state, timeout=10000)
    return registry, fake, window


def test_quitting_during_a_download_asks_and_keep_running_keeps_the_window(
    open_window, tier_registry, qtbot
):
    registry, fake, window = window_with_a_job(open_window, tier_registry, qtbot, "downloading")
    asked = record_questions(window)

    window.choices = [KEEP_RUNNING]
    assert not window.close()
    assert asked[-1][0].startswith("1 download running: pause and quit?")
    assert asked[-1][1:] == ([PAUSE_AND_QUIT], KEEP_RUNNING)
    assert window.isVisible() and window.registry is registry
    assert not window.tasks._closed  # nothing was shut down
    assert ("pause", 1) not in fake.calls

    window.choices = [PAUSE_AND_QUIT]
    assert window.close()
    assert not window.isVisible()
    assert window.tasks._closed


def test_nothing_is_asked_when_no_download_runs(open_window, tier_registry, qtbot):
    _registry, _fake, window = window_with_a_job(open_window, tier_registry, qtbot, "paused")
    asked = record_questions(window)
    assert window.close()
    assert asked == []


def test_pause_and_quit_then_the_next_start_offers_to_resume(open_window, paths, server, qtbot):
    quit_during_a_download(open_window, paths, server, qtbot)

    second = open_engine_registry(paths, server)
    try:
        window = open_window(second)
        bar = window.queue_panel.resume_bar
        assert bar.isVisible()
        assert bar.label.text() == "1 download was paused when the program quit. Resume now?"
        job = window.queue_model.job_at(0)
        assert job.state == "paused" and job.error == PAUSED_AT_QUIT
        state = window.queue_model.index(0, 5).data()
        assert state == "paused when the program quit"
        with qtbot.waitSignal(window.details_shown, timeout=10000):
            window.select_model("dl-a")
        assert "paused when the program quit" in window.detail.plain_text()

        server.throttle = None
        qtbot.mouseClick(bar.resume_button, Qt.MouseButton.LeftButton)
        assert not bar.isVisible()
        qtbot.waitUntil(lambda: window.queue_model.job_at(0).state == "completed", timeout=30000)
        assert window.queue_model.job_at(0).bytes_done == len(DATA)
    finally:
        second.close()


def test_not_now_leaves_them_paused(open_window, paths, server, qtbot):
    quit_during_a_download(open_window, paths, server, qtbot)
    second = open_engine_registry(paths, server)
    try:
        window = open_window(second)
        bar = window.queue_panel.resume_bar
        assert bar.isVisible()
        qtbot.mouseClick(bar.later_button, Qt.MouseButton.LeftButton)
        assert not bar.isVisible()
        qtbot.wait(300)
        assert window.queue_model.job_at(0).state == "paused"
    finally:
        second.close()


def test_with_resume_on_start_they_resume_without_asking(open_window, paths, server, qtbot):
    quit_during_a_download(open_window, paths, server, qtbot)

    server.throttle = None
    second = Registry.open(paths, tier_source=lambda: Tier.LITE)
    try:
        second.settings.resume_on_start = True
        use_fast_manager(second)
        window = open_window(second)
        assert not window.queue_panel.resume_bar.isVisible()
        qtbot.waitUntil(lambda: window.queue_model.job_at(0).state == "completed", timeout=30000)
    finally:
        second.close()


def test_a_new_download_is_first_and_in_view(open_window, tier_registry, qtbot):
    registry = tier_registry(Tier.PROFESSIONAL)
    fake = FakeDownloads(registry)
    registry.use_download_engine(fake)
    window = open_window(registry)
    for n, model_id in enumerate(("got-ocr-2", "layoutlmv3", "llama-3-8b", "phi-4-multimodal")):
        window.model_actions.request_action("download", model_id)
        qtbot.waitUntil(lambda n=n: window.queue_model.rowCount() == n + 1, timeout=10000)
        fake.progress(n + 1, "completed", 10)
    qtbot.waitUntil(
        lambda: all(j.state == "completed" for j in window.queue_model.jobs()), timeout=10000
    )
    view = window.queue_panel.view
    view.scrollToBottom()
    window.model_actions.request_action("download", "qwen2.5-1.5b-instruct")
    qtbot.waitUntil(lambda: window.queue_model.rowCount() == 5, timeout=10000)
    qtbot.waitUntil(lambda: window.queue_panel.selected_job() is not None, timeout=10000)
    assert window.queue_model.job_at(0).model_id == "qwen2.5-1.5b-instruct"
    assert window.queue_panel.selected_job().model_id == "qwen2.5-1.5b-instruct"
    index = view.model().index(0, 0)
    assert view.viewport().rect().intersects(view.visualRect(index))


def test_resume_all_leaves_a_job_resumed_by_hand_alone(open_window, tier_registry, qtbot):
    _registry, fake, window = window_with_a_job(open_window, tier_registry, qtbot, "paused")
    window.model_actions.request_action("download", "layoutlmv3")
    qtbot.waitUntil(lambda: window.queue_model.rowCount() == 2, timeout=10000)
    for job_id in (1, 2):
        fake.progress(job_id, "paused", 10, error=PAUSED_AT_QUIT)
    qtbot.waitUntil(
        lambda: all(j.error == PAUSED_AT_QUIT for j in window.queue_model.jobs()), timeout=10000
    )
    window.quit_actions.offer_resume(fake.jobs_by_id.values())
    bar = window.queue_panel.resume_bar
    assert bar.label.text() == "2 downloads were paused when the program quit. Resume now?"
    window.model_actions.request_job_action("resume", 1)  # by hand, meanwhile
    qtbot.waitUntil(lambda: ("resume", 1) in fake.calls, timeout=10000)
    states = {1: "queued", 2: "paused"}
    qtbot.waitUntil(
        lambda: {j.job_id: j.state for j in window.queue_model.jobs()} == states, timeout=10000
    )
    qtbot.mouseClick(bar.resume_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ("resume", 2) in fake.calls, timeout=10000)
    qtbot.waitUntil(lambda: window.last_message == "Resumed 1 download.", timeout=10000)
    assert fake.calls.count(("resume", 1)) == 1


def test_the_start_snapshot_wins_over_older_events_and_loses_to_newer(qtbot):
    """The window subscribes before it reads the jobs: an event from before the read is
    dropped, one from after it is kept (a job resumed at start may finish meanwhile)."""
    t0 = datetime(2026, 1, 1, tzinfo=UTC)

    def info(job_id: int, state: JobState, seconds: int) -> dict:
        when = t0 + timedelta(seconds=seconds)
        return dict(
            job_id=job_id,
            model_id=f"m{job_id}",
            version="1",
            state=state,
            bytes_done=0,
            bytes_total=10,
            speed_bps=None,
            eta_seconds=None,
            error=None,
            current_file=None,
            created_at=t0,
            updated_at=when,
        )

    bridge = DownloadBridge()
    bridge.on_event(DownloadEvent(kind="state", **info(1, JobState.DOWNLOADING, 1)))
    bridge.on_event(DownloadEvent(kind="state", **info(2, JobState.COMPLETED, 5)))
    bridge.reset(
        [JobInfo(**info(1, JobState.COMPLETED, 2)), JobInfo(**info(2, JobState.QUEUED, 2))]
    )
    assert {j.job_id: j.state for j in bridge.jobs()} == {1: "completed", 2: "completed"}
    bridge.close()
