"""Storage > Move models folder: where to, and whether to keep the old copy."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class MoveModelsDialog(QDialog):
    def __init__(self, current: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("moveModelsDialog")
        self.setWindowTitle("Move the models folder")
        self.setMinimumWidth(660)
        self._current = current
        intro = QLabel(
            f"The models are in {current}. Every file is copied to the new folder and read "
            "back before the switch; if anything fails, the old folder stays in use as it is."
        )
        intro.setWordWrap(True)
        self.target = QLineEdit()
        self.target.setObjectName("moveTarget")
        self.target.setPlaceholderText("An empty or new folder, e.g. on another drive")
        self.target.textChanged.connect(self._check)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.target, 1)
        row.addWidget(browse)
        self.keep_old = QCheckBox("Keep the old copy (delete it yourself later)")
        self.keep_old.setObjectName("keepOldCopy")
        self.keep_old.setToolTip(
            "Without this, the old folder is deleted once every file has been copied and verified."
        )
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.move_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.move_button.setText("Move")
        self.move_button.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(row)
        layout.addWidget(self.keep_old)
        layout.addWidget(self.buttons)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Move the models folder to", str(self._current.parent)
        )
        if folder:
            self.target.setText(folder)

    def _check(self, text: str) -> None:
        self.move_button.setEnabled(bool(text.strip()))

    def chosen(self) -> tuple[Path, bool]:
        return Path(self.target.text().strip()).expanduser(), self.keep_old.isChecked()
