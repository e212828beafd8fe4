"""What the README says the window offers: the menu entries it names and Ctrl+F."""

from __future__ import annotations

from PySide6.QtCore import Qt

from clary_desktop.domain.access import Tier

#: Menu entries as the README names them ("File > Import model file…", "Tools (Verify all,
#: ...)"); each must start an entry of that menu.
README_MENUS = {
    "File": [
        "Load license",
        "Import catalog",
        "Import model file",
        "Export models",
        "Import bundle",
        "Install from the Hugging Face cache",
        "Quit",
    ],
    "View": ["Model usage", "Storage"],
    "Tools": [
        "Verify all",
        "Reclaim space from partial downloads",
        "Settings",
        "API keys",
        "Check for updates",
        "Sync catalog",
    ],
    "Help": ["Getting started", "About", "Keyboard shortcuts"],
}


def _plain(text: str) -> str:
    return text.replace("&", "").rstrip("…")


def test_every_menu_entry_the_readme_names_is_there(open_window, tier_registry) -> None:
    window = open_window(tier_registry(Tier.LITE))
    menus = {
        _plain(action.text()): [_plain(a.text()) for a in action.menu().actions() if a.text()]
        for action in window.menuBar().actions()
    }
    missing = [
        f"{menu} > {entry}"
        for menu, entries in README_MENUS.items()
        for entry in entries
        if not any(item.startswith(entry) for item in menus.get(menu, []))
    ]
    assert missing == []


def test_ctrl_f_jumps_to_the_search_box(open_window, tier_registry, qtbot) -> None:
    window = open_window(tier_registry(Tier.LITE))
    window.activateWindow()
    window.table.setFocus()
    qtbot.waitUntil(window.table.hasFocus, timeout=5000)
    qtbot.keyClick(window.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(window.filters.search.hasFocus, timeout=5000)
