"""The Usage view: one row per task with the selected model, or why it cannot be used."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Task", "Model", "Version", "Path / problem")
TASK, MODEL, VERSION, PATH = range(len(COLUMNS))
ModelIdRole = Qt.ItemDataRole.UserRole + 1
_PROBLEM_COLOR = QColor("#b3261e")


class UsageTableModel(QAbstractTableModel):
    """Rows are the core's `UsageInfo`s, or (task, reason) for an unusable selection."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[Any] = []

    def set_usages(self, usages: Sequence[Any]) -> None:
        self.beginResetModel()
        self._rows = list(usages)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(COLUMNS)):
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        problem = isinstance(row, tuple)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if problem:
                task, reason = row
                return (task, "—", "—", reason)[column]
            if column == TASK:
                return row.task
            if column == MODEL:
                return f"{row.name} ({row.model_id})" if row.name != row.model_id else row.model_id
            if column == VERSION:
                return row.version
            return row.path
        if role == Qt.ItemDataRole.ForegroundRole and problem and column == PATH:
            return _PROBLEM_COLOR
        if role == ModelIdRole and not problem:
            return row.model_id
        return None

    def task_at(self, row: int) -> str:
        item = self._rows[row]
        return item[0] if isinstance(item, tuple) else item.task
