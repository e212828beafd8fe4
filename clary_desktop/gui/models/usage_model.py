"""The Usage view: one row per task with the selected model, or why it cannot be used."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from clary_desktop.gui.models.rows_model import RowsTableModel

COLUMNS = ("Task", "Model", "Version", "Path / problem")
TASK, MODEL, VERSION, PATH = range(len(COLUMNS))
ModelIdRole = Qt.ItemDataRole.UserRole + 1
_PROBLEM_COLOR = QColor("#b3261e")


class UsageTableModel(RowsTableModel):
    """Rows are the core's `UsageInfo`s, or (task, reason) for an unusable selection."""

    columns = COLUMNS
    set_usages = RowsTableModel.set_rows

    def cell(self, row: Any, column: int, role: int) -> Any:
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
