"""The Usage view (View > Model usage): which model each document-processing task uses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from clary_desktop.gui.models.usage_model import MODEL, PATH, TASK, VERSION, UsageTableModel


class UsageDialog(QDialog):
    refresh_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("usageDialog")
        self.setWindowTitle("Model usage")
        self.resize(820, 300)
        self.model = UsageTableModel(self)
        intro = QLabel("The model each document-processing task uses. Pick one with "
                       "\"Use for\" in a model's Usage tab.")
        intro.setWordWrap(True)
        self.view = QTableView()
        self.view.setObjectName("usageTable")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().hide()
        self.view.setWordWrap(False)
        header = self.view.horizontalHeader()
        for column, width in ((TASK, 80), (MODEL, 230), (VERSION, 70)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(PATH, QHeaderView.ResizeMode.Stretch)
        self.empty = QLabel("No task has a model selected yet.")
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

    def set_usages(self, usages: Sequence[Any]) -> None:
        self.model.set_usages(usages)
        self.empty.setVisible(not usages)
