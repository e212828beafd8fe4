"""The Storage view's list: installed models by disk use, then partial downloads,
files the catalog does not know (orphans), and installs whose files are missing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from clary_desktop.domain.storage_values import StorageReport
from clary_desktop.formatting import format_size
from clary_desktop.gui.models.natural_sort import SortRole
from clary_desktop.gui.models.rows_model import RowsTableModel

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
    model_id: str | None = None  # the id the CLI takes, second in the tooltip


def _short(path: str, base: str) -> str:
    """`path` relative to the models folder when inside it (the summary names the folder)."""
    try:
        return str(PurePath(path).relative_to(base))
    except ValueError:
        return path


def rows_of(report: StorageReport, name_of: Callable[[str], str] = str) -> list[StorageRow]:
    """`name_of`: a model id -> the name the list shows."""
    base = report.models_dir
    rows: list[StorageRow] = []
    for m in sorted(report.models, key=lambda m: -m.size_bytes):
        linked = f", {m.linked_files} linked" if m.linked_files else ""
        label = f"{name_of(m.model_id)} {m.version}"
        rows.append(
            StorageRow(
                "model",
                label,
                m.size_bytes,
                f"{m.files} file(s){linked} in {_short(m.folder, base)}",
                m.folder,
                m.model_id,
            )
        )
        if m.missing_files:
            rows.append(
                StorageRow(
                    "missing",
                    label,
                    None,
                    f"{len(m.missing_files)} file(s) missing: " + ", ".join(m.missing_files[:3]),
                    m.folder,
                    m.model_id,
                )
            )
    for p in report.partials:
        rows.append(
            StorageRow(
                "partial",
                _short(p.path, base),
                p.size_bytes,
                "a paused download will continue it"
                if p.resumable
                else "left over; can be reclaimed",
                p.path,
            )
        )
    for o in report.orphans:
        rows.append(
            StorageRow(
                "orphan",
                _short(o.path, base),
                o.size_bytes,
                "not known to the catalog; can be reclaimed",
                o.path,
            )
        )
    return rows


class StorageTableModel(RowsTableModel[StorageRow]):
    """Rows are `StorageRow`s (see `rows_of`)."""

    columns = COLUMNS

    def cell(self, row: StorageRow, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and column == WHAT and row.model_id:
            return f"{row.what}\n{row.model_id}"
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
        if role == SortRole and column == SIZE:
            return row.size_bytes if row.size_bytes is not None else -1
        if role == PathRole:
            return row.path
        return None
