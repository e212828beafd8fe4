"""The download queue panel: a table of jobs with progress bars and job buttons."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QMenu,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from clary_desktop.gui.models.queue_model import (
    PROGRESS,
    STATE,
    DownloadQueueModel,
    JobRow,
    ProgressRole,
)

JOB_ACTIONS = ("pause", "resume", "cancel", "retry")


class ProgressDelegate(QStyledItemDelegate):
    """A real progress bar in the Progress column, painted (no widget per row)."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        percent = index.data(ProgressRole)
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(3, 3, -3, -3)
        bar.minimum = 0
        bar.maximum = 100 if percent is not None else 0
        bar.progress = percent or 0
        bar.text = f"{percent}%" if percent is not None else ""
        bar.textVisible = True
        bar.state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Horizontal
        bar.palette = option.palette
        bar.fontMetrics = option.fontMetrics
        bar.textAlignment = Qt.AlignmentFlag.AlignCenter
        widget = option.widget
        style = widget.style() if widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, widget)


def allowed_actions(job: JobRow) -> set[str]:
    allowed: set[str] = set()
    if job.state in ("queued", "downloading"):
        allowed.add("pause")
    if job.state == "paused":
        allowed.add("resume")
    if job.active:
        allowed.add("cancel")
    if job.state in ("failed", "cancelled"):
        allowed.add("retry")
    return allowed


class QueuePanel(QWidget):
    action_requested = Signal(str, object)  # action, job id
    clear_requested = Signal()

    def __init__(self, model: DownloadQueueModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("queuePanel")
        self.model = model
        self.view = QTableView()
        self.view.setObjectName("queueView")
        self.view.setModel(model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.verticalHeader().hide()
        self.view.setAlternatingRowColors(True)
        self.view.setItemDelegateForColumn(PROGRESS, ProgressDelegate(self.view))
        header = self.view.horizontalHeader()
        header.setStretchLastSection(True)
        header.resizeSection(0, 260)
        header.resizeSection(PROGRESS, 160)
        header.resizeSection(2, 170)
        header.resizeSection(3, 100)
        header.resizeSection(4, 70)
        header.setSectionResizeMode(STATE, QHeaderView.ResizeMode.Stretch)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.selectionModel().selectionChanged.connect(self.refresh_buttons)
        model.dataChanged.connect(self.refresh_buttons)
        model.rowsInserted.connect(self.refresh_buttons)
        model.rowsRemoved.connect(self.refresh_buttons)

        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        for action in JOB_ACTIONS:
            button = QPushButton(action.capitalize())
            button.setObjectName(f"queue-{action}")
            button.clicked.connect(lambda _=False, a=action: self._request(a))
            row.addWidget(button)
            self.buttons[action] = button
        row.addStretch(1)
        self.clear_button = QPushButton("Clear finished")
        self.clear_button.setObjectName("queue-clear")
        self.clear_button.clicked.connect(self.clear_requested)
        row.addWidget(self.clear_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.view)
        layout.addLayout(row)
        self.refresh_buttons()

    def selected_job(self) -> JobRow | None:
        rows = self.view.selectionModel().selectedRows()
        if rows:
            return self.model.job_at(rows[0].row())
        if self.model.rowCount() == 1:
            return self.model.job_at(0)
        return None

    def select_job(self, job_id: int) -> None:
        for row, job in enumerate(self.model.jobs()):
            if job.job_id == job_id:
                self.view.selectRow(row)
                return

    def refresh_buttons(self, *_args: object) -> None:
        job = self.selected_job()
        allowed = allowed_actions(job) if job else set()
        for action, button in self.buttons.items():
            button.setEnabled(action in allowed)
        self.clear_button.setEnabled(any(j.finished for j in self.model.jobs()))

    def _request(self, action: str) -> None:
        job = self.selected_job()
        if job is not None and action in allowed_actions(job):
            self.action_requested.emit(action, job.job_id)

    def _context_menu(self, point: QPoint) -> None:
        index = self.view.indexAt(point)
        if not index.isValid():
            return
        self.view.selectRow(index.row())
        job = self.model.job_at(index.row())
        menu = QMenu(self)
        for action in sorted(allowed_actions(job), key=JOB_ACTIONS.index):
            menu.addAction(
                action.capitalize(), partial(self.action_requested.emit, action, job.job_id)
            )
        if menu.actions():
            menu.exec(self.view.viewport().mapToGlobal(point))
