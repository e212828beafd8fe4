"""Help > Keyboard shortcuts: every key the window answers to (from `keyboard_help`)."""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from clary_desktop.gui.keyboard import accessible, keyboard_help


def shortcuts_html() -> str:
    rows = "".join(
        f'<tr><td style="padding:2px 14px 2px 0"><b>{escape(keys)}</b></td>'
        f"<td>{escape(what)}</td></tr>"
        for keys, what in keyboard_help()
    )
    return (
        "<p>Everything the window does can be done from the keyboard.</p>"
        f'<table cellspacing="0">{rows}</table>'
    )


class ShortcutsDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle("Keyboard shortcuts")
        self.label = QLabel(shortcuts_html())
        self.label.setObjectName("shortcutsText")
        self.label.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        accessible(close, "Close")
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(buttons)
        accessible(self, "Keyboard shortcuts", "\n".join(f"{k}: {w}" for k, w in keyboard_help()))
