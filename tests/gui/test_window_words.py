"""Words that fit the window: names (not ids) wherever a model is named, tooltips that
show a cut-off name, no command-line flags or Markdown in the window, and questions
whose buttons say what they do."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from clary_desktop.app import Registry
from clary_desktop.domain.access import Tier
from clary_desktop.gui.actions.model_actions import (
    DELETE_PARTIAL,
    KEEP_DOWNLOADING,
    KEEP_PARTIAL,
)
from clary_desktop.gui.dialogs.api_keys_dialog import ApiKeysDialog
from clary_desktop.gui.dialogs.storage_dialog import StorageDialog
from clary_desktop.gui.dialogs.sync_dialog import SyncCatalogDialog
from clary_desktop.gui.main_window import MainWindow
from clary_desktop.gui.models.catalog_model import NAME
from clary_desktop.gui.models.storage_model import WHAT
from tests.gui.test_usage_and_api import install, llm_entry
from tests.support.download_env import import_entries


def test_a_cut_off_name_shows_in_full_in_its_tooltip(open_window, tier_registry):
    window = open_window(tier_registry(Tier.LITE))
    model = window.catalog_model
    index = model.index(model.row_for("qwen2.5-1.5b-instruct"), NAME)
    assert index.data(Qt.ItemDataRole.ToolTipRole) == (
        "Qwen2.5 1.5B Instruct (Q4_K_M)\nqwen2.5-1.5b-instruct"
    )


def test_the_storage_view_names_models(open_window, tmp_path, paths, qtbot):
    registry = Registry.open(paths, tier_source=lambda: Tier.LITE)
    try:
        import_entries(registry, llm_entry("tiny-a"))
        install(registry, "tiny-a", tmp_path)
        window = open_window(registry)
        window.storage_actions.storage_view()
        dialog = window.findChild(StorageDialog)
        qtbot.waitUntil(lambda: dialog.model.rowCount() >= 1, timeout=10000)
        index = dialog.model.index(0, WHAT)
        assert index.data() == "Tiny tiny-a 1.0"
        assert index.data(Qt.ItemDataRole.ToolTipRole) == "Tiny tiny-a 1.0\ntiny-a"
        dialog.close()
    finally:
        registry.close()


def test_sync_with_no_address_asks_for_one_here(open_window, tier_registry, monkeypatch, qtbot):
    monkeypatch.delenv("CLARY_CATALOG_URL", raising=False)
    window = open_window(tier_registry(Tier.LITE))
    window.catalog_actions.sync_catalog_dialog()
    dialog = window.findChild(SyncCatalogDialog)
    assert dialog.where.isVisibleTo(dialog)
    assert "No catalog address is configured yet" in dialog.where.text()
    assert "--" not in dialog.where.text() + dialog.source.placeholderText()
    assert not dialog.sync_button.isEnabled()  # nothing to sync from yet
    dialog.source.setText("https://catalog.example/catalog.json")
    assert dialog.sync_button.isEnabled()
    dialog.close()


def test_the_api_keys_dialog_shows_no_markdown(open_window, tier_registry):
    window = open_window(tier_registry(Tier.LITE))
    window.api_actions.api_keys_dialog()
    dialog = window.findChild(ApiKeysDialog)
    assert "`" not in dialog.api_state.text()
    assert "clary-models serve" in dialog.api_state.text()
    dialog.close()


def test_the_stop_question_says_stop_or_keep_downloading(open_window, tier_registry, qtbot):
    window = open_window(tier_registry(Tier.LITE))
    seen: list[str] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        seen.extend(button.text() for button in box.buttons())
        next(b for b in box.buttons() if b.text() == KEEP_DOWNLOADING).click()

    QTimer.singleShot(0, answer)
    choice = MainWindow.choose(window, "Stop?", [KEEP_PARTIAL, DELETE_PARTIAL], KEEP_DOWNLOADING)
    assert choice is None
    assert sorted(seen) == sorted([KEEP_PARTIAL, DELETE_PARTIAL, KEEP_DOWNLOADING])
    assert all(text.startswith("Stop download") for text in (KEEP_PARTIAL, DELETE_PARTIAL))
    assert "Cancel" not in seen
