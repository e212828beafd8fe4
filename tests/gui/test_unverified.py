"""A file no source published a sha256 for: the window never calls it verified."""

from __future__ import annotations

import threading

import pytest

from clary_desktop.app import Registry
from clary_desktop.domain.access import Tier
from clary_desktop.gui.models.catalog_model import STATUS
from clary_desktop.gui.models.queue_model import STATE
from tests.support.download_env import import_entries, url_entry, use_fast_manager
from tests.support.fault_server import BlobServer, random_bytes

DATA = random_bytes(300_000, seed=9)


@pytest.fixture
def server():
    with BlobServer() as blob_server:
        blob_server.add("bare", DATA)
        yield blob_server


@pytest.fixture
def bare_registry(paths, server):
    registry = Registry.open(paths, tier_source=lambda: Tier.LITE)
    import_entries(
        registry, url_entry("bare-model", {"m.bin": (server.url("bare"), DATA)}, known=False)
    )
    use_fast_manager(registry)
    yield registry
    registry.close()


def status_text(window, model_id: str) -> str:
    model = window.catalog_model
    return model.index(model.row_for(model_id), STATUS).data()


def test_window_marks_an_install_without_digest_unverified(open_window, bare_registry, qtbot):
    window = open_window(bare_registry)
    with qtbot.waitSignal(window.details_shown, timeout=10000):
        window.select_model("bare-model")
    window.model_actions.request_action("download", "bare-model")
    qtbot.waitUntil(
        lambda: (
            window.queue_model.rowCount() > 0
            and window.queue_model.index(0, STATE).data() == "completed"
        ),
        timeout=20000,
    )
    qtbot.waitUntil(
        lambda: status_text(window, "bare-model") == "installed, unverified", timeout=10000
    )
    qtbot.waitUntil(
        lambda: "installed (1.0), unverified" in window.detail.plain_text(), timeout=10000
    )
    assert "Unverified: the catalog lists no sha256" in window.detail.plain_text()
    # Still an installed model for the status filter.
    window.filters.status.setCurrentIndex(window.filters.status.findData("installed"))
    model = window.catalog_model
    assert [model.row_at(r).id for r in range(model.rowCount())] == ["bare-model"]

    qtbot.waitUntil(
        lambda: not any(t.name.startswith("clary-download") for t in threading.enumerate()),
        timeout=10000,
    )
    window.model_actions.verify("bare-model")
    qtbot.waitUntil(lambda: "unverified" in window.last_message, timeout=10000)
    assert "all intact" not in window.last_message
    assert "none damaged" in window.last_message
