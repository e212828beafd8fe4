"""Tools > Settings in the window: what is saved reaches the running download manager at
once, and a one-run override (CLARY_OFFLINE) is shown but never saved."""

from __future__ import annotations

import json

import pytest
import requests

from clary_desktop.app import Registry
from clary_desktop.domain.access import Tier
from clary_desktop.gui.dialogs.settings_dialog import SettingsDialog
from tests.support.download_env import import_entries, url_entry, use_fast_manager
from tests.support.fault_server import BlobServer, random_bytes

KiB = 1024
DATA = random_bytes(8 * 1024 * KiB, seed=3)


def stored(registry: Registry) -> dict:
    return json.loads(registry.paths.settings_file.read_text(encoding="utf-8"))


def open_dialog(window) -> SettingsDialog:
    window.settings_actions.settings_dialog()
    [dialog] = [d for d in window.findChildren(SettingsDialog) if d.isVisible()]
    return dialog


def save(window, qtbot, dialog: SettingsDialog) -> None:
    with qtbot.waitSignal(
        window.message_shown,
        timeout=10000,
        check_params_cb=lambda text: text.startswith("Settings saved"),
    ):
        dialog.accept()


@pytest.fixture
def blobs():
    with BlobServer(throttle=512 * KiB) as server:
        server.add("a", DATA)
        yield server


@pytest.fixture
def registry(paths):
    registry = Registry.open(paths, tier_source=lambda: Tier.LITE)
    yield registry
    registry.close()


def test_saved_settings_reach_the_running_downloads(open_window, registry, blobs, qtbot):
    import_entries(registry, url_entry("slow", {"m.gguf": (blobs.url("a"), DATA)}))
    manager = use_fast_manager(registry)
    window = open_window(registry)
    assert window.downloads is registry and registry.downloads is manager
    job_id = manager.start("slow")
    qtbot.waitUntil(lambda: manager.job(job_id).bytes_done > 0, timeout=20000)
    qtbot.waitUntil(lambda: window.queue_model.rowCount() == 1, timeout=20000)

    dialog = open_dialog(window)
    assert dialog.bandwidth.text() == "no limit" and dialog.parts.value() == 8
    dialog.concurrent.setValue(3)
    dialog.bandwidth.setValue(64)
    dialog.parts.setValue(2)
    save(window, qtbot, dialog)
    assert "downloads use them at once" in window.last_message
    assert manager.settings.concurrent_downloads == 3
    assert manager.options.bandwidth_limit_bps == 64 * KiB
    assert manager.options.parallel_parts == 2
    assert manager.job(job_id).state == "downloading"  # running on, under the new limit
    saved = stored(registry)
    assert (saved["concurrent_downloads"], saved["bandwidth_limit_bps"]) == (3, 64 * KiB)

    # Offline mode switched on in the dialog stops the running download at once.
    dialog = open_dialog(window)
    assert dialog.bandwidth.value() == 64 and dialog.concurrent.value() == 3
    dialog.offline.setChecked(True)
    save(window, qtbot, dialog)
    qtbot.waitUntil(lambda: window.queue_model.job_at(0).state == "paused", timeout=20000)
    assert manager.job(job_id).state == "paused"
    assert window.status.online_label.text() == "○ Offline"
    assert stored(registry)["offline"] is True  # the user chose it: saved


@pytest.fixture
def offline_registry(paths, monkeypatch):
    monkeypatch.setenv("CLARY_OFFLINE", "1")
    registry = Registry.open(paths, tier_source=lambda: Tier.LITE)
    yield registry
    registry.close()


def test_clary_offline_is_shown_but_never_saved(open_window, offline_registry, qtbot):
    registry = offline_registry
    window = open_window(registry)
    dialog = open_dialog(window)
    assert not dialog.offline.isChecked()  # the stored choice, not the override
    assert not dialog.override_note.isHidden()
    assert "CLARY_OFFLINE=1 keeps this run offline" in dialog.override_note.text()
    dialog.concurrent.setValue(3)
    save(window, qtbot, dialog)

    saved = stored(registry)
    assert saved["offline"] is False and saved["concurrent_downloads"] == 3
    assert registry.settings.offline  # still offline for this run
    assert registry.downloads.settings.offline
    assert registry.downloads.settings.concurrent_downloads == 3
    assert window.status.online_label.text() == "○ Offline"

    save(window, qtbot, open_dialog(window))  # and again: still not written
    assert stored(registry)["offline"] is False


@pytest.fixture
def api_registry(registry):
    registry.apply_settings(
        registry.stored_settings.model_copy(update={"api_enabled": True, "api_port": 0})
    )
    return registry


def test_the_api_keys_dialog_shows_when_a_key_was_last_used(open_window, api_registry, qtbot):
    from clary_desktop.gui.dialogs.api_keys_dialog import ApiKeysDialog
    from clary_desktop.gui.models.api_keys_model import LAST_USED, NAME

    window = open_window(api_registry)
    qtbot.waitUntil(lambda: window.api_actions.runner.url is not None, timeout=10000)
    _, secret = api_registry.api_keys.create("pipeline")
    api_registry.api_keys.create("idle")
    answer = requests.get(
        f"{window.api_actions.runner.url}/api/v1/models", headers={"X-API-Key": secret}, timeout=10
    )
    assert answer.status_code == 200
    window.api_actions.api_keys_dialog()
    dialog = window.findChild(ApiKeysDialog)
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 2, timeout=10000)
    shown = {
        dialog.model.index(row, NAME).data(): dialog.model.index(row, LAST_USED).data()
        for row in range(2)
    }
    assert shown["idle"] == "never"
    assert shown["pipeline"] != "never"
    used = api_registry.api_keys.list()[1].last_used_at
    assert shown["pipeline"] == used.astimezone().strftime("%Y-%m-%d %H:%M")
    dialog.close()
