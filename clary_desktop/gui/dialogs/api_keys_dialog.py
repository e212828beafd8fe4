"""Tools > API keys: list, create (the secret is shown once) and revoke."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clary_desktop.domain.pipeline_values import ApiKeyInfo
from clary_desktop.gui.dialogs.rows_view import make_rows_view
from clary_desktop.gui.models.api_keys_model import (
    STATE,
    ActiveRole,
    ApiKeysTableModel,
    NameRole,
)


class ApiKeysDialog(QDialog):
    refresh_requested = Signal()
    create_requested = Signal(str)  # name
    revoke_requested = Signal(str)  # name

    def __init__(self, api_url: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("apiKeysDialog")
        self.setWindowTitle("API keys")
        self.resize(760, 420)
        self.model = ApiKeysTableModel(self)

        self.api_state = QLabel()
        self.api_state.setWordWrap(True)
        self.set_api_url(api_url)

        self.view = make_rows_view(self.model, "apiKeysTable")
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(STATE, QHeaderView.ResizeMode.Stretch)
        self.view.selectionModel().selectionChanged.connect(self._update_buttons)

        self.name = QLineEdit()
        self.name.setObjectName("apiKeyName")
        self.name.setPlaceholderText("a name for the program that uses it, e.g. pipeline")
        self.name.returnPressed.connect(self._create)
        self.create_button = QPushButton("Create")
        self.create_button.setObjectName("createApiKey")
        self.create_button.clicked.connect(self._create)
        self.revoke_button = QPushButton("Revoke")
        self.revoke_button.setObjectName("revokeApiKey")
        self.revoke_button.setEnabled(False)
        self.revoke_button.clicked.connect(self._revoke)
        create_row = QHBoxLayout()
        create_row.addWidget(self.name, 1)
        create_row.addWidget(self.create_button)
        create_row.addWidget(self.revoke_button)

        self.secret_box = QGroupBox("New key — copy it now, it is shown only once")
        self.secret_box.setObjectName("secretBox")
        self.secret = QLineEdit()
        self.secret.setObjectName("apiKeySecret")
        self.secret.setReadOnly(True)
        copy = QPushButton("Copy")
        copy.setObjectName("copyApiKey")
        copy.clicked.connect(self.copy_secret)
        secret_row = QHBoxLayout(self.secret_box)
        secret_row.addWidget(self.secret, 1)
        secret_row.addWidget(copy)
        self.secret_box.hide()

        self.error = QLabel()
        self.error.setObjectName("apiKeysError")
        self.error.setStyleSheet("color: #b3261e;")
        self.error.setWordWrap(True)
        self.error.hide()

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.api_state)
        layout.addWidget(self.view, 1)
        layout.addLayout(create_row)
        layout.addWidget(self.secret_box)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def set_api_url(self, url: str | None) -> None:
        self.api_state.setText(
            f"The local API listens on {url}. Programs send a key in the X-API-Key header."
            if url
            else "The local API is off (Tools > Settings > Run the local API). "
            "Keys also work with the clary-models serve command."
        )

    def set_keys(self, keys: Sequence[ApiKeyInfo]) -> None:
        self.model.set_keys(keys)
        self._update_buttons()

    def show_secret(self, name: str, secret: str) -> None:
        self.secret_box.setTitle(f"New key {name!r} — copy it now, it is shown only once")
        self.secret.setText(secret)
        self.secret_box.show()
        self.name.clear()
        self.show_error("")

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def copy_secret(self) -> None:
        QApplication.clipboard().setText(self.secret.text())

    def selected_name(self) -> str | None:
        rows = self.view.selectionModel().selectedRows()
        return rows[0].data(NameRole) if rows else None

    def _update_buttons(self, *_args: object) -> None:
        rows = self.view.selectionModel().selectedRows()
        self.revoke_button.setEnabled(bool(rows) and bool(rows[0].data(ActiveRole)))

    def _create(self) -> None:
        name = self.name.text().strip()
        if not name:
            self.show_error("Give the key a name first.")
            return
        self.create_requested.emit(name)

    def _revoke(self) -> None:
        name = self.selected_name()
        if name is not None:
            self.revoke_requested.emit(name)
