"""Issue 7 in the window: drop a GGUF file to import it, export a bundle, the Storage
view (reclaim an orphan), and the offline indicator following CLARY_OFFLINE."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QMessageBox

from clary_desktop.app import Registry
from clary_desktop.domain.access import Tier
from clary_desktop.gui.dialogs.storage_dialog import StorageDialog
from clary_desktop.gui.models.catalog_model import STATUS
from clary_desktop.gui.models.storage_model import StorageTableModel, rows_of
from tests.support.gguf_files import write_gguf


@pytest.fixture
def storage_registry(paths):
    registry = Registry.open(paths, tier_source=lambda: Tier.LITE)
    yield registry
    registry.close()


def drop(window, path: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)


def test_dropping_a_gguf_file_imports_it(open_window, storage_registry, qtbot, tmp_path):
    window = open_window(storage_registry)
    model_file = write_gguf(tmp_path / "my-tiny.gguf", context_length=1024)
    drop(window, model_file)
    qtbot.waitUntil(lambda: window.last_message.startswith("Imported my-tiny.gguf"), timeout=15000)
    assert "(llama, Q4_K_M)" in window.last_message
    assert window.status.operation.isHidden()
    rows = window.catalog_model.installed_rows()
    assert len(rows) == 1
    model_id = rows[0].id
    qtbot.waitUntil(lambda: window.selected_model_id() == model_id, timeout=15000)
    model = window.catalog_model
    assert model.index(model.row_for(model_id), STATUS).data() == "installed"

    bundle = tmp_path / "bundle.tar"
    window.storage_actions.export_models([model_id], bundle)
    qtbot.waitUntil(lambda: window.last_message.startswith("Exported 1 model(s)"), timeout=15000)
    assert bundle.is_file()

    window.storage_actions.import_bundle(tmp_path / "nothing-here.tar")
    qtbot.waitUntil(lambda: window.last_message.startswith("Import bundle:"), timeout=15000)
    assert "Traceback" not in window.last_message
    for box in window.findChildren(QMessageBox):
        box.close()


def test_storage_view_lists_and_reclaims_orphans(
    open_window, storage_registry, qtbot, qtmodeltester
):
    orphan = storage_registry.models_dir / "llm" / "stray" / "junk.bin"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"x" * 5000)
    window = open_window(storage_registry)
    window.storage_actions.storage_view()
    dialog = window.findChild(StorageDialog)
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=10000)
    qtmodeltester.check(dialog.model)
    kinds = [dialog.model.row_at(r).kind for r in range(dialog.model.rowCount())]
    assert "orphan" in kinds
    assert dialog.reclaim_button.isEnabled()
    assert "can be reclaimed" in dialog.summary.text()
    qtbot.mouseClick(dialog.reclaim_button, Qt.MouseButton.LeftButton)  # confirm: yes
    qtbot.waitUntil(lambda: window.last_message.startswith("Deleted 1 file(s)"), timeout=10000)
    assert not orphan.exists()
    qtbot.waitUntil(lambda: not dialog.reclaim_button.isEnabled(), timeout=10000)
    dialog.close()


def test_storage_model_passes_modeltester(qtmodeltester, storage_registry):
    model = StorageTableModel()
    qtmodeltester.check(model)
    model.set_rows(rows_of(storage_registry.storage_report()))
    qtmodeltester.check(model)


def test_offline_indicator_follows_clary_offline(open_window, tier_registry, monkeypatch):
    monkeypatch.setenv("CLARY_OFFLINE", "1")
    window = open_window(tier_registry(Tier.LITE))
    assert window.status.online_label.text() == "○ Offline"
    monkeypatch.setenv("CLARY_OFFLINE", "0")
    window.reload()
