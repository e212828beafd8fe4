"""The welcome panel: what the detail pane shows when no model is selected. It
recommends one starter model per task for the user's tier (the core's rule,
`Registry.starter_models`), each with its size, what it does and one Download button."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QTextDocumentFragment
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clary_desktop.domain.access import Tier
from clary_desktop.domain.model_views import ModelInfo
from clary_desktop.formatting import format_size
from clary_desktop.gui.keyboard import accessible

_ROW_STYLE = (
    "QFrame#starterRow { background: palette(base); border: 1px solid palette(mid);"
    " border-radius: 6px; }"
)


class StarterRow(QFrame):
    """One task's starter: "llm · Qwen2.5 1.5B Instruct · 1.12 GB", what it does, Download."""

    def __init__(self, info: ModelInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("starterRow")
        self.setStyleSheet(_ROW_STYLE)
        self.model_id = info.id
        self.installed = info.installed_version is not None
        heading = QLabel(
            f"<b>{escape(info.type)}</b> · {escape(info.name)} · {format_size(info.size_bytes)}"
        )
        heading.setObjectName("starterHeading")
        heading.setTextFormat(Qt.TextFormat.RichText)
        heading.setWordWrap(True)
        heading.setToolTip(f"{info.name}\n{info.id}")
        about = QLabel(info.description)
        about.setObjectName("starterAbout")
        about.setTextFormat(Qt.TextFormat.PlainText)
        about.setWordWrap(True)
        about.setStyleSheet("color: #555;")
        self.download = QPushButton("Download")
        self.download.setObjectName(f"starter-download-{info.id}")
        self.details = QPushButton("Details")
        self.details.setObjectName(f"starter-details-{info.id}")
        self.details.setFlat(True)
        # Said with the model's name: a screen reader hears one "Download" per task.
        accessible(self.download, f"Download {info.name}", info.description)
        accessible(self.details, f"Details of {info.name}")
        buttons = QHBoxLayout()
        buttons.addWidget(self.download)
        buttons.addWidget(self.details)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addWidget(heading)
        layout.addWidget(about)
        layout.addLayout(buttons)
        self.set_busy(False)

    def set_busy(self, busy: bool) -> None:
        """`busy`: a download of the model is under way."""
        if self.installed:
            self.download.setText("Installed")
        elif busy:
            self.download.setText("Downloading…")
        else:
            self.download.setText("Download")
        self.download.setEnabled(not self.installed and not busy)


class WelcomePanel(QWidget):
    download_requested = Signal(str)  # model id
    show_requested = Signal(str)  # model id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomePanel")
        self.rows: dict[str, StarterRow] = {}
        self._busy: set[str] = set()
        title = QLabel("Welcome to Clary Desktop")
        title.setObjectName("welcomeTitle")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        title.setFont(font)
        self.intro = QLabel(
            "Clary Desktop keeps the AI models your document pipeline uses on this computer. "
            "Start with one model per task: each downloads once, is checked, and then works "
            "offline."
        )
        self.intro.setWordWrap(True)
        self.heading = QLabel()
        self.heading.setObjectName("starterTitle")
        self.heading.setWordWrap(True)
        self._rows_layout = QVBoxLayout()
        self._rows_layout.setSpacing(8)
        footer = QLabel(
            "Select a model in the list to see its details, its card and what it needs. "
            "Help > Getting started explains the rest."
        )
        footer.setWordWrap(True)
        footer.setStyleSheet("color: #666;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 14, 14, 14)
        layout.addWidget(title)
        layout.addWidget(self.intro)
        layout.addSpacing(6)
        layout.addWidget(self.heading)
        layout.addLayout(self._rows_layout)
        layout.addWidget(footer)
        layout.addStretch(1)

    def set_starters(self, starters: list[ModelInfo], tier: Tier) -> None:
        while self._rows_layout.count():
            item = self._rows_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.rows.clear()
        self.heading.setText(
            f"<b>Recommended for your {escape(tier.label)} license</b>"
            if starters
            else "The catalog has no models for your license yet."
        )
        for info in starters:
            row = StarterRow(info, self)
            row.download.clicked.connect(lambda _=False, m=info.id: self.download_requested.emit(m))
            row.details.clicked.connect(lambda _=False, m=info.id: self.show_requested.emit(m))
            row.set_busy(info.id in self._busy)
            self._rows_layout.addWidget(row)
            self.rows[info.id] = row

    def set_busy(self, model_ids: set[str]) -> None:
        """Models with a download under way (their buttons say so)."""
        self._busy = set(model_ids)
        for model_id, row in self.rows.items():
            row.set_busy(model_id in self._busy)

    def text(self) -> str:
        """What the panel shows, as plain text (what a screen reader or a test reads)."""
        return "\n".join(
            label.text()
            if label.textFormat() == Qt.TextFormat.PlainText
            else QTextDocumentFragment.fromHtml(label.text()).toPlainText()
            for label in self.findChildren(QLabel)
            if label.isVisibleTo(self)
        )
