"""The API keys dialog's list: name, prefix, created, last used, state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from clary_desktop.domain.pipeline_values import ApiKeyInfo
from clary_desktop.gui.models.natural_sort import SortRole
from clary_desktop.gui.models.rows_model import RowsTableModel

COLUMNS = ("Name", "Key starts with", "Created", "Last used", "State")
NAME, PREFIX, CREATED, LAST_USED, STATE = range(len(COLUMNS))
NameRole = Qt.ItemDataRole.UserRole + 1
ActiveRole = Qt.ItemDataRole.UserRole + 2
_REVOKED_COLOR = QColor("#9a9a9a")


def _when(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value is not None else "never"


class ApiKeysTableModel(RowsTableModel[ApiKeyInfo]):
    """Rows are the core's `ApiKeyInfo`s (never the secrets: the core keeps none)."""

    columns = COLUMNS
    set_keys = RowsTableModel.set_rows
    key_at = RowsTableModel.row_at

    def cell(self, key: ApiKeyInfo, column: int, role: int) -> Any:
        active = key.revoked_at is None
        if role == Qt.ItemDataRole.DisplayRole:
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
        if role == SortRole and column in (CREATED, LAST_USED):
            when = key.created_at if column == CREATED else key.last_used_at
            return when.timestamp() if when is not None else 0.0
        if role == NameRole:
            return key.name
        if role == ActiveRole:
            return active
        return None
