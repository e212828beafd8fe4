"""The download queue: one row per job, updated in place from batched engine events."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from clary_desktop.formatting import format_duration, format_size
from clary_desktop.gui.models.filtering import ACTIVE_STATES

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Model", "Progress", "Downloaded", "Speed", "ETA", "State")
MODEL, PROGRESS, DONE, SPEED, ETA, STATE = range(len(COLUMNS))
JobIdRole = Qt.ItemDataRole.UserRole + 1
ProgressRole = Qt.ItemDataRole.UserRole + 2
FINISHED_STATES = frozenset({"completed", "failed", "cancelled"})
_ERROR_COLOR = QColor("#b3261e")


@dataclass(frozen=True)
class JobRow:
    """What the queue shows of one job; built from the engine's JobInfo/DownloadEvent."""

    job_id: Any  # the engine's id (an int), passed back to it unchanged
    model_id: str
    version: str | None
    state: str
    bytes_done: int
    bytes_total: int | None
    speed_bps: float | None
    eta_seconds: float | None
    error: str | None

    @classmethod
    def of(cls, job: Any) -> JobRow:
        return cls(
            job_id=job.job_id,
            model_id=job.model_id,
            version=getattr(job, "version", None),
            state=str(getattr(job, "state", "queued")),
            bytes_done=int(getattr(job, "bytes_done", 0) or 0),
            bytes_total=getattr(job, "bytes_total", None),
            speed_bps=getattr(job, "speed_bps", None),
            eta_seconds=getattr(job, "eta_seconds", None),
            error=getattr(job, "error", None),
        )

    @property
    def percent(self) -> int | None:
        if self.state == "completed":
            return 100
        if not self.bytes_total:
            return None
        return max(0, min(100, int(self.bytes_done * 100 // self.bytes_total)))

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_STATES


def plain_error(error: str | None) -> str:
    """The engine's error, or a readable default; never a traceback."""
    if not error:
        return "The download failed."
    return error.strip().splitlines()[-1][:300]


class DownloadQueueModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._jobs: list[JobRow] = []

    def update_jobs(self, jobs: Iterable[JobRow]) -> None:
        """Make the rows match `jobs`: update in place, append new, remove gone."""
        wanted = {j.job_id: j for j in jobs}
        for row in range(len(self._jobs) - 1, -1, -1):
            if self._jobs[row].job_id not in wanted:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._jobs[row]
                self.endRemoveRows()
        for row, current in enumerate(self._jobs):
            fresh = wanted.pop(current.job_id)
            if fresh != current:
                self._jobs[row] = fresh
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
        if wanted:
            first = len(self._jobs)
            self.beginInsertRows(QModelIndex(), first, first + len(wanted) - 1)
            self._jobs.extend(wanted.values())
            self.endInsertRows()

    def job_at(self, row: int) -> JobRow:
        return self._jobs[row]

    def jobs(self) -> list[JobRow]:
        return list(self._jobs)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._jobs)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(COLUMNS)):
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._jobs):
            return None
        job = self._jobs[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(job, column)
        if role == JobIdRole:
            return job.job_id
        if role == ProgressRole:
            return job.percent
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_error(job.error) if job.state == "failed" else job.job_id
        if role == Qt.ItemDataRole.ForegroundRole and column == STATE and job.state == "failed":
            return _ERROR_COLOR
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (DONE, SPEED, ETA):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def _display(job: JobRow, column: int) -> str:
        if column == MODEL:
            return f"{job.model_id} {job.version}" if job.version else job.model_id
        if column == PROGRESS:
            percent = job.percent
            return "" if percent is None else f"{percent}%"
        if column == DONE:
            total = format_size(job.bytes_total) if job.bytes_total else "?"
            return f"{format_size(job.bytes_done)} / {total}"
        if column == SPEED:
            if job.state != "downloading" or not job.speed_bps:
                return ""
            return f"{format_size(int(job.speed_bps))}/s"
        if column == ETA:
            return format_duration(job.eta_seconds) if job.state == "downloading" else ""
        if job.state == "failed":
            return f"failed: {plain_error(job.error)}"
        return job.state
