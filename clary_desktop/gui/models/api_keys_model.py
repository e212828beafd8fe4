"""The API keys dialog's list: name, prefix, created, last used, state."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Name", "Key starts with", "Created", "Last used", "State")
NAME, PREFIX, CREATED, LAST_USED, STATE = range(len(COLUMNS))
NameRole = Qt.ItemDataRole.UserRole + 1
ActiveRole = Qt.ItemDataRole.UserRole + 2
_REVOKED_COLOR = QColor("#9a9a9a")


def _when(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value is not None else "never"


class ApiKeysTableModel(QAbstractTableModel):
    """Rows are the core's `ApiKeyInfo`s (never the secrets: the core keeps none)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._keys: list[Any] = []

    def set_keys(self, keys: Sequence[Any]) -> None:
        self.beginResetModel()
        self._keys = list(keys)
        self.endResetModel()

    def key_at(self, row: int) -> Any:
        return self._keys[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._keys)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(COLUMNS)):
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._keys):
            return None
        key = self._keys[index.row()]
        active = key.revoked_at is None
        if role == Qt.ItemDataRole.DisplayRole:
            column = index.column()
            if column == NAME:
                return key.name
            if column == PREFIX:
                return f"{key.prefix}…"
            if column == CREATED:
                return _when(key.created_at)
            if column == LAST_USED:
                return _when(key.last_used_at)
            return "active" if active else f"revoked {_when(key.revoked_at)}"
        if role == Qt.ItemDataRole.ForegroundRole and not active:
            return _REVOKED_COLOR
        if role == NameRole:
            return key.name
        if role == ActiveRole:
            return active
        return None
