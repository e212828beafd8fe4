"""The Usage view: one row per task with the selected model, or why it cannot be used."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from clary_desktop.domain.pipeline_values import UsageInfo
from clary_desktop.gui.models.rows_model import RowsTableModel

COLUMNS = ("Task", "Model", "Version", "Path / problem")
TASK, MODEL, VERSION, PATH = range(len(COLUMNS))
ModelIdRole = Qt.ItemDataRole.UserRole + 1
_PROBLEM_COLOR = QColor("#b3261e")
_UNSET_COLOR = QColor("#666666")
NOT_SET = "not set"


def with_unset_tasks(
    usages: Sequence[UsageInfo | tuple[str, str]], tasks: Iterable[str]
) -> list[UsageInfo | tuple[str, str]]:
    """Every task the catalog has models for, in order; one with no model selected comes
    as (task, NOT_SET)."""
    by_task = {u[0] if isinstance(u, tuple) else u.task: u for u in usages}
    for task in tasks:
        by_task.setdefault(task, (task, NOT_SET))
    return [by_task[task] for task in sorted(by_task)]


class UsageTableModel(RowsTableModel[UsageInfo | tuple[str, str]]):
    """Rows are the core's `UsageInfo`s, or (task, reason) for an unusable selection."""

    columns = COLUMNS
    set_usages = RowsTableModel.set_rows

    def cell(self, row: UsageInfo | tuple[str, str], column: int, role: int) -> Any:
        text_roles = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole)
        if isinstance(row, tuple):  # a selection that cannot be used: (task, reason)
            task, reason = row
            if reason == NOT_SET:
                if role in text_roles:
                    hint = f"Choose one with “Use for {task}” in a model's Usage tab"
                    return (task, NOT_SET, "—", hint)[column]
                if role == Qt.ItemDataRole.ForegroundRole and column != TASK:
                    return _UNSET_COLOR
                return None
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
