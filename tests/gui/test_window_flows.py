"""The window driven like a person: keyboard, mouse, reading what it shows."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from clary_desktop.app import Registry
from clary_desktop.domain.access import Tier
from clary_desktop.gui.dialogs.about_dialog import AboutDialog
from clary_desktop.gui.dialogs.settings_dialog import SettingsDialog
from clary_desktop.gui.layout_state import load_layout
from clary_desktop.gui.models.catalog_model import NAME, STATUS, TIER
from clary_desktop.licensing import LicenseManager
from clary_desktop.settings import load_settings
from tests.gui.fakes import FakeDownloads
from tests.gui.window_helpers import select
from tests.support.licenses import NOW, Signer


def names(window) -> list[str]:
    model = window.catalog_model
    return [model.row_at(r).id for r in range(model.rowCount())]


def click_box(qtbot, box) -> None:
    """Click a checkbox on its indicator (its centre may be empty space)."""
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))


def test_typing_in_search_filters_as_you_type(open_window, tier_registry, qtbot):
    window = open_window(tier_registry(Tier.PROFESSIONAL))
    assert len(names(window)) == 6
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.filters.search.hasFocus()
    qtbot.keyClicks(window.filters.search, "qwen")
    assert names(window) == ["qwen2.5-1.5b-instruct"]
    assert window.status.count_label.text() == "1 of 6 models"
    qtbot.keyClick(window.filters.search, Qt.Key.Key_Backspace)
    qtbot.keyClick(window.filters.search, Qt.Key.Key_Backspace)
    qtbot.keyClick(window.filters.search, Qt.Key.Key_Backspace)
    qtbot.keyClick(window.filters.search, Qt.Key.Key_Backspace)
    assert len(names(window)) == 6
    qtbot.keyClicks(window.filters.search, "gguf")  # a tag
    assert set(names(window)) == {"llama-3-8b", "phi-4-multimodal", "qwen2.5-1.5b-instruct"}


def test_type_checkboxes_and_status_filter(open_window, tier_registry, qtbot):
    window = open_window(tier_registry(Tier.PROFESSIONAL))
    click_box(qtbot, window.filters.type_box("llm"))
    assert "llm" not in {window.catalog_model.row_at(r).type for r in range(len(names(window)))}
    assert len(names(window)) == 3
    click_box(qtbot, window.filters.type_box("layout"))
    assert names(window) == ["got-ocr-2"]
    window.filters.status.setCurrentIndex(window.filters.status.findData("installed"))
    assert names(window) == []
    window.filters.reset()
    assert len(names(window)) == 6


def test_locked_models_are_hidden_then_greyed_with_their_tier(open_window, tier_registry, qtbot):
    window = open_window(tier_registry(Tier.LITE))
    assert set(names(window)) == {"layoutlmv3", "got-ocr-2", "qwen2.5-1.5b-instruct"}
    click_box(qtbot, window.filters.show_locked)
    assert len(names(window)) == 6
    model = window.catalog_model
    row = model.row_for("llama-3-8b")
    assert model.index(row, NAME).data(Qt.ItemDataRole.DecorationRole) is not None
    assert model.index(row, STATUS).data() == "locked (Professional)"
    assert model.index(row, NAME).data(Qt.ItemDataRole.ForegroundRole) is not None


def test_detail_pane_shows_everything_about_the_model(open_window, tier_registry, qtbot):
    window = open_window(tier_registry(Tier.LITE))
    select(window, qtbot, "layoutlmv3")
    text = window.detail.plain_text()
    for expected in (
        "LayoutLMv3 base",
        "NON-COMMERCIAL",
        "microsoft/layoutlmv3-base",
        "model.safetensors",
        "config.json",
        "Versions",
        "1.0.0",
        "not installed",
        "Creative Commons",
    ):
        assert expected in text, expected
    assert window.detail.buttons["download"].isEnabled()
    select(window, qtbot, "qwen2.5-1.5b-instruct")
    text = window.detail.plain_text()
    assert "NON-COMMERCIAL" not in text
    assert "Apache" in text
    assert "sha256 6a1a2eb6" in text


def test_a_locked_model_cannot_be_downloaded_any_way(open_window, tier_registry, qtbot):
    registry = tier_registry(Tier.LITE)
    registry.use_download_engine(FakeDownloads(registry))
    window = open_window(registry)
    window.filters.show_locked.setChecked(True)
    select(window, qtbot, "llama-3-8b")
    assert "needs the Professional tier; your license is Lite" in window.detail.plain_text()
    assert not window.detail.buttons["download"].isEnabled()
    window.detail.buttons["download"].click()  # a disabled button does nothing
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_Return)  # Enter downloads an unlocked model
    assert "needs the Professional tier" in window.last_message
    window.table.doubleClicked.emit(window.table.currentIndex())
    window.model_actions.request_action("download", "llama-3-8b")  # what the context menu calls
    window.model_actions.request_action("retry", "llama-3-8b")
    qtbot.wait(50)
    assert registry.downloads.calls == []


def test_loading_valid_and_invalid_licenses_updates_tier_and_list(
    open_window, paths, qtbot, tmp_path: Path
):
    signer = Signer()
    manager = LicenseManager(
        paths.license_file, paths.license_state_file, verifier=signer.verifier(), clock=lambda: NOW
    )
    registry = Registry.open(paths, tier_source=manager)
    try:
        window = open_window(registry)
        assert window.status.tier_badge.text() == "Lite"
        assert "No license" in window.status.license_label.text()
        assert len(names(window)) == 3

        bad = tmp_path / "bad.json"
        bad.write_bytes(signer.license().replace(b"a", b"b", 1))
        with qtbot.waitSignal(window.message_shown, timeout=10000):
            window.license_actions.load_license(bad)
        assert "not installed" in window.last_message or "license" in window.last_message.lower()
        assert window.status.tier_badge.text() == "Lite"
        for box in window.findChildren(QMessageBox):
            box.close()

        good = tmp_path / "good.json"
        good.write_bytes(signer.license(tier="standard", licensee="Ada Lovelace"))
        with qtbot.waitSignal(window.catalog_loaded, timeout=10000):
            window.license_actions.load_license(good)
        assert window.status.tier_badge.text() == "Standard"
        assert "Ada Lovelace" in window.status.license_label.text()
        assert len(names(window)) == 5
    finally:
        window.shutdown()
        registry.close()


def test_layout_is_restored_on_next_start(open_window, tier_registry, paths, qtbot):
    registry = tier_registry(Tier.LITE)
    window = open_window(registry)
    window.resize(760, 560)  # inside the offscreen screen (800x600): restore clamps to it
    window.splitter.setSizes([260, 200, 290])
    window.table.horizontalHeader().resizeSection(TIER, 99)
    window.close()
    saved = load_layout(paths.config_dir)
    assert saved["columns"][TIER] == 99
    again = open_window(registry)
    assert again.table.horizontalHeader().sectionSize(TIER) == 99
    assert again.size().width() == 760
    assert again.splitter.sizes()[0] == saved["splitter"][0]


def test_settings_dialog_saves_settings(open_window, tier_registry, paths, qtbot, tmp_path):
    window = open_window(tier_registry(Tier.LITE))
    window.settings_actions.settings_dialog()
    dialog = window.findChild(SettingsDialog)
    dialog.concurrent.setValue(4)
    dialog.endpoint.setText("ftp://nope")
    dialog.accept()
    assert "must start with http" in dialog.error.text()
    dialog.endpoint.setText("http://127.0.0.1:9")
    dialog.models_dir.setText(str(tmp_path / "elsewhere"))
    with qtbot.waitSignal(window.message_shown, timeout=10000):
        dialog.accept()
    saved = load_settings(paths.settings_file)
    assert saved.concurrent_downloads == 4
    assert saved.hub_endpoint == "http://127.0.0.1:9"
    assert saved.models_dir == str(tmp_path / "elsewhere")


def test_about_names_version_and_paths(open_window, tier_registry, paths):
    window = open_window(tier_registry(Tier.LITE))
    window.settings_actions.about_dialog()
    dialog = window.findChild(AboutDialog)
    assert "0.1.0" in dialog.label.text() or "Clary Desktop" in dialog.label.text()
    assert str(paths.data_dir) in dialog.label.text()
    dialog.close()


def test_an_error_in_a_task_is_shown_in_plain_words(open_window, tier_registry, qtbot):
    from clary_desktop.errors import ClaryError

    window = open_window(tier_registry(Tier.LITE))

    async def fails() -> None:
        raise ClaryError("The disk is full. Free some space.")

    with qtbot.waitSignal(window.message_shown, timeout=15000):
        window.tasks.spawn(fails(), "Download")
    assert window.last_message == "Download: The disk is full. Free some space."
    boxes = window.findChildren(QMessageBox)
    assert boxes and "disk is full" in boxes[0].text()
    for box in boxes:
        box.close()
    QApplication.processEvents()
