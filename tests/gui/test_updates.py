"""Issue 6 in the window: an installed v1 with a v2 in the catalog shows "update
available", the Updates filter finds it, Update installs v2 through the engine (beside v1),
Roll back returns to v1; Check for updates says what it found."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt

from clary_desktop.app import Registry
from clary_desktop.db.tables import Installation
from clary_desktop.domain.access import Tier
from clary_desktop.gui.models.catalog_model import STATUS
from tests.gui.window_helpers import select
from tests.support.download_env import import_entries, sha, use_fast_manager
from tests.support.fault_server import BlobServer, random_bytes

V1 = random_bytes(1024 * 1024, seed=21)
V2 = random_bytes(1024 * 1024, seed=22)


@pytest.fixture
def server():
    with BlobServer() as blob_server:
        blob_server.add("v1", V1)
        blob_server.add("v2", V2)
        yield blob_server


def versioned_entry(server) -> dict:
    def version(number: str, name: str, data: bytes, changes: str) -> dict:
        return {
            "version": number,
            "changes": changes,
            "files": [
                {
                    "path": "m.bin",
                    "url": server.url(name),
                    "size_bytes": len(data),
                    "sha256": sha(data),
                }
            ],
        }

    return {
        "id": "upd",
        "name": "Updatable",
        "type": "ocr",
        "tier": "lite",
        "versions": [
            version("1.0", "v1", V1, "First release."),
            version("2.0", "v2", V2, "Reads tables twice as fast."),
        ],
    }


@pytest.fixture
def update_registry(paths, server):
    registry = Registry.open(paths, tier_source=lambda: Tier.LITE)
    import_entries(registry, versioned_entry(server))
    folder = registry.models_dir / "ocr" / "upd" / "1.0"
    folder.mkdir(parents=True)
    (folder / "m.bin").write_bytes(V1)
    with registry.db.write() as session:
        session.add(
            Installation(
                model_id="upd",
                version="1.0",
                path=str(folder),
                size_bytes=len(V1),
                installed_at=datetime.now(UTC),
                active=True,
            )
        )
    use_fast_manager(registry)
    yield registry
    registry.close()


def status_text(window, model_id: str) -> str:
    model = window.catalog_model
    return model.index(model.row_for(model_id), STATUS).data()


def test_update_and_rollback_from_the_detail_pane(open_window, update_registry, qtbot):
    window = open_window(update_registry)
    assert status_text(window, "upd") == "update available"
    window.filters.status.setCurrentIndex(window.filters.status.findData("updates"))
    assert window.catalog_model.rowCount() == 1

    window.catalog_actions.check_updates(manual=True)
    qtbot.waitUntil(lambda: "1 update(s) available" in window.last_message, timeout=10000)
    assert "Updatable 2.0" in window.last_message

    select(window, qtbot, "upd")
    detail = window.detail
    assert detail.update_note.text() == "Update to 2.0: Reads tables twice as fast."
    assert detail.buttons["update"].isEnabled()
    assert detail.buttons["update"].text() == "Update to 2.0"
    assert detail.buttons["rollback"].isHidden()
    qtbot.mouseClick(detail.buttons["update"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.queue_model.rowCount() == 1, timeout=10000)
    qtbot.waitUntil(lambda: window.queue_model.job_at(0).state == "completed", timeout=20000)
    qtbot.waitUntil(lambda: detail.buttons["rollback"].isEnabled(), timeout=10000)
    assert detail.rollback_to == "1.0"
    assert detail.update_note.isHidden()
    window.filters.reset()
    assert status_text(window, "upd") == "installed"

    qtbot.mouseClick(detail.buttons["rollback"], Qt.MouseButton.LeftButton)  # confirm: yes
    qtbot.waitUntil(lambda: "back on version 1.0" in window.last_message, timeout=10000)
    qtbot.waitUntil(lambda: status_text(window, "upd") == "update available", timeout=10000)
    qtbot.waitUntil(lambda: detail.buttons["update"].isEnabled(), timeout=10000)


def test_check_for_updates_when_all_is_current(open_window, tier_registry, qtbot):
    registry = tier_registry(Tier.LITE)
    window = open_window(registry)
    assert window.catalog_actions.update_timer.isActive()
    assert window.catalog_actions.update_timer.interval() == 6 * 3_600_000
    window.catalog_actions.check_updates(manual=True)
    qtbot.waitUntil(
        lambda: window.last_message == "All installed models are up to date.", timeout=10000
    )
