"""Tools > Settings in tabs: the settings the README documents (resume on start, older
versions to keep, the catalog address) are there and saved; a refused value shows its
tab and field; the dialog fits a 1024x700 screen and a 1600x1000 one at scale 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFormLayout

from clary_desktop.app import Registry
from clary_desktop.domain.access import Tier
from clary_desktop.gui.dialogs.settings_dialog import SettingsDialog
from clary_desktop.gui.dialogs.sync_dialog import SyncCatalogDialog
from clary_desktop.gui.hints import CATALOG_ADDRESS_FIELD
from clary_desktop.settings import Settings, load_settings
from tests.gui.test_settings_apply import open_dialog, save, stored

ROOT = Path(__file__).resolve().parents[2]
TABS = ["General", "Downloads", "Sources", "Network", "Local API"]


@pytest.fixture
def registry(paths):
    registry = Registry.open(paths, tier_source=lambda: Tier.LITE)
    yield registry
    registry.close()


def tab_of(dialog: SettingsDialog, widget) -> str:
    return next(
        dialog.tabs.tabText(n)
        for n in range(dialog.tabs.count())
        if dialog.tabs.widget(n).isAncestorOf(widget)
    )


def test_the_tabs_hold_the_fields_and_the_notes_stay_outside(qtbot, tmp_path):
    dialog = SettingsDialog(Settings(), str(tmp_path / "models"))
    qtbot.addWidget(dialog)
    assert [dialog.tabs.tabText(n) for n in range(dialog.tabs.count())] == TABS
    where = {
        "General": [dialog.models_dir, dialog.offline, dialog.update_hours, dialog.catalog_url],
        "Downloads": [
            dialog.concurrent,
            dialog.bandwidth,
            dialog.parts,
            dialog.resume_on_start,
            dialog.keep_previous,
        ],
        "Sources": [dialog.endpoint, dialog.token, dialog.sources],
        "Network": [
            dialog.proxy,
            dialog.proxy_user,
            dialog.proxy_password,
            dialog.no_proxy,
            dialog.ca_bundle,
        ],
        "Local API": [dialog.api_enabled, dialog.api_host, dialog.api_port],
    }
    for tab, widgets in where.items():
        assert [tab_of(dialog, w) for w in widgets] == [tab] * len(widgets)
    for outside in (dialog.policy_note, dialog.error):
        assert not dialog.tabs.isAncestorOf(outside)
    assert dialog.resume_on_start.text() == "Resume paused downloads when the program starts"
    assert (dialog.keep_previous.minimum(), dialog.keep_previous.maximum()) == (0, 10)


def test_the_new_settings_round_trip_through_save(open_window, registry, qtbot):
    window = open_window(registry)
    dialog = open_dialog(window)
    assert not dialog.resume_on_start.isChecked()
    assert dialog.keep_previous.value() == 1 and dialog.catalog_url.text() == ""
    dialog.resume_on_start.setChecked(True)
    dialog.keep_previous.setValue(4)
    dialog.catalog_url.setText("  https://models.corp.example/catalog.json ")
    save(window, qtbot, dialog)

    saved = stored(registry)
    assert saved["resume_on_start"] is True
    assert saved["keep_previous_versions"] == 4
    assert saved["catalog_url"] == "https://models.corp.example/catalog.json"
    assert registry.settings.resume_on_start and registry.settings.keep_previous_versions == 4
    assert registry.catalog_address() == "https://models.corp.example/catalog.json"
    assert load_settings(registry.paths.settings_file) == registry.stored_settings

    again = open_dialog(window)  # shows what was saved; emptied, the address goes
    assert again.resume_on_start.isChecked() and again.keep_previous.value() == 4
    assert again.catalog_url.text() == "https://models.corp.example/catalog.json"
    again.keep_previous.setValue(0)
    again.catalog_url.setText("")
    save(window, qtbot, again)
    assert stored(registry)["keep_previous_versions"] == 0
    assert stored(registry)["catalog_url"] is None


@pytest.mark.parametrize(
    ("fill", "field", "tab", "words"),
    [
        ({"catalog_url": "catalog.example/c.json"}, "catalog_url", "General", "Catalog address"),
        ({"proxy": "proxy.corp:3128"}, "proxy", "Network", "Proxy must start with"),
        ({"endpoint": "hub.corp"}, "endpoint", "Sources", "Hub endpoint must start"),
        ({"proxy_password": "secret"}, "proxy_user", "Network", "needs a proxy user"),
        ({"proxy_user": "alice"}, "proxy", "Network", "needs a proxy"),
        ({"ca_bundle": "/nowhere/corp.pem"}, "ca_bundle", "Network", "corp.pem"),
    ],
)
def test_a_refused_value_shows_its_tab_and_field(
    open_window, registry, qtbot, fill, field, tab, words
):
    window = open_window(registry)
    dialog = open_dialog(window)
    dialog.tabs.setCurrentIndex(TABS.index("Local API"))  # elsewhere
    for name, text in fill.items():
        getattr(dialog, name).setText(text)
    dialog.accept()
    assert dialog.isVisible()
    assert words in dialog.error.text()
    assert dialog.error.isVisibleTo(dialog)
    assert dialog.tabs.tabText(dialog.tabs.currentIndex()) == tab
    assert dialog.focusWidget() is getattr(dialog, field)
    assert "catalog_url" not in stored_or_empty(registry)  # nothing was saved
    dialog.reject()


def stored_or_empty(registry: Registry) -> dict:
    return stored(registry) if registry.paths.settings_file.exists() else {}


def test_by_keyboard_tab_walks_each_page_in_order_and_ctrl_tab_switches(qtbot, tmp_path):
    dialog = SettingsDialog(Settings(), str(tmp_path / "models"))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=5000)
    dialog.tabs.setCurrentIndex(TABS.index("Downloads"))
    dialog.concurrent.setFocus()
    visited = [QApplication.focusWidget()]
    for _ in range(4):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        visited.append(QApplication.focusWidget())
    assert visited == [
        dialog.concurrent,
        dialog.bandwidth,
        dialog.parts,
        dialog.resume_on_start,
        dialog.keep_previous,
    ]
    qtbot.keyClick(dialog.keep_previous, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    assert dialog.tabs.tabText(dialog.tabs.currentIndex()) == "Sources"
    assert not dialog.sources.list.tabKeyNavigation()
    dialog.close()


SHOWN = textwrap.dedent(
    """
    import json, sys
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication, QDialogButtonBox, QWidget
    from clary_desktop.gui.dialogs.settings_dialog import SettingsDialog
    from clary_desktop.settings import Settings

    app = QApplication([sys.argv[0], "-platform", "offscreen:configfile=" + sys.argv[1]])
    dialog = SettingsDialog(Settings(), "/home/user/models", notes=["A note."])
    dialog.show()
    dialog.error.setText("A refused value, in plain words.")
    dialog.error.show()
    app.processEvents()
    area = dialog.screen().availableGeometry()
    buttons = dialog.findChild(QDialogButtonBox)

    def inside(widget):
        top_left = widget.mapTo(dialog, widget.rect().topLeft())
        bottom_right = widget.mapTo(dialog, widget.rect().bottomRight())
        return dialog.rect().contains(top_left) and dialog.rect().contains(bottom_right)

    report = {"ratio": dialog.screen().devicePixelRatio(),
              "area": [area.width(), area.height()],
              "inside": area.contains(dialog.frameGeometry()),
              "tabs": {}}
    for n in range(dialog.tabs.count()):
        dialog.tabs.setCurrentIndex(n)
        app.processEvents()
        page = dialog.tabs.widget(n)  # a scroll area
        fields = [w for w in page.widget().findChildren(QWidget)
                  if w.isVisibleTo(page) and w.focusPolicy() & Qt.FocusPolicy.TabFocus]
        reachable = []
        for field in fields:  # each one scrolled into view, as focus does
            page.ensureWidgetVisible(field)
            app.processEvents()
            corner = field.mapTo(page.viewport(), field.rect().topLeft())
            reachable.append(page.viewport().rect().contains(corner))
        report["tabs"][dialog.tabs.tabText(n)] = {
            "fields": len(fields),
            "reachable": all(reachable),
            "error": inside(dialog.error) and dialog.error.isVisible(),
            "buttons": inside(buttons) and buttons.isVisible(),
        }
    print(json.dumps(report))
    """
)


def run_shown(tmp_path: Path, width: int, height: int, scale: str) -> dict:
    config = tmp_path / "screen.json"
    screen = {"name": "s", "x": 0, "y": 0, "width": width, "height": height}
    config.write_text(json.dumps({"screens": [{**screen, "logicalDpi": 96, "dpr": 1}]}))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CLARY_", "QT_"))},
        "QT_SCALE_FACTOR": scale,
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-c", SHOWN, str(config)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("screen", "scale", "area"),
    [((1024, 700), "1", [1024, 700]), ((1600, 1000), "2", [800, 500])],
)
def test_the_dialog_fits_the_screen_and_every_field_can_be_reached(tmp_path, screen, scale, area):
    found = run_shown(tmp_path, *screen, scale)
    assert found["area"] == area and found["ratio"] == float(scale)
    assert found["inside"], found
    assert list(found["tabs"]) == TABS
    for tab, seen in found["tabs"].items():
        assert seen["fields"] > 0, tab
        assert seen["reachable"] and seen["error"] and seen["buttons"], (tab, seen)


def test_sync_points_at_the_settings_field_and_uses_it_once_set(
    open_window, registry, monkeypatch, qtbot
):
    monkeypatch.delenv("CLARY_CATALOG_URL", raising=False)
    window = open_window(registry)
    window.catalog_actions.sync_catalog_dialog()
    sync = window.findChild(SyncCatalogDialog)
    assert CATALOG_ADDRESS_FIELD in sync.where.text() and sync.where.isVisibleTo(sync)
    assert not sync.sync_button.isEnabled()
    sync.source.setText("https://catalog.example/catalog.json")  # still asked for here
    assert sync.sync_button.isEnabled()
    sync.close()
    sync.deleteLater()

    # The words name the real place: that tab, that label.
    *_, tab, label = CATALOG_ADDRESS_FIELD.split(" > ")
    dialog = open_dialog(window)
    page = dialog.tabs.widget(TABS.index(tab))
    assert dialog.tabs.tabText(TABS.index(tab)) == tab
    form = page.widget().layout()
    row, _role = form.getWidgetPosition(dialog.catalog_url)
    assert form.itemAt(row, QFormLayout.ItemRole.LabelRole).widget().text() == label
    dialog.catalog_url.setText("https://models.corp.example/catalog.json")
    save(window, qtbot, dialog)

    window.catalog_actions.sync_catalog_dialog()
    qtbot.waitUntil(lambda: window.findChild(SyncCatalogDialog) is not None, timeout=5000)
    sync = window.findChild(SyncCatalogDialog)
    assert not sync.where.isVisibleTo(sync)
    assert sync.source.text() == "https://models.corp.example/catalog.json"
    assert sync.sync_button.isEnabled()
    sync.close()
