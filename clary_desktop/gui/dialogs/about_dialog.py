"""About: version and every path the program uses (what support asks for first)."""

from __future__ import annotations

import platform
from html import escape

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from clary_desktop import APP_NAME, __version__
from clary_desktop.paths import AppPaths


def about_html(paths: AppPaths, models_dir: str) -> str:
    rows = [
        ("Data folder", str(paths.data_dir)),
        ("Settings folder", str(paths.config_dir)),
        ("Models folder", models_dir),
        ("Database", paths.effective_database_url),
        ("License file", str(paths.license_file)),
        ("Log file", str(paths.log_file)),
    ]
    table = "".join(
        f'<tr><td style="color:#666;padding-right:10px">{k}</td>'
        f"<td><code>{escape(v)}</code></td></tr>"
        for k, v in rows
    )
    return (
        f"<h3>{APP_NAME} {__version__}</h3>"
        "<p>Clary AI's model registry: browse, download and manage local AI models.</p>"
        f"<table>{table}</table>"
        f"<p style='color:#666'>Python {platform.python_version()} · PySide6 {pyside_version}</p>"
    )


class AboutDialog(QDialog):
    def __init__(self, paths: AppPaths, models_dir: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"About {APP_NAME}")
        self.label = QLabel(about_html(paths, models_dir))
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(buttons)
