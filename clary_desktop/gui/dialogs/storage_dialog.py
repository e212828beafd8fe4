"""View > Storage: disk use per model, partial downloads, orphans, missing installs;
Reclaim and Move models folder."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clary_desktop.domain.storage_values import StorageReport
from clary_desktop.formatting import format_size
from clary_desktop.gui.dialogs.rows_view import make_rows_view
from clary_desktop.gui.models.storage_model import (
    KIND,
    NOTE,
    SIZE,
    WHAT,
    StorageTableModel,
    rows_of,
)


class StorageDialog(QDialog):
    refresh_requested = Signal()
    reclaim_requested = Signal()
    move_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("storageDialog")
        self.setWindowTitle("Storage")
        self.resize(900, 440)
        self.model = StorageTableModel(self)
        self.summary = QLabel("Measuring…")
        self.summary.setObjectName("storageSummary")
        self.summary.setWordWrap(True)
        self.view = make_rows_view(
            self.model,
            "storageTable",
            word_wrap=False,
            widths=((KIND, 70), (WHAT, 280), (SIZE, 80)),
            stretch=NOTE,
        )
        self.reclaim_button = QPushButton("Reclaim")
        self.reclaim_button.setObjectName("reclaimStorage")
        self.reclaim_button.setEnabled(False)
        self.reclaim_button.clicked.connect(self.reclaim_requested)
        self.move_button = QPushButton("Move models folder…")
        self.move_button.setObjectName("moveModels")
        self.move_button.clicked.connect(self.move_requested)
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh_requested)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        for button in (self.reclaim_button, self.move_button, refresh):
            buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)
        self.report: StorageReport | None = None

    def set_report(self, report: StorageReport, name_of: Callable[[str], str] = str) -> None:
        self.report = report
        self.model.set_rows(rows_of(report, name_of))
        free = f", {format_size(report.free_bytes)} free" if report.free_bytes is not None else ""
        reclaimable = report.reclaimable_bytes
        missing = len(report.missing)
        parts = [
            f"Models folder {report.models_dir}: {len(report.models)} installed model(s), "
            f"{format_size(report.installed_bytes)}{free}."
        ]
        if reclaimable:
            parts.append(
                f"{format_size(reclaimable)} can be reclaimed ({len(report.reclaimable)} file(s))."
            )
        if missing:
            parts.append(f"{missing} install(s) have missing files: verify or download them again.")
        self.summary.setText(" ".join(parts))
        self.reclaim_button.setEnabled(bool(report.reclaimable))
        self.reclaim_button.setText(
            f"Reclaim {format_size(reclaimable)}" if reclaimable else "Reclaim"
        )
