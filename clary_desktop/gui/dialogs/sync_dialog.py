"""Tools > Sync catalog: bring in a published catalog from an address or a file."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clary_desktop.gui.hints import CATALOG_ADDRESS_FIELD


def _is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


class SyncCatalogDialog(QDialog):
    def __init__(self, default_source: str | None, parent: QWidget | None = None) -> None:
        """`default_source`: the configured catalog address, if any (an empty field
        syncs from it); without one the user names an address or a file here."""
        super().__init__(parent)
        self.setObjectName("syncCatalogDialog")
        self.setWindowTitle("Sync catalog")
        self.setMinimumWidth(560)
        intro = QLabel(
            "Bring in new models and versions from a published catalog. A catalog "
            "from an address must be signed by Clary; nothing changes if any entry "
            "is wrong."
        )
        intro.setWordWrap(True)
        self._default = default_source
        self.source = QLineEdit(default_source or "")
        self.source.setObjectName("syncSource")
        self.source.setPlaceholderText(
            "https://… or a catalog file; empty: the configured catalog address"
            if default_source
            else "The catalog's https:// address, or a catalog file (File…)"
        )
        self.where = QLabel(
            ""
            if default_source
            else "No catalog address is configured yet: give the address Clary sent you, "
            "or choose a catalog file. To sync from the same address every time, set it "
            f"in {CATALOG_ADDRESS_FIELD}."
        )
        self.where.setObjectName("syncWhere")
        self.where.setWordWrap(True)
        self.where.setStyleSheet("color: #666;")
        self.where.setVisible(not default_source)
        browse = QPushButton("File…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.source, 1)
        row.addWidget(browse)
        self.allow_unsigned = QCheckBox(
            "Accept an unsigned file (only for a catalog file you trust)"
        )
        self.allow_unsigned.setObjectName("allowUnsigned")
        self.source.textChanged.connect(self._update)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b3261e;")
        self.error.setWordWrap(True)
        self.error.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.sync_button = buttons.addButton("Sync", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.where)
        layout.addLayout(row)
        layout.addWidget(self.allow_unsigned)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self._update()

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Catalog file", self.source.text(), "Catalog manifests (*.json);;All files (*)"
        )
        if path:
            self.source.setText(path)

    def _update(self, *_args: object) -> None:
        text = self.source.text().strip()
        local = bool(text) and not _is_url(text)
        self.allow_unsigned.setEnabled(local)
        if not local:
            self.allow_unsigned.setChecked(False)
        self.sync_button.setEnabled(bool(text) or bool(self._default))

    def chosen(self) -> tuple[str | None, bool]:
        return self.source.text().strip() or None, self.allow_unsigned.isChecked()
