"""The download queue: one row per job, updated in place from batched engine events."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor

from clary_desktop.domain.download_values import JobInfo
from clary_desktop.domain.model_status import ACTIVE_JOB_STATES
from clary_desktop.formatting import format_duration, format_size
from clary_desktop.gui.models.natural_sort import SortRole
from clary_desktop.gui.models.rows_model import RowsTableModel

COLUMNS = ("Model", "Progress", "Downloaded", "Speed", "ETA", "State")
MODEL, PROGRESS, DONE, SPEED, ETA, STATE = range(len(COLUMNS))
JobIdRole = Qt.ItemDataRole.UserRole + 1
ProgressRole = Qt.ItemDataRole.UserRole + 2
FINISHED_STATES = frozenset({"completed", "failed", "cancelled"})
_ERROR_COLOR = QColor("#b3261e")


@dataclass(frozen=True)
class JobRow:
    """What the queue shows of one job; built from the engine's JobInfo/DownloadEvent."""

    job_id: int
    model_id: str
    version: str | None
    state: str
    bytes_done: int
    bytes_total: int | None
    speed_bps: float | None
    eta_seconds: float | None
    error: str | None
    #: The model's display name (the id until the window knows the catalog).
    name: str = ""
    #: Stopped (cancelled or failed) with its partial files still on disk.
    partial_kept: bool = False

    @classmethod
    def of(cls, job: JobInfo) -> JobRow:
        return cls(
            job_id=job.job_id,
            model_id=job.model_id,
            version=job.version,
            state=str(job.state),
            bytes_done=job.bytes_done,
            bytes_total=job.bytes_total,
            speed_bps=job.speed_bps,
            eta_seconds=job.eta_seconds,
            error=job.error,
        )

    @property
    def percent(self) -> int | None:
        if self.state == "completed":
            return 100
        if not self.bytes_total:
            return None
        return max(0, min(100, int(self.bytes_done * 100 // self.bytes_total)))

    @property
    def label(self) -> str:
        """The model's name and version, as the list names models."""
        name = self.name or self.model_id
        return f"{name} {self.version}" if self.version else name

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_JOB_STATES

    @property
    def state_text(self) -> str:
        """The state in words, with why a job failed or is paused (the program quit,
        the disk is full) when the engine says."""
        if self.state == "failed":
            return f"failed: {plain_error(self.error)}"
        if self.state == "cancelled" and self.partial_kept and self.percent is not None:
            return f"cancelled, {self.percent}% kept"
        if self.state == "paused" and self.error:
            reason = plain_error(self.error).split(";")[0].rstrip(".")
            reason = reason[:1].lower() + reason[1:]
            return reason if reason.startswith("paused") else f"paused: {reason}"
        return self.state

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_STATES


_SORT_VALUES: dict[int, Callable[[JobRow], float]] = {
    PROGRESS: lambda job: job.percent if job.percent is not None else -1,
    DONE: lambda job: job.bytes_done,
    SPEED: lambda job: job.speed_bps or 0.0,
    ETA: lambda job: job.eta_seconds if job.eta_seconds is not None else float("inf"),
}
_QUEUE_GROUPS = {"downloading": 0, "verifying": 0, "queued": 1, "paused": 2}


def queue_order(job: JobRow) -> tuple[int, int]:
    """Running jobs first, then queued, paused, finished; the newest first in each."""
    return _QUEUE_GROUPS.get(job.state, 3), -job.job_id


def plain_error(error: str | None) -> str:
    """The engine's error, or a readable default; never a traceback."""
    if not error:
        return "The download failed."
    return error.strip().splitlines()[-1][:300]


class DownloadQueueModel(RowsTableModel[JobRow]):
    """Rows are `JobRow`s, kept in step with the engine by `update_jobs`."""

    columns = COLUMNS
    job_at = RowsTableModel.row_at

    def update_jobs(self, jobs: Iterable[JobRow]) -> None:
        """Make the rows match `jobs` (update in place, append new, remove gone), then
        keep them in `queue_order`: what runs first, the newest first within each group."""
        wanted = {j.job_id: j for j in jobs}
        for row in range(len(self._rows) - 1, -1, -1):
            if self._rows[row].job_id not in wanted:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._rows[row]
                self.endRemoveRows()
        for row, current in enumerate(self._rows):
            fresh = wanted.pop(current.job_id)
            if fresh != current:
                self._rows[row] = fresh
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
        if wanted:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(wanted) - 1)
            self._rows.extend(wanted.values())
            self.endInsertRows()
        self._reorder()

    def _reorder(self) -> None:
        ordered = sorted(self._rows, key=queue_order)
        if ordered == self._rows:
            return
        self.layoutAboutToBeChanged.emit()
        where = {job.job_id: n for n, job in enumerate(ordered)}
        persistent = self.persistentIndexList()
        moved = [self.index(where[self._rows[p.row()].job_id], p.column()) for p in persistent]
        self._rows = ordered
        self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()

    def row_of(self, job_id: int) -> int | None:
        for row, job in enumerate(self._rows):
            if job.job_id == job_id:
                return row
        return None

    def jobs(self) -> list[JobRow]:
        return list(self._rows)

    def cell(self, job: JobRow, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(job, column)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            if column == PROGRESS:  # a painted bar: said in words
                percent = job.percent
                return "progress unknown" if percent is None else f"{percent} percent"
            return self._display(job, column)
        if role == Qt.ItemDataRole.AccessibleDescriptionRole:
            done = f", {job.percent} percent" if job.percent is not None else ""
            return f"{self._display(job, MODEL)}: {job.state_text}{done}"
        if role == JobIdRole:
            return job.job_id
        if role == ProgressRole:
            return job.percent
        if role == SortRole and column in _SORT_VALUES:
            return _SORT_VALUES[column](job)
        if role == Qt.ItemDataRole.ToolTipRole:
            if job.error and job.state in ("failed", "paused") and column == STATE:
                return plain_error(job.error)
            return f"{job.label}\n{job.model_id} · download {job.job_id}"
        if role == Qt.ItemDataRole.ForegroundRole and column == STATE and job.state == "failed":
            return _ERROR_COLOR
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (DONE, SPEED, ETA):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def _display(job: JobRow, column: int) -> str:
        if column == MODEL:
            return job.label
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
        return job.state_text
