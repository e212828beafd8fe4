"""Downloads through the window: the real engine against a loopback server, and the
queue's buttons and error text with a scripted stand-in."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt

from clary_desktop.app import Registry
from clary_desktop.domain.access import Tier
from clary_desktop.gui.models.catalog_model import STATUS
from clary_desktop.gui.models.queue_model import STATE
from tests.gui.fakes import FakeDownloads
from tests.support.download_env import import_entries, url_entry, use_fast_manager
from tests.support.fault_server import BlobServer, random_bytes

DATA = random_bytes(3 * 1024 * 1024, seed=5)


@pytest.fixture
def server():
    with BlobServer(throttle=2 * 1024 * 1024) as blob_server:
        blob_server.add("a", DATA)
        blob_server.add("b", DATA)
        yield blob_server


@pytest.fixture
def engine_registry(paths, server):
    registry = Registry.open(paths, tier_source=lambda: Tier.LITE)
    import_entries(
        registry,
        url_entry("dl-a", {"m.bin": (server.url("a"), DATA)}),
        url_entry("dl-b", {"m.bin": (server.url("b"), DATA)}),
    )
    use_fast_manager(registry)
    yield registry
    registry.close()


def job_state(window, row: int = 0) -> str:
    model = window.queue_model
    return model.job_at(row).state if model.rowCount() > row else ""


def status_text(window, model_id: str) -> str:
    model = window.catalog_model
    return model.index(model.row_for(model_id), STATUS).data()


def test_download_pause_resume_complete(open_window, engine_registry, server, qtbot):
    window = open_window(engine_registry)
    with qtbot.waitSignal(window.details_shown, timeout=10000):
        window.select_model("dl-a")
    qtbot.mouseClick(window.detail.buttons["download"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: job_state(window) == "downloading", timeout=10000)
    qtbot.waitUntil(lambda: status_text(window, "dl-a").startswith("downloading"), timeout=15000)

    window.queue_panel.view.selectRow(0)
    qtbot.waitUntil(lambda: window.queue_panel.buttons["pause"].isEnabled(), timeout=15000)
    qtbot.mouseClick(window.queue_panel.buttons["pause"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: job_state(window) == "paused", timeout=10000)
    assert window.detail.buttons["resume"].isEnabled()
    # The engine reports "paused" a moment before its worker thread ends, and ignores a
    # resume until then; a person is never that fast, so wait for the thread as they would.
    qtbot.waitUntil(
        lambda: not any(t.name.startswith("clary-download") for t in threading.enumerate()),
        timeout=10000,
    )

    server.throttle = None
    qtbot.mouseClick(window.detail.buttons["resume"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: job_state(window) == "completed", timeout=20000)
    qtbot.waitUntil(lambda: status_text(window, "dl-a") == "installed", timeout=10000)
    qtbot.waitUntil(
        lambda: "Download complete" in window.last_message or window.last_message == "Ready",
        timeout=15000,
    )
    qtbot.waitUntil(lambda: window.detail.buttons["open_folder"].isEnabled(), timeout=15000)
    window.detail.buttons["open_folder"].click()
    assert window.opened_urls and window.opened_urls[0].toLocalFile().endswith("1.0")

    assert window.queue_panel.clear_button.isEnabled()
    qtbot.mouseClick(window.queue_panel.clear_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.queue_model.rowCount() == 0, timeout=15000)

    qtbot.keyClick(window.table, Qt.Key.Key_Delete)  # Delete removes (confirm answers yes)
    qtbot.waitUntil(lambda: status_text(window, "dl-a") == "not installed", timeout=10000)


def test_cancel_a_running_download(open_window, engine_registry, qtbot):
    window = open_window(engine_registry)
    window.model_actions.request_action("download", "dl-b")
    qtbot.waitUntil(lambda: job_state(window) == "downloading", timeout=10000)
    window.queue_panel.view.selectRow(0)
    qtbot.waitUntil(lambda: window.queue_panel.buttons["cancel"].isEnabled(), timeout=15000)
    qtbot.mouseClick(window.queue_panel.buttons["cancel"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: job_state(window) == "cancelled", timeout=10000)
    assert status_text(window, "dl-b") == "not installed"
    assert window.queue_panel.buttons["retry"].isEnabled()
    part = engine_registry.models_dir / "llm" / "dl-b" / "1.0" / "m.bin.part"
    qtbot.waitUntil(lambda: not part.exists(), timeout=15000)  # the default answer deletes it


def test_cancel_can_keep_the_partial_file(open_window, engine_registry, qtbot):
    from clary_desktop.gui.actions.model_actions import KEEP_PARTIAL

    window = open_window(engine_registry)
    part = engine_registry.models_dir / "llm" / "dl-b" / "1.0" / "m.bin.part"
    window.model_actions.request_action("download", "dl-b")
    qtbot.waitUntil(lambda: job_state(window) == "downloading" and part.exists(), timeout=10000)
    window.choices.append(KEEP_PARTIAL)
    window.model_actions.request_action("cancel", "dl-b")
    qtbot.waitUntil(lambda: job_state(window) == "cancelled", timeout=10000)
    qtbot.waitUntil(
        lambda: not any(t.name.startswith("clary-download") for t in threading.enumerate()),
        timeout=10000,
    )
    assert part.exists() and part.stat().st_size > 0

    # The list, the dock and the detail pane say what is kept, and Resume continues it.
    job_id = window.queue_model.job_at(0).job_id
    assert engine_registry.kept_partial_jobs() == {job_id}
    percent = window.queue_model.job_at(0).percent
    assert status_text(window, "dl-b") == f"{percent}% kept"
    assert window.queue_model.index(0, STATE).data() == f"cancelled, {percent}% kept"
    with qtbot.waitSignal(window.details_shown, timeout=10000):
        window.select_model("dl-b")
    detail = window.detail
    assert detail.status_label.text() == f"{percent}% kept"
    assert f"{percent}% (" in detail.job_note.text() and "Resume" in detail.job_note.text()
    assert detail.buttons["retry"].text() == "Resume" and detail.buttons["retry"].isVisible()
    assert detail.buttons["download"].isHidden()
    # After a reload (or a restart) the core still knows the part is kept.
    window.model_actions.kept_jobs = set()
    with qtbot.waitSignal(window.catalog_loaded, timeout=10000):
        window.reload()
    assert status_text(window, "dl-b") == f"{percent}% kept"


def test_cancel_without_keeping_says_not_installed(open_window, engine_registry, qtbot):
    window = open_window(engine_registry)
    part = engine_registry.models_dir / "llm" / "dl-b" / "1.0" / "m.bin.part"
    window.model_actions.request_action("download", "dl-b")
    qtbot.waitUntil(lambda: job_state(window) == "downloading" and part.exists(), timeout=10000)
    window.model_actions.request_action("cancel", "dl-b")  # the default answer deletes
    qtbot.waitUntil(lambda: job_state(window) == "cancelled", timeout=10000)
    qtbot.waitUntil(lambda: not part.exists(), timeout=15000)
    assert engine_registry.kept_partial_jobs() == set()
    assert status_text(window, "dl-b") == "not installed"


def test_failed_download_shows_the_error_and_can_be_retried(open_window, tier_registry, qtbot):
    registry = tier_registry(Tier.LITE)
    fake = FakeDownloads(registry)
    registry.use_download_engine(fake)
    window = open_window(registry)
    window.model_actions.request_action("download", "got-ocr-2")
    qtbot.waitUntil(lambda: window.queue_model.rowCount() == 1, timeout=15000)
    fake.progress(1, "downloading", 100_000_000)
    qtbot.waitUntil(lambda: job_state(window) == "downloading", timeout=15000)
    fake.progress(
        1,
        "failed",
        100_000_000,
        error="The server closed the connection 3 times; check your network.",
    )
    qtbot.waitUntil(lambda: job_state(window) == "failed", timeout=15000)
    text = window.queue_model.index(0, STATE).data()
    assert text == "failed: The server closed the connection 3 times; check your network."
    assert window.queue_model.index(0, 0).data() == "GOT-OCR 2.0 1.0.0"  # the name, not the id
    qtbot.waitUntil(
        lambda: window.status.currentMessage().startswith("Download failed: GOT-OCR 2.0"),
        timeout=15000,
    )
    # The list says "failed"; the detail pane wraps the whole error and offers one Retry.
    assert status_text(window, "got-ocr-2") == "failed"
    with qtbot.waitSignal(window.details_shown, timeout=10000):
        window.select_model("got-ocr-2")
    detail = window.detail
    assert detail.status_label.text() == "download failed"
    assert detail.job_note.wordWrap()
    assert detail.job_note.text() == (
        "The download failed: The server closed the connection 3 times; check your network."
    )
    assert detail.buttons["retry"].isVisible() and detail.buttons["download"].isHidden()
    window.queue_panel.view.selectRow(0)
    qtbot.mouseClick(window.queue_panel.buttons["retry"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ("retry", 1) in fake.calls, timeout=15000)
    qtbot.waitUntil(lambda: job_state(window) == "queued", timeout=15000)


def test_bridge_batches_many_events_into_few_repaints(qtbot):
    import threading
    from types import SimpleNamespace

    from clary_desktop.gui.bridge import DownloadBridge

    bridge = DownloadBridge()
    batches: list[int] = []
    bridge.jobs_changed.connect(lambda jobs: batches.append(len(jobs)))

    def engine() -> None:
        for n in range(2000):
            bridge.on_event(
                SimpleNamespace(
                    job_id=n % 2,
                    model_id=f"m{n % 2}",
                    version="1",
                    state="downloading",
                    bytes_done=n,
                    bytes_total=2000,
                    speed_bps=1.0,
                    eta_seconds=1.0,
                    error=None,
                )
            )

    thread = threading.Thread(target=engine)
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: bool(batches), timeout=10000)
    qtbot.wait(250)
    assert len(batches) <= 2 and batches[-1] == 2
    assert {j.bytes_done for j in bridge.jobs()} == {1998, 1999}
    bridge.close()
    bridge.deleteLater()
