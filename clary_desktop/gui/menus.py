"""The menu bar: each entry calls the group of actions that owns it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clary_desktop import APP_NAME
from clary_desktop.gui.keyboard import QUIT_KEYS, RELOAD_KEYS, SETTINGS_KEYS, keys_for

if TYPE_CHECKING:
    from clary_desktop.gui.main_window import MainWindow


def build_menus(window: MainWindow) -> None:
    bar = window.menuBar()
    licenses = window.license_actions
    catalog = window.catalog_actions
    storage = window.storage_actions
    models = window.model_actions

    file_menu = bar.addMenu("&File")
    file_menu.addAction("Load &license…", licenses.load_license_dialog)
    file_menu.addAction("&Import catalog…", catalog.import_catalog_dialog)
    file_menu.addSeparator()
    file_menu.addAction("Import model &file…", storage.import_file_dialog)
    file_menu.addAction("Install from the &Hugging Face cache…", storage.hf_cache_dialog)
    file_menu.addAction("&Export models…", storage.export_dialog)
    file_menu.addAction("Import &bundle…", storage.import_bundle_dialog)
    file_menu.addSeparator()
    quit_action = file_menu.addAction("&Quit", window.close)
    quit_action.setShortcuts(keys_for(*QUIT_KEYS))

    view_menu = bar.addMenu("&View")
    view_menu.addAction(window.queue_dock.toggleViewAction())
    view_menu.addAction(window.drawer.action)
    view_menu.addAction("Model &usage…", window.usage_actions.usage_view)
    view_menu.addAction("&Storage…", storage.storage_view)
    view_menu.addAction("Plan for another &computer…", window.fit_actions.plan_dialog)
    reload_action = view_menu.addAction("&Reload catalog", window.reload)
    reload_action.setShortcuts(keys_for(*RELOAD_KEYS))

    tools = bar.addMenu("&Tools")
    tools.addAction("&Verify all installed models", lambda: models.verify(None))
    tools.addAction("&Reclaim space from partial downloads", storage.reclaim_space)
    tools.addSeparator()
    tools.addAction("Check for &updates", lambda: catalog.check_updates(manual=True))
    tools.addAction("&Sync catalog…", catalog.sync_catalog_dialog)
    tools.addSeparator()
    tools.addAction("API &keys…", window.api_actions.api_keys_dialog)
    tools.addSeparator()
    settings_action = tools.addAction("&Settings…", window.settings_actions.settings_dialog)
    settings_action.setShortcuts(keys_for(*SETTINGS_KEYS))

    help_menu = bar.addMenu("&Help")
    help_menu.addAction("&Getting started", window.settings_actions.getting_started)
    help_menu.addAction(f"&About {APP_NAME}", window.settings_actions.about_dialog)
    keys_action = help_menu.addAction("&Keyboard shortcuts", window.settings_actions.keyboard_help)
    keys_action.setObjectName("keyboardHelp")
