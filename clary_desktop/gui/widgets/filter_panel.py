"""The filter panel: search text, types, status, size range, tags, locked toggle.

Every change emits a complete `FilterSpec` at once; the table filters in memory, so
there is no debounce and the list follows the keyboard.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clary_desktop.gui.keyboard import accessible
from clary_desktop.gui.models.filtering import STATUS_CHOICES, FilterSpec

#: The units the list shows sizes in (`format_size`: decimal, as the Hub lists files).
SIZE_UNITS = (("MB", 1_000_000), ("GB", 1_000_000_000))


class FilterPanel(QWidget):
    changed = Signal(object)  # FilterSpec
    plan_requested = Signal()  # "Plan for another computer…"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("filterPanel")
        self._type_boxes: dict[str, QCheckBox] = {}
        self._quiet = False

        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setPlaceholderText("Search name, id, tags, description")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._emit)
        accessible(self.search, "Search models", "Filters the list as you type; Esc clears it")
        clear = QShortcut(QKeySequence(Qt.Key.Key_Escape), self.search)
        clear.setContext(Qt.ShortcutContext.WidgetShortcut)
        clear.activated.connect(self.search.clear)

        self._types_group = QGroupBox("Type")
        self._types_layout = QVBoxLayout(self._types_group)
        self._types_layout.setSpacing(2)

        self.status = QComboBox()
        self.status.setObjectName("statusFilter")
        for choice in STATUS_CHOICES:
            self.status.addItem(choice.capitalize(), choice)
        self.status.currentIndexChanged.connect(self._emit)
        accessible(self.status, "Status filter", "Show all models, or only those in one state")

        self.min_size = self._size_box("minSize")
        self.max_size = self._size_box("maxSize")
        self.size_unit = QComboBox()
        self.size_unit.setObjectName("sizeUnit")
        for unit, factor in SIZE_UNITS:
            self.size_unit.addItem(unit, factor)
        self.size_unit.setCurrentText("GB")
        self.size_unit.currentIndexChanged.connect(self._emit)
        accessible(self.size_unit, "Size unit", "MB or GB, for the two sizes")
        size_row = QHBoxLayout()
        size_row.addWidget(self.min_size, 1)
        size_row.addWidget(QLabel("to"))
        size_row.addWidget(self.max_size, 1)
        size_row.addWidget(self.size_unit)

        self.tags = QLineEdit()
        self.tags.setObjectName("tags")
        self.tags.setPlaceholderText("e.g. gguf, instruct")
        self._tag_model = QStringListModel(self)
        completer = QCompleter(self._tag_model, self)
        completer.setCaseSensitivity(completer.caseSensitivity().CaseInsensitive)
        self.tags.setCompleter(completer)
        self.tags.textChanged.connect(self._emit)
        accessible(self.tags, "Tags filter", "Comma-separated tags every shown model has")

        self.show_locked = QCheckBox("Show locked models")
        self.show_locked.setObjectName("showLocked")
        self.show_locked.setToolTip("Also list models your license tier does not include")
        self.show_locked.toggled.connect(self._emit)
        accessible(self.show_locked, "Show locked models", self.show_locked.toolTip())

        self.fits_only = QCheckBox("Only models that fit this computer")
        self.fits_only.setObjectName("fitsOnly")
        self.fits_only.setToolTip(
            "Hide the models too large for this computer's memory, and those whose memory "
            "needs are not known yet"
        )
        self.fits_only.toggled.connect(self._emit)
        accessible(self.fits_only, "Only models that fit this computer", self.fits_only.toolTip())
        self.fit_machine = QLabel()
        self.fit_machine.setObjectName("fitMachine")
        self.fit_machine.setWordWrap(True)
        self.fit_machine.setStyleSheet("color: #666;")
        self.fit_machine.setTextFormat(Qt.TextFormat.RichText)
        self.fit_machine.linkActivated.connect(lambda _link: self.plan_requested.emit())
        self.set_fit_machine("this computer (not measured yet)")

        self.reset_button = QPushButton("Reset filters")
        self.reset_button.setObjectName("resetFilters")
        self.reset_button.clicked.connect(self.reset)
        accessible(self.reset_button, "Reset filters")

        form = QFormLayout()
        form.addRow("Status", self.status)
        form.addRow("Size", size_row)
        form.addRow("Tags", self.tags)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.search)
        layout.addWidget(self._types_group)
        layout.addLayout(form)
        layout.addWidget(self.show_locked)
        layout.addWidget(self.fits_only)
        layout.addWidget(self.fit_machine)
        layout.addWidget(self.reset_button)
        layout.addStretch(1)

    def _size_box(self, name: str) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setObjectName(name)
        box.setRange(0, 100_000)
        box.setDecimals(1)
        box.setSingleStep(0.5)
        box.setSpecialValueText("any")
        box.valueChanged.connect(self._emit)
        low = name == "minSize"
        accessible(
            box,
            "Smallest size" if low else "Largest size",
            "any: no limit",
        )
        return box

    def set_types(self, types: list[str]) -> None:
        """One checkbox per model type the catalog holds, all ticked."""
        self._quiet = True
        for box in self._type_boxes.values():
            box.deleteLater()
        self._type_boxes.clear()
        for model_type in types:
            box = QCheckBox(model_type)
            box.setObjectName(f"type-{model_type}")
            box.setChecked(True)
            box.toggled.connect(self._emit)
            accessible(box, f"Show {model_type} models")
            self._types_layout.addWidget(box)
            self._type_boxes[model_type] = box
        self._quiet = False

    def set_tags(self, tags: list[str]) -> None:
        self._tag_model.setStringList(tags)

    def set_fit_machine(self, summary: str) -> None:
        """Which computer "fits" means (`fit_text.machine_summary`), and a link to change it."""
        self.fit_machine.setText(
            f'Against {escape(summary)}. <a href="plan">Plan for another computer…</a>'
        )

    def type_box(self, model_type: str) -> QCheckBox:
        return self._type_boxes[model_type]

    def spec(self) -> FilterSpec:
        checked = frozenset(t for t, box in self._type_boxes.items() if box.isChecked())
        types = None if len(checked) == len(self._type_boxes) else checked
        tags = frozenset(t.strip() for t in self.tags.text().split(",") if t.strip())
        low = self.min_size.value()
        high = self.max_size.value()
        unit = int(self.size_unit.currentData())
        return FilterSpec(
            text=self.search.text(),
            types=types,
            status=str(self.status.currentData()),
            min_bytes=int(low * unit) if low > 0 else None,
            max_bytes=int(high * unit) if high > 0 else None,
            tags=tags,
            show_locked=self.show_locked.isChecked(),
            fits_only=self.fits_only.isChecked(),
        )

    def reset(self) -> None:
        self._quiet = True
        self.search.clear()
        for box in self._type_boxes.values():
            box.setChecked(True)
        self.status.setCurrentIndex(0)
        self.min_size.setValue(0)
        self.max_size.setValue(0)
        self.tags.clear()
        self.show_locked.setChecked(False)
        self.fits_only.setChecked(False)
        self._quiet = False
        self._emit()

    def _emit(self) -> None:
        if not self._quiet:
            self.changed.emit(self.spec())
