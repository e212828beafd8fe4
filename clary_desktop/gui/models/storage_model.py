"""The Storage view's list: installed models by disk use, then partial downloads,
files the catalog does not know (orphans), and installs whose files are missing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from clary_desktop.formatting import format_size

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Kind", "Model / file", "Size", "Note")
KIND, WHAT, SIZE, NOTE = range(len(COLUMNS))
SizeRole = Qt.ItemDataRole.UserRole + 1
PathRole = Qt.ItemDataRole.UserRole + 2
_WARN = QColor("#b3261e")


@dataclass(frozen=True)
class StorageRow:
    kind: str  # model, missing, partial, orphan
    what: str
    size_bytes: int | None
    note: str
    path: str | None = None


def _short(path: str, base: str) -> str:
    """`path` relative to the models folder when inside it (the summary names the folder)."""
    try:
        return str(PurePath(path).relative_to(base))
    except ValueError:
        return path


def rows_of(report: Any) -> list[StorageRow]:
    base = report.models_dir
    rows: list[StorageRow] = []
    for m in sorted(report.models, key=lambda m: -m.size_bytes):
        linked = f", {m.linked_files} linked" if m.linked_files else ""
        rows.append(StorageRow("model", f"{m.model_id} {m.version}", m.size_bytes,
                               f"{m.files} file(s){linked} in {_short(m.folder, base)}",
                               m.folder))
        if m.missing_files:
            rows.append(StorageRow("missing", f"{m.model_id} {m.version}", None,
                                   f"{len(m.missing_files)} file(s) missing: "
                                   + ", ".join(m.missing_files[:3]), m.folder))
    for p in report.partials:
        rows.append(StorageRow("partial", _short(p.path, base), p.size_bytes,
                               "a paused download will continue it" if p.resumable
                               else "left over; can be reclaimed", p.path))
    for o in report.orphans:
        rows.append(StorageRow("orphan", _short(o.path, base), o.size_bytes,
                               "not known to the catalog; can be reclaimed", o.path))
    return rows


class StorageTableModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[StorageRow] = []

    def set_rows(self, rows: list[StorageRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> StorageRow:
        return self._rows[row]

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
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if column == KIND:
                return row.kind
            if column == WHAT:
                return row.what
            if column == SIZE:
                return format_size(row.size_bytes) if row.size_bytes is not None else "—"
            return row.note
        if role == Qt.ItemDataRole.TextAlignmentRole and column == SIZE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and row.kind == "missing":
            return _WARN
        if role == SizeRole:
            return row.size_bytes
        if role == PathRole:
            return row.path
        return None
