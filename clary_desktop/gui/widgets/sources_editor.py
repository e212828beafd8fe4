"""The list of download sources in the Settings dialog: add, remove, reorder, test.

It edits a copy of the list; the dialog saves it with the other settings. Testing a
source is network work: the editor only asks for it (`testRequested`), the window
runs it on a worker thread and hands the result back (`show_check`).
"""

from __future__ import annotations

from pydantic import ValidationError
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clary_desktop.domain.source_values import SourceCheck
from clary_desktop.settings import Source

_KINDS = {"hub": "Hugging Face Hub", "url": "URL mirror"}


def describe(source: Source) -> str:
    """One line of the list: name, kind, address (a token only as "with token")."""
    address = source.url or "the Hub endpoint set above"
    token = " (with token)" if source.token else ""
    return f"{source.name} — {_KINDS[source.kind]}: {address}{token}"


class SourcesEditor(QGroupBox):
    testRequested = Signal(object)  # the Source to test

    def __init__(self, sources: list[Source], parent: QWidget | None = None) -> None:
        super().__init__("Download sources (tried in this order)", parent)
        self._sources = list(sources)
        self.changed = False

        self.list = QListWidget()
        self.list.setObjectName("sourcesList")
        self.list.currentRowChanged.connect(self._update_buttons)
        self.up = self._button("Up", "sourceUp", lambda: self._move(-1))
        self.down = self._button("Down", "sourceDown", lambda: self._move(1))
        self.remove = self._button("Remove", "sourceRemove", self._remove)
        self.test = self._button("Test", "sourceTest", self._test)
        side = QVBoxLayout()
        for button in (self.up, self.down, self.remove, self.test):
            side.addWidget(button)
        side.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.list, 1)
        row.addLayout(side)

        self.new_name = QLineEdit()
        self.new_name.setObjectName("sourceName")
        self.new_name.setPlaceholderText("a short name, e.g. corp-mirror")
        self.new_kind = QComboBox()
        self.new_kind.setObjectName("sourceKind")
        for kind, label in _KINDS.items():
            self.new_kind.addItem(label, kind)
        self.new_url = QLineEdit()
        self.new_url.setObjectName("sourceAddress")
        self.new_url.setPlaceholderText("https://…")
        self.new_token = QLineEdit()
        self.new_token.setObjectName("sourceToken")
        self.new_token.setEchoMode(QLineEdit.EchoMode.Password)
        self.new_token.setPlaceholderText("Hub sources only; sent to this source alone")
        self.add = self._button("Add source", "sourceAdd", self._add)
        form = QFormLayout()
        form.addRow("Name", self.new_name)
        form.addRow("Kind", self.new_kind)
        form.addRow("Address", self.new_url)
        form.addRow("Token", self.new_token)
        form.addRow("", self.add)

        self.note = QLabel()
        self.note.setObjectName("sourceNote")
        self.note.setWordWrap(True)
        help_text = QLabel(
            "Each model file comes from the first source that has it. A URL mirror keeps "
            "the file of https://host/path at <address>/host/path (as wget -x saves it)."
        )
        help_text.setWordWrap(True)
        help_text.setTextFormat(Qt.TextFormat.PlainText)  # "<address>" is no tag

        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.note)
        layout.addLayout(form)
        layout.addWidget(help_text)
        self._refill(0)

    def _button(self, text: str, name: str, slot: object) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.clicked.connect(slot)
        return button

    def sources(self) -> list[Source]:
        return list(self._sources)

    def show_check(self, check: SourceCheck) -> None:
        """The result of a test the window ran."""
        self.test.setEnabled(self.list.currentRow() >= 0)
        self.note.setText(f"{check.name}: {check.state}. {check.detail}")

    # ---- editing --------------------------------------------------------------------

    def _refill(self, current: int) -> None:
        self.list.clear()
        for source in self._sources:
            self.list.addItem(QListWidgetItem(describe(source)))
        self.list.setCurrentRow(min(current, len(self._sources) - 1))
        self._update_buttons()

    def _update_buttons(self, *_args: object) -> None:
        row = self.list.currentRow()
        self.up.setEnabled(row > 0)
        self.down.setEnabled(0 <= row < len(self._sources) - 1)
        # Files need at least one place to come from.
        self.remove.setEnabled(row >= 0 and len(self._sources) > 1)
        self.test.setEnabled(row >= 0)

    def _move(self, step: int) -> None:
        row = self.list.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < len(self._sources):
            return
        self._sources[row], self._sources[target] = self._sources[target], self._sources[row]
        self.changed = True
        self._refill(target)

    def _remove(self) -> None:
        row = self.list.currentRow()
        if row < 0 or len(self._sources) <= 1:
            return
        removed = self._sources.pop(row)
        self.changed = True
        self.note.setText(f"Removed {removed.name}; Save keeps the change.")
        self._refill(row)

    def _add(self) -> None:
        name = self.new_name.text().strip()
        if any(s.name.lower() == name.lower() for s in self._sources):
            self.note.setText(f"There is already a source named {name}; choose another name.")
            return
        try:
            source = Source(
                name=name,
                kind=self.new_kind.currentData(),
                url=self.new_url.text().strip() or None,
                token=self.new_token.text().strip() or None,
            )
        except ValidationError as error:
            problem = error.errors(include_url=False)[0]
            where = ".".join(str(part) for part in problem["loc"]) or "source"
            message = problem["msg"].removeprefix("Value error, ")
            self.note.setText(f"Cannot add this source ({where}: {message}).")
            return
        self._sources.append(source)
        self.changed = True
        for edit in (self.new_name, self.new_url, self.new_token):
            edit.clear()
        self.note.setText(f"Added {source.name}; Save keeps the change.")
        self._refill(len(self._sources) - 1)

    def _test(self) -> None:
        row = self.list.currentRow()
        if row < 0:
            return
        source = self._sources[row]
        self.test.setEnabled(False)
        self.note.setText(f"Testing {source.name}…")
        self.testRequested.emit(source)
