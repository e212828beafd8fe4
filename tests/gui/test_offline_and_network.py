"""Issue 7 in the window, continued: the Storage view reclaims orphans and stray
partials, Install from the Hugging Face cache, Move models folder keeping the old copy,
the online/offline indicator following the network probe, downloads paused for the
network resuming when it returns, and a start-up in offline mode that touches no network."""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from clary_desktop.app import Registry
from clary_desktop.domain.access import Tier
from clary_desktop.gui.dialogs.move_dialog import MoveModelsDialog
from clary_desktop.gui.dialogs.storage_dialog import StorageDialog
from clary_desktop.gui.models.catalog_model import STATUS
from tests.gui.fakes import FakeDownloads
from tests.support.download_env import REVISION, hub_entry, import_entries, sha

CACHED = {"model.safetensors": os.urandom(20_000), "config.json": b'{"small": true}\n'}
REPO = "acme/layout-small"


def status_text(window, model_id: str) -> str:
    model = window.catalog_model
    return model.index(model.row_for(model_id), STATUS).data()


def test_storage_reclaim_deletes_orphans_and_stray_partials(open_window, tier_registry, qtbot):
    registry = tier_registry(Tier.LITE)
    orphan = registry.models_dir / "llm" / "stray" / "junk.bin"
    partial = registry.models_dir / "ocr" / "gone" / "1.0" / "weights.bin.part"
    for path, size in ((orphan, 5000), (partial, 7000)):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * size)
    asked: list[str] = []
    window = open_window(registry)
    window.confirm = lambda question: asked.append(question) or True
    window.storage_actions.storage_view()
    dialog = window.findChild(StorageDialog)
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=10000)
    assert sorted(dialog.report.reclaimable) == sorted(
        [str(orphan.resolve()), str(partial.resolve())]
    )
    qtbot.mouseClick(dialog.reclaim_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.last_message.startswith("Deleted 2 file(s)"), timeout=10000)
    # The user was shown both files before anything went.
    assert "Delete 2 file(s)" in asked[0]
    assert "junk.bin" in asked[0] and "weights.bin.part" in asked[0]
    assert not orphan.exists() and not partial.exists()
    qtbot.waitUntil(lambda: not dialog.reclaim_button.isEnabled(), timeout=10000)
    dialog.close()


def test_reclaim_asks_first_and_keeps_the_files_when_declined(open_window, tier_registry, qtbot):
    registry = tier_registry(Tier.LITE)
    orphan = registry.models_dir / "llm" / "stray" / "junk.bin"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"x" * 100)
    window = open_window(registry)
    window.confirm = lambda _question: False
    window.storage_actions.storage_view()
    dialog = window.findChild(StorageDialog)
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=10000)
    qtbot.mouseClick(dialog.reclaim_button, Qt.MouseButton.LeftButton)
    qtbot.wait(100)
    assert orphan.exists()
    dialog.close()


@pytest.fixture
def hf_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A Hugging Face cache laid out as huggingface_hub does (blobs + snapshot links)."""
    root = tmp_path / "hf" / "hub"
    repo_dir = root / ("models--" + REPO.replace("/", "--"))
    for path, data in CACHED.items():
        blob = repo_dir / "blobs" / sha(data)
        blob.parent.mkdir(parents=True, exist_ok=True)
        blob.write_bytes(data)
        link = repo_dir / "snapshots" / REVISION / path
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    monkeypatch.setenv("HF_HUB_CACHE", str(root))
    return root


def test_install_from_the_hugging_face_cache(open_window, tier_registry, hf_cache, qtbot):
    registry = tier_registry(Tier.LITE)
    import_entries(registry, hub_entry("layout-small", REPO, CACHED, pinned=("model.safetensors",)))
    window = open_window(registry)
    assert "layout-small" in window.storage_actions.cache_models
    with qtbot.waitSignal(window.details_shown, timeout=10000):
        window.select_model("layout-small")
    button = window.detail.buttons["link_cache"]
    assert button.isVisible() and button.isEnabled()
    with qtbot.waitSignal(window.catalog_loaded, timeout=15000):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert window.last_message.startswith("Installed layout-small 1.0 from the Hugging Face")
    assert status_text(window, "layout-small") == "installed"
    installed = registry.models_dir / "layout" / "layout-small" / "1.0" / "model.safetensors"
    assert installed.is_symlink()
    qtbot.waitUntil(lambda: not window.detail.buttons["link_cache"].isVisible(), timeout=10000)
    assert "layout-small" not in window.storage_actions.cache_models


def test_a_model_not_in_the_cache_is_not_offered(
    open_window, tier_registry, tmp_path, monkeypatch, qtbot
):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    window = open_window(tier_registry(Tier.LITE))
    assert window.storage_actions.cache_models == {}
    with qtbot.waitSignal(window.details_shown, timeout=10000):
        window.select_model("layoutlmv3")
    assert not window.detail.buttons["link_cache"].isVisible()
    with qtbot.waitSignal(window.message_shown, timeout=10000):
        window.storage_actions.hf_cache_dialog()
    assert "holds no complete copy" in window.last_message


@pytest.mark.parametrize("keep_old", [True, False])
def test_move_models_folder_can_keep_the_old_copy(
    open_window, tier_registry, tmp_path, qtbot, keep_old
):
    registry = tier_registry(Tier.LITE)
    old_file = registry.models_dir / "llm" / "stray" / "notes.txt"
    old_file.parent.mkdir(parents=True)
    old_file.write_text("kept?")
    window = open_window(registry)
    window.storage_actions.move_models_dialog()
    dialog = window.findChild(MoveModelsDialog)
    assert not dialog.move_button.isEnabled()
    new_dir = tmp_path / "elsewhere" / "models"
    dialog.target.setText(str(new_dir))
    dialog.keep_old.setChecked(keep_old)
    with qtbot.waitSignal(window.catalog_loaded, timeout=15000):
        qtbot.mouseClick(dialog.move_button, Qt.MouseButton.LeftButton)
    assert window.last_message.startswith("Moved 1 file(s)")
    assert (new_dir / "llm" / "stray" / "notes.txt").read_text() == "kept?"
    assert registry.models_dir == new_dir.resolve()
    assert old_file.exists() == keep_old
    assert ("The old copy stays" in window.last_message) == keep_old


def test_indicator_follows_the_probe_and_paused_downloads_resume(
    open_window, tier_registry, network_probe, qtbot
):
    registry = tier_registry(Tier.LITE)
    fake = FakeDownloads(registry)
    registry.use_download_engine(fake)
    window = open_window(registry)
    label = window.status.online_label
    qtbot.waitUntil(lambda: label.text() == "● Online", timeout=15000)
    assert window.network.probe_timer.isActive()
    assert 25_000 <= window.network.probe_timer.interval() <= 60_000

    window.model_actions.request_action("download", "got-ocr-2")
    qtbot.waitUntil(lambda: window.queue_model.rowCount() == 1, timeout=15000)
    fake.progress(1, "downloading", 1000)
    qtbot.waitUntil(lambda: window.queue_model.job_at(0).state == "downloading", timeout=15000)
    window.model_actions.request_action("download", "layoutlmv3")
    qtbot.waitUntil(lambda: window.queue_model.rowCount() == 2, timeout=15000)
    fake.progress(2, "paused", 10)  # paused by the user: stays paused
    qtbot.waitUntil(lambda: window.queue_model.job_at(1).state == "paused", timeout=15000)

    network_probe.online = False
    window.network.probe_now()
    qtbot.waitUntil(lambda: label.text() == "○ Offline", timeout=15000)
    qtbot.waitUntil(lambda: ("pause", 1) in fake.calls, timeout=15000)
    qtbot.waitUntil(lambda: window.queue_model.job_at(0).state == "paused", timeout=15000)
    assert "resume by themselves" in window.last_message

    window.network.probe_now()  # still offline: nothing changes
    qtbot.wait(50)
    assert ("resume", 1) not in fake.calls

    network_probe.online = True
    window.network.probe_now()
    qtbot.waitUntil(lambda: label.text() == "● Online", timeout=15000)
    qtbot.waitUntil(lambda: ("resume", 1) in fake.calls, timeout=15000)
    qtbot.waitUntil(lambda: window.queue_model.job_at(0).state == "queued", timeout=15000)
    assert ("resume", 2) not in fake.calls
    assert "1 download(s) resumed" in window.last_message


def test_offline_start_up_touches_no_network(open_window, paths, monkeypatch, network_probe, qtbot):
    monkeypatch.setenv("CLARY_OFFLINE", "1")
    touched: list[object] = []

    def loopback(address: object) -> bool:
        host = address[0] if isinstance(address, tuple) else address
        try:
            return ipaddress.ip_address(str(host)).is_loopback
        except ValueError:
            return host == "localhost"

    real_create = socket.create_connection
    real_connect = socket.socket.connect

    def create_connection(address, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not loopback(address):
            touched.append(address)
            raise OSError("the network was touched in offline mode")
        return real_create(address, *args, **kwargs)

    def connect(sock, address):  # type: ignore[no-untyped-def]
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not loopback(address):
            touched.append(address)
            raise OSError("the network was touched in offline mode")
        return real_connect(sock, address)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    monkeypatch.setattr(socket.socket, "connect", connect)
    registry = Registry.open(paths, tier_source=lambda: Tier.LITE)
    try:
        window = open_window(registry)
        assert window.catalog_model.total == 6
        assert window.catalog_model.rowCount() == 3
        assert window.status.online_label.text() == "○ Offline"
        with qtbot.waitSignal(window.details_shown, timeout=10000):
            window.select_model("layoutlmv3")
        window.catalog_actions.check_updates(manual=True)
        qtbot.waitUntil(lambda: window.tasks.pending == 0, timeout=10000)
        window.network.probe_now()  # the timer's call does nothing in offline mode
        assert not window.network.probe_timer.isActive()
        assert network_probe.calls == 0
        assert touched == []
        assert "Traceback" not in window.last_message
    finally:
        window.shutdown()
        registry.close()
