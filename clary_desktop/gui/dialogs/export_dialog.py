"""File > Export models: pick installed models and where the offline bundle goes."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class ExportDialog(QDialog):
    def __init__(
        self,
        installed: list[tuple[str, str, str]],
        selected: str | None,
        parent: QWidget | None = None,
    ) -> None:
        """`installed`: (model id, name, version) of each installed model."""
        super().__init__(parent)
        self.setObjectName("exportDialog")
        self.setWindowTitle("Export models")
        self.setMinimumSize(520, 400)
        intro = QLabel(
            "Write the chosen models into one offline bundle (a .tar file, or a "
            "folder) to carry to a machine without a network. The bundle lists "
            "every file's sha256; the other machine checks them all on import."
        )
        intro.setWordWrap(True)
        self.list = QListWidget()
        self.list.setObjectName("exportList")
        for model_id, name, version in installed:
            item = QListWidgetItem(f"{name} ({model_id} {version})")
            item.setData(Qt.ItemDataRole.UserRole, model_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(
                Qt.CheckState.Checked if model_id == selected else Qt.CheckState.Unchecked
            )
            self.list.addItem(item)
        self.target = QLineEdit()
        self.target.setObjectName("exportTarget")
        self.target.setPlaceholderText("bundle.tar, or an empty folder")
        as_tar = QPushButton("Save as…")
        as_tar.clicked.connect(self._browse_tar)
        as_folder = QPushButton("Folder…")
        as_folder.clicked.connect(self._browse_folder)
        row = QHBoxLayout()
        row.addWidget(self.target, 1)
        row.addWidget(as_tar)
        row.addWidget(as_folder)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b3261e;")
        self.error.setWordWrap(True)
        self.error.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _browse_tar(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Bundle file", "clary-models.tar", "Bundles (*.tar)"
        )
        if path:
            self.target.setText(path)

    def _browse_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Bundle folder")
        if path:
            self.target.setText(path)

    def chosen_ids(self) -> list[str]:
        return [
            self.list.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.list.count())
            if self.list.item(i).checkState() == Qt.CheckState.Checked
        ]

    def accept(self) -> None:
        if not self.chosen_ids():
            self.error.setText("Tick at least one model.")
        elif not self.target.text().strip():
            self.error.setText("Choose where the bundle goes.")
        else:
            super().accept()
            return
        self.error.show()
