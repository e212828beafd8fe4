"""The Usage view (View > Model usage): which model each document-processing task uses."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clary_desktop.domain.pipeline_values import UsageInfo
from clary_desktop.gui.dialogs.rows_view import make_rows_view
from clary_desktop.gui.models.usage_model import MODEL, PATH, TASK, VERSION, UsageTableModel


class UsageDialog(QDialog):
    refresh_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("usageDialog")
        self.setWindowTitle("Model usage")
        self.resize(820, 300)
        self.model = UsageTableModel(self)
        intro = QLabel(
            "The model each document-processing task uses. Pick one with "
            '"Use for" in a model\'s Usage tab.'
        )
        intro.setWordWrap(True)
        self.view = make_rows_view(
            self.model,
            "usageTable",
            word_wrap=False,
            widths=((TASK, 80), (MODEL, 230), (VERSION, 70)),
            stretch=PATH,
        )
        self.empty = QLabel("The catalog has no models, so there is no task to choose for.")
        self.empty.setStyleSheet("color: #666;")
        self.empty.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh_requested)
        buttons.addButton(refresh, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.empty)
        layout.addWidget(buttons)

    def set_usages(self, usages: Sequence[UsageInfo | tuple[str, str]]) -> None:
        self.model.set_usages(usages)
        self.empty.setVisible(not usages)
