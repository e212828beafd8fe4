"""The download queue panel: a table of jobs with progress bars and job buttons."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
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

from clary_desktop.gui.column_fit import ColumnFitter
from clary_desktop.gui.keyboard import accessible
from clary_desktop.gui.models.natural_sort import NaturalSortProxy
from clary_desktop.gui.models.queue_model import (
    DONE,
    ETA,
    MODEL,
    PROGRESS,
    SPEED,
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


class ResumeBar(QFrame):
    """Shown at start when downloads were paused because the program quit (or ended
    without a word): resume them all, or leave them paused."""

    resume_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("resumeBar")
        self.setStyleSheet(
            "#resumeBar { background: #e8f1fb; border: 1px solid #9cc2ea; border-radius: 4px; }"
            " #resumeBar QLabel { color: #0d3c6e; }"
        )
        self.label = QLabel()
        self.label.setObjectName("resumeText")
        self.label.setWordWrap(True)
        self.resume_button = QPushButton("&Resume all")
        self.resume_button.setObjectName("resumeAll")
        self.resume_button.clicked.connect(self._resume)
        self.later_button = QPushButton("Not now")
        self.later_button.setObjectName("resumeLater")
        self.later_button.clicked.connect(self.hide)
        accessible(self.resume_button, "Resume all paused downloads")
        accessible(self.later_button, "Not now: leave the downloads paused")
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 4, 4)
        row.addWidget(self.label, 1)
        row.addWidget(self.resume_button)
        row.addWidget(self.later_button)
        self.hide()

    def offer(self, count: int) -> None:
        self.label.setText(
            f"{count} download{'s were' if count != 1 else ' was'} paused when the "
            "program quit. Resume now?"
        )
        self.setAccessibleName(self.label.text())
        self.setVisible(count > 0)

    def _resume(self) -> None:
        self.hide()
        self.resume_requested.emit()


class QueuePanel(QWidget):
    action_requested = Signal(str, object)  # action, job id
    clear_requested = Signal()

    def __init__(self, model: DownloadQueueModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("queuePanel")
        self.model = model
        # Header clicks sort through the proxy (names in natural order); until then the
        # model's own order: running jobs first, the newest first.
        self.proxy = NaturalSortProxy(self)
        self.proxy.setSourceModel(model)
        self.view = QTableView()
        self.view.setObjectName("queueView")
        self.view.setModel(self.proxy)
        self.view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.view.setSortingEnabled(True)
        self.view.setTabKeyNavigation(False)
        accessible(
            self.view,
            "Downloads",
            "Space pauses or resumes the selected download, Delete cancels it",
        )
        self.view.installEventFilter(self)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.verticalHeader().hide()
        self.view.setAlternatingRowColors(True)
        self.view.setItemDelegateForColumn(PROGRESS, ProgressDelegate(self.view))
        header = self.view.horizontalHeader()
        header.setStretchLastSection(False)
        header.resizeSection(MODEL, 260)
        header.resizeSection(PROGRESS, 140)
        header.resizeSection(DONE, 160)
        header.resizeSection(SPEED, 90)
        header.resizeSection(ETA, 64)
        header.resizeSection(STATE, 200)
        header.setSectionResizeMode(MODEL, QHeaderView.ResizeMode.Stretch)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.setWordWrap(False)  # one line a job: a long error is elided, its tooltip whole
        # A narrow window keeps the model, its progress and its state in sight.
        ColumnFitter(self.view, MODEL, (ETA, SPEED, DONE), stretch_min=150)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.selectionModel().selectionChanged.connect(self.refresh_buttons)
        model.dataChanged.connect(self.refresh_buttons)
        model.rowsInserted.connect(self.refresh_buttons)
        self._wanted: int | None = None  # asked for before the queue listed it
        self._shown: int | None = None  # kept in view when the rows move
        model.rowsInserted.connect(self._select_wanted)
        self.proxy.layoutChanged.connect(self._keep_in_view)
        model.rowsRemoved.connect(self.refresh_buttons)

        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        for action in JOB_ACTIONS:
            button = QPushButton(action.capitalize())
            button.setObjectName(f"queue-{action}")
            accessible(button, f"{action.capitalize()} the selected download")
            button.clicked.connect(lambda _=False, a=action: self._request(a))
            row.addWidget(button)
            self.buttons[action] = button
        row.addStretch(1)
        self.clear_button = QPushButton("Clear finished")
        self.clear_button.setObjectName("queue-clear")
        self.clear_button.clicked.connect(self.clear_requested)
        accessible(self.clear_button, "Clear finished downloads from the list")
        self.resume_bar = ResumeBar()
        row.addWidget(self.clear_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.resume_bar)
        layout.addWidget(self.view)
        layout.addLayout(row)
        self.refresh_buttons()

    def selected_job(self) -> JobRow | None:
        rows = self.view.selectionModel().selectedRows()
        if rows:
            return self.model.job_at(self.proxy.mapToSource(rows[0]).row())
        if self.model.rowCount() == 1:
            return self.model.job_at(0)
        return None

    def select_job(self, job_id: int) -> None:
        """Select the job and scroll it into view (a new download is never out of sight);
        a job the queue does not list yet is selected when it arrives."""
        row = self.model.row_of(job_id)
        if row is None:
            self._wanted = job_id
            return
        self._wanted = None
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        self.view.selectRow(index.row())
        self.view.scrollTo(index)
        self._shown = job_id

    def _keep_in_view(self, *_args: object) -> None:
        """Running jobs move to the top: the one just started stays in sight."""
        job = self.selected_job()
        if job is not None and job.job_id == self._shown:
            row = self.model.row_of(job.job_id)
            if row is not None:
                self.view.scrollTo(self.proxy.mapFromSource(self.model.index(row, 0)))

    def _select_wanted(self, *_args: object) -> None:
        if self._wanted is not None:
            self.select_job(self._wanted)

    def refresh_buttons(self, *_args: object) -> None:
        job = self.selected_job()
        allowed = allowed_actions(job) if job else set()
        for action, button in self.buttons.items():
            button.setEnabled(action in allowed)
        self.clear_button.setEnabled(any(j.finished for j in self.model.jobs()))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Space pauses or resumes the selected download, Delete cancels it."""
        plain = (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)
        if (
            watched is self.view
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.modifiers() in plain
        ):
            if event.key() == Qt.Key.Key_Space:
                self.toggle_selected()
                return True
            if event.matches(QKeySequence.StandardKey.Delete):
                self._request("cancel")
                return True
        return super().eventFilter(watched, event)

    def toggle_selected(self) -> None:
        job = self.selected_job()
        allowed = allowed_actions(job) if job else set()
        for action in ("pause", "resume"):
            if job is not None and action in allowed:
                self.action_requested.emit(action, job.job_id)
                return

    def _request(self, action: str) -> None:
        job = self.selected_job()
        if job is not None and action in allowed_actions(job):
            self.action_requested.emit(action, job.job_id)

    def _context_menu(self, point: QPoint) -> None:
        index = self.view.indexAt(point)
        if not index.isValid():
            return
        self.view.selectRow(index.row())
        job = self.model.job_at(self.proxy.mapToSource(index).row())
        menu = QMenu(self)
        for action in sorted(allowed_actions(job), key=JOB_ACTIONS.index):
            menu.addAction(
                action.capitalize(), partial(self.action_requested.emit, action, job.job_id)
            )
        if menu.actions():
            menu.exec(self.view.viewport().mapToGlobal(point))
