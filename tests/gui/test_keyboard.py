"""The window by keyboard alone, and what a screen reader is told."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QApplication, QDialog, QTabBar

from clary_desktop.domain.access import Tier
from clary_desktop.gui.actions.model_actions import KEEP_PARTIAL
from clary_desktop.gui.dialogs.settings_dialog import SettingsDialog
from clary_desktop.gui.dialogs.shortcuts_dialog import ShortcutsDialog
from clary_desktop.gui.keyboard import focus_widgets
from clary_desktop.gui.models.catalog_model import NAME, STATUS, TIER
from clary_desktop.gui.models.queue_model import PROGRESS
from tests.gui.fakes import FakeDownloads

WIDE = (1400, 860)


def select(window, qtbot, model_id: str) -> None:
    with qtbot.waitSignal(
        window.details_shown, timeout=10000, check_params_cb=lambda shown: shown == model_id
    ):
        assert window.select_model(model_id)


def open_dialogs(window, qtbot) -> list[QDialog]:
    """Every dialog the window opens that holds a list, open at once."""
    window.usage_actions.usage_view()
    window.storage_actions.storage_view()
    window.api_actions.api_keys_dialog()
    window.settings_actions.keyboard_help()
    window.settings_actions.settings_dialog()
    qtbot.waitUntil(
        lambda: (
            window.usage_actions.usage_dialog is not None
            and window.storage_actions.storage_dialog is not None
            and window.api_actions.keys_dialog is not None
        ),
        timeout=10000,
    )
    return window.findChildren(QDialog)


def test_no_item_view_moves_cell_by_cell_on_tab(open_window, tier_registry, qtbot):
    window = open_window(tier_registry(Tier.LITE))
    dialogs = open_dialogs(window, qtbot)
    views = window.findChildren(QAbstractItemView)
    assert {v.objectName() for v in views} >= {
        "modelTable",
        "queueView",
        "usageTable",
        "storageTable",
        "apiKeysTable",
        "sourcesList",
    }
    trapping = [v.objectName() or type(v).__name__ for v in views if v.tabKeyNavigation()]
    assert trapping == []
    for dialog in dialogs:
        dialog.close()


def test_tab_from_the_search_reaches_the_details_tabs_usage_and_downloads(
    open_window, tier_registry, qtbot
):
    registry = tier_registry(Tier.LITE)
    registry.use_download_engine(FakeDownloads(registry))
    window = open_window(registry)
    window.resize(*WIDE)
    select(window, qtbot, "layoutlmv3")  # not installed: Download is the first button
    window.activateWindow()
    window.focus_search()
    assert window.filters.search.hasFocus()

    tabs = window.detail.tabs
    usage_page = window.detail.usage_tab
    visited = []
    for _ in range(60):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        focus = QApplication.focusWidget()
        visited.append(focus)
        if isinstance(focus, QTabBar) and tabs.currentWidget() is not usage_page:
            while tabs.currentWidget() is not usage_page:  # as a person would
                qtbot.keyClick(focus, Qt.Key.Key_Right)
        if focus is window.queue_panel.view:
            break

    def first(test) -> int:
        return next(n for n, widget in enumerate(visited) if test(widget))

    table = first(lambda w: w is window.table)
    download = first(lambda w: w is window.detail.buttons["download"])
    tabs = first(lambda w: w is window.detail.tabs.tabBar())
    usage = first(lambda w: usage_page.isAncestorOf(w))
    downloads = first(lambda w: w is window.queue_panel.view)
    assert table < download < tabs < usage < downloads
    assert visited[table + 1] is not window.table  # one Tab leaves the list
    assert window.detail.parameters.isAncestorOf(visited[usage + 1]) or any(
        window.detail.parameters.isAncestorOf(w) for w in visited[usage:downloads]
    )
    assert window.detail.model_id == "layoutlmv3"  # Tab never changed the selected model


def test_every_control_has_an_accessible_name(open_window, tier_registry, qtbot):
    registry = tier_registry(Tier.LITE)
    fake = FakeDownloads(registry)
    registry.use_download_engine(fake)
    window = open_window(registry)
    window.resize(*WIDE)
    window.model_actions.request_action("download", "got-ocr-2")
    qtbot.waitUntil(lambda: window.queue_model.rowCount() == 1, timeout=10000)
    assert window.detail.welcome.isVisibleTo(window)  # nothing selected: the starters
    assert [w.objectName() for w in focus_widgets(window) if not w.accessibleName()] == []
    pages = range(window.detail.tabs.count())
    for model_id, tab in zip(
        ("layoutlmv3", "got-ocr-2", "qwen2.5-1.5b-instruct", "layoutlmv3"), pages, strict=True
    ):
        select(window, qtbot, model_id)
        window.detail.tabs.setCurrentIndex(tab)
        unnamed = [
            f"{type(w).__name__} {w.objectName()!r}"
            for w in focus_widgets(window)
            if not w.accessibleName().strip()
        ]
        assert unnamed == [], model_id
    shortcuts = ShortcutsDialog(window)
    assert all(w.accessibleName() for w in focus_widgets(shortcuts))
    shortcuts.deleteLater()
    assert unnamed_in_settings(window) == {}


def unnamed_in_settings(window) -> dict[str, list[str]]:
    """Per Settings tab, the controls a screen reader would have no name for."""
    window.settings_actions.settings_dialog()
    dialog = window.findChild(SettingsDialog)
    dialog.api_enabled.setChecked(True)  # its address and port take the focus too
    found: dict[str, list[str]] = {}
    for tab in range(dialog.tabs.count()):
        dialog.tabs.setCurrentIndex(tab)
        unnamed = [
            f"{type(w).__name__} {w.objectName()!r}"
            for w in focus_widgets(dialog)
            if not w.accessibleName().strip()
        ]
        if unnamed:
            found[dialog.tabs.tabText(tab)] = unnamed
    assert len(focus_widgets(dialog)) > 5  # the Local API page and the buttons
    dialog.reject()
    return found


def test_list_rows_tell_a_screen_reader_name_tier_and_status(open_window, tier_registry, qtbot):
    registry = tier_registry(Tier.LITE)
    fake = FakeDownloads(registry)
    registry.use_download_engine(fake)
    window = open_window(registry)
    window.filters.show_locked.setChecked(True)
    model = window.catalog_model
    row = model.row_for("llama-3-8b")
    described = model.index(row, STATUS).data(Qt.ItemDataRole.AccessibleDescriptionRole)
    assert described == "Llama 3 8B Instruct (Q4_K_M), Professional tier, locked (Professional)"
    assert model.index(row, NAME).data(Qt.ItemDataRole.AccessibleTextRole).endswith(", locked")
    assert model.index(row, TIER).data(Qt.ItemDataRole.AccessibleTextRole) == "Professional tier"

    window.model_actions.request_action("download", "got-ocr-2")
    qtbot.waitUntil(lambda: window.queue_model.rowCount() == 1, timeout=10000)
    fake.progress(1, "downloading", 500_000_000)
    queue = window.queue_model
    qtbot.waitUntil(lambda: queue.job_at(0).state == "downloading", timeout=10000)
    spoken = queue.index(0, PROGRESS).data(Qt.ItemDataRole.AccessibleTextRole)
    assert spoken.endswith(" percent")
    assert "downloading" in queue.index(0, 0).data(Qt.ItemDataRole.AccessibleDescriptionRole)


def test_space_pauses_and_resumes_delete_cancels_esc_clears(open_window, tier_registry, qtbot):
    registry = tier_registry(Tier.LITE)
    fake = FakeDownloads(registry)
    registry.use_download_engine(fake)
    window = open_window(registry)
    window.model_actions.request_action("download", "got-ocr-2")
    qtbot.waitUntil(lambda: window.queue_model.rowCount() == 1, timeout=10000)
    fake.progress(1, "downloading", 1000)
    qtbot.waitUntil(lambda: window.queue_model.job_at(0).state == "downloading", timeout=10000)

    view = window.queue_panel.view
    view.setFocus()
    view.selectRow(0)
    qtbot.keyClick(view, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: ("pause", 1) in fake.calls, timeout=10000)
    qtbot.waitUntil(lambda: window.queue_model.job_at(0).state == "paused", timeout=10000)
    qtbot.keyClick(view, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: ("resume", 1) in fake.calls, timeout=10000)
    qtbot.waitUntil(lambda: window.queue_model.job_at(0).state == "queued", timeout=10000)

    # Space on the model list acts on the selected model's download.
    select(window, qtbot, "got-ocr-2")
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: fake.calls.count(("pause", 1)) == 2, timeout=10000)
    qtbot.waitUntil(lambda: window.queue_model.job_at(0).state == "paused", timeout=10000)

    questions = []
    choose = window.choose
    window.choose = lambda question, *args: questions.append(question) or choose(question, *args)
    window.choices = [KEEP_PARTIAL]
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: ("cancel", 1) in fake.calls, timeout=10000)
    assert "Stop this download?" in questions[0]  # the same confirmation as the button

    window.focus_search()
    qtbot.keyClicks(window.filters.search, "qwen")
    assert window.catalog_model.rowCount() == 1
    qtbot.keyClick(window.filters.search, Qt.Key.Key_Escape)
    assert window.filters.search.text() == ""
    assert window.catalog_model.rowCount() == 3
    qtbot.keyClicks(window.filters.search, "ocr")
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_Escape)  # also from the list
    assert window.filters.search.text() == ""


def test_ctrl_comma_opens_settings_and_help_lists_the_keys(open_window, tier_registry, qtbot):
    window = open_window(tier_registry(Tier.LITE))
    window.activateWindow()
    qtbot.keyClick(window.table, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.findChild(SettingsDialog) is not None, timeout=10000)
    dialog = window.findChild(SettingsDialog)
    dialog.reject()

    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    keys = next(a for a in help_menu.actions() if a.objectName() == "keyboardHelp")
    keys.trigger()
    shown = window.findChild(ShortcutsDialog)
    assert shown is not None
    text = shown.label.text()
    for expected in ("Ctrl+,", "Space", "Delete", "Esc", "Ctrl+F", "Ctrl+Q", "Tab"):
        assert expected in text, expected
    shown.close()


def test_the_focus_ring_follows_the_keyboard(open_window, tier_registry, qtbot):
    window = open_window(tier_registry(Tier.LITE))
    window.resize(*WIDE)
    window.activateWindow()
    window.focus_search()
    qtbot.waitUntil(lambda: window.focus_ring.widget() is window.filters.search, timeout=5000)
    assert window.focus_ring.isVisible()
    window.table.setFocus()
    qtbot.waitUntil(lambda: window.focus_ring.widget() is window.table, timeout=5000)
