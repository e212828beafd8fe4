"""The Usage view: one row per task with the selected model, or why it cannot be used."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from clary_desktop.domain.pipeline_values import UsageInfo
from clary_desktop.gui.models.rows_model import RowsTableModel

COLUMNS = ("Task", "Model", "Version", "Path / problem")
TASK, MODEL, VERSION, PATH = range(len(COLUMNS))
ModelIdRole = Qt.ItemDataRole.UserRole + 1
_PROBLEM_COLOR = QColor("#b3261e")


class UsageTableModel(RowsTableModel[UsageInfo | tuple[str, str]]):
    """Rows are the core's `UsageInfo`s, or (task, reason) for an unusable selection."""

    columns = COLUMNS
    set_usages = RowsTableModel.set_rows

    def cell(self, row: UsageInfo | tuple[str, str], column: int, role: int) -> Any:
        text_roles = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole)
        if isinstance(row, tuple):  # a selection that cannot be used: (task, reason)
            task, reason = row
            if role in text_roles:
                return (task, "—", "—", reason)[column]
            if role == Qt.ItemDataRole.ForegroundRole and column == PATH:
                return _PROBLEM_COLOR
            return None
        if role in text_roles:
            if column == TASK:
                return row.task
            if column == MODEL:
                return f"{row.name} ({row.model_id})" if row.name != row.model_id else row.model_id
            if column == VERSION:
                return row.version
            return row.path
        if role == ModelIdRole:
            return row.model_id
        return None

    def task_at(self, row: int) -> str:
        item = self._rows[row]
        return item[0] if isinstance(item, tuple) else item.task
