"""The detail pane's usage and performance parts: "Use for <task>", the parameters
form and the performance figures with a chart of recent runs.

These widgets only show values and emit requests; the window calls the Registry off
the GUI thread and feeds the results back.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from clary_desktop.domain.pipeline_values import (
    RUNTIME_PARAMETERS,
    ModelPerformance,
    parameter_label,
)
from clary_desktop.formatting import format_count, format_size
from clary_desktop.gui.widgets.latency_chart import LatencyChart, format_latency
from clary_desktop.gui.widgets.value_form import value_form

ERROR_STYLE = "color: #b3261e;"
INVALID_FIELD_STYLE = "QAbstractSpinBox { border: 2px solid #b3261e; border-radius: 3px; }"
_FLOAT_DECIMALS = 2
_HINTS = {
    "context_length": "tokens the model sees at once",
    "batch_size": "tokens processed per step",
    "max_new_tokens": "longest answer, in tokens",
    "threads": "CPU threads",
    "gpu_layers": "layers offloaded to the GPU",
    "temperature": "randomness (0: deterministic)",
    "top_p": "nucleus sampling cut-off",
}


class UseForBox(QWidget):
    """ "Use for <task>": makes the shown model the default of its type's task."""

    use_requested = Signal(str, str)  # task, model id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model_id: str | None = None
        self._task = ""
        self.button = QPushButton("Use for …")
        self.button.setObjectName("useFor")
        self.button.clicked.connect(self._request)
        self.state = QLabel()
        self.state.setObjectName("useForState")
        self.state.setWordWrap(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.button)
        layout.addWidget(self.state, 1)

    def show_usage(
        self,
        model_id: str,
        task: str,
        default_for: list[str],
        current: str | None,
        blocked: str | None,
    ) -> None:
        """`default_for`: the tasks this model is selected for; `current`: the model now
        selected for `task` (if another); `blocked`: why it cannot be selected, if so."""
        self._model_id = model_id
        self._task = task
        self.button.setText(f"Use for {task}")
        is_default = task in default_for
        self.button.setEnabled(blocked is None and not is_default)
        self.button.setToolTip(blocked or f"Make this the model the {task} task uses")
        if default_for:
            self.state.setText("Default model for: " + ", ".join(default_for))
            self.state.setStyleSheet("color: #2e7d32; font-weight: 600;")
        elif blocked:
            self.state.setText(blocked)
            self.state.setStyleSheet("color: #666;")
        else:
            self.state.setText(
                f"The {task} task uses {current}."
                if current
                else f"No model is selected for the {task} task yet."
            )
            self.state.setStyleSheet("color: #666;")

    def _request(self) -> None:
        if self._model_id is not None:
            self.use_requested.emit(self._task, self._model_id)


class ParametersForm(QGroupBox):
    """Spin boxes for the settable parameters (`RUNTIME_PARAMETERS`) the model has, bounded
    by what the model is known to allow, and an "Add" list for the others. The core
    validates on Save; its message shows here and the field it names is marked."""

    save_requested = Signal(str, dict)  # model id, changed values
    reset_requested = Signal(str)  # model id
    dirty_changed = Signal(bool)  # unsaved edits appeared / went
    values_changed = Signal(dict)  # every shown value, as the user edits them

    TITLE = "Parameters"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.TITLE, parent)
        self.setObjectName("parametersForm")
        self._model_id: str | None = None
        self._stored: dict[str, Any] = {}
        self._facts: dict[str, Any] = {}
        self._limits: dict[str, tuple[float, float]] = {}
        self._dirty = False
        self.boxes: dict[str, QSpinBox | QDoubleSpinBox] = {}

        self._rows = QFormLayout()
        self._rows.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        self.facts_label = QLabel()
        self.facts_label.setObjectName("parameterFacts")
        self.facts_label.setWordWrap(True)
        self.facts_label.setStyleSheet("color: #666;")
        self.add_box = QComboBox()
        self.add_box.setObjectName("addParameter")
        self.add_box.activated.connect(self._add_chosen)
        self.error = QLabel()
        self.error.setObjectName("parametersError")
        self.error.setWordWrap(True)
        self.error.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Room for two lines, always: a message coming or going never moves Save away
        # from under the pointer.
        self._error_height = self.error.fontMetrics().lineSpacing() * 2 + 2
        self.error.setMinimumHeight(self._error_height)
        self.save_button = QPushButton("Save")
        self.save_button.setObjectName("saveParameters")
        self.save_button.clicked.connect(self._save)
        self.reset_button = QPushButton("Reset")
        self.reset_button.setObjectName("resetParameters")
        self.reset_button.setToolTip("Go back to the catalog's values")
        self.reset_button.clicked.connect(self._reset)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_box, 1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.reset_button)

        layout = QVBoxLayout(self)
        layout.addLayout(self._rows)
        layout.addWidget(self.facts_label)
        layout.addWidget(self.error)
        layout.addLayout(buttons)

    def set_reset_available(self, available: bool) -> None:
        if not available:
            self.reset_button.setToolTip("Discard the changes not saved yet")

    def show_parameters(
        self,
        model_id: str,
        effective: dict[str, Any],
        limits: dict[str, tuple[float, float]] | None = None,
        keep_edits: bool = True,
    ) -> None:
        """Show `effective` (the stored values) of `model_id`. Edits not saved yet survive
        a refresh of the same model unless `keep_edits` is False (after Save and Reset)."""
        same = model_id == self._model_id
        keep_error = same and bool(self.error.text())
        edits = self.changed_values() if same and keep_edits else {}
        if not same:
            self.error.setMinimumHeight(self._error_height)
        self._model_id = model_id
        if limits is not None or not same:
            self._limits = dict(limits or {})
        self._stored = {k: v for k, v in effective.items() if k in RUNTIME_PARAMETERS}
        self._facts = {k: v for k, v in effective.items() if k not in RUNTIME_PARAMETERS}
        while self._rows.rowCount():
            self._rows.removeRow(0)
        self.boxes.clear()
        for name in RUNTIME_PARAMETERS:
            if name in self._stored or name in edits:
                self._add_row(name, self._stored.get(name, edits.get(name)))
        for name, value in edits.items():
            self._set_box(self.boxes[name], value)
        self._fill_add_box()
        facts = ", ".join(f"{parameter_label(k).lower()}: {v}" for k, v in self._facts.items())
        self.facts_label.setText(f"Facts of the model: {facts}" if facts else "")
        self.facts_label.setVisible(bool(facts))
        if not keep_error:
            self.clear_error()
        self._update_dirty()

    def range_of(self, name: str) -> tuple[float, float]:
        _kind, low, high = RUNTIME_PARAMETERS[name]
        return self._limits.get(name, (low, high))

    def _add_row(self, name: str, value: Any) -> None:
        kind, _low, _high = RUNTIME_PARAMETERS[name]
        low, high = self.range_of(name)
        box: QSpinBox | QDoubleSpinBox
        if kind is int:
            box = QSpinBox()
            box.setRange(int(low), int(high))
            box.setGroupSeparatorShown(True)
        else:
            box = QDoubleSpinBox()
            box.setDecimals(_FLOAT_DECIMALS)
            box.setSingleStep(0.05)
            box.setRange(float(low), float(high))
        box.setObjectName(f"param-{name}")
        box.setAccelerated(True)
        box.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToNearestValue)
        box.setMinimumWidth(110)
        box.setToolTip(f"{_HINTS.get(name, name)} ({low:,g} to {high:,g})")
        self._set_box(box, value)
        box.valueChanged.connect(lambda _value, n=name: self._edited(n))
        self._rows.addRow(parameter_label(name), box)
        self.boxes[name] = box

    @staticmethod
    def _set_box(box: QSpinBox | QDoubleSpinBox, value: Any) -> None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            if isinstance(box, QSpinBox):
                box.setValue(int(value))  # what Qt makes of a float given to a QSpinBox
            else:
                box.setValue(float(value))

    def _fill_add_box(self) -> None:
        self.add_box.clear()
        missing = [n for n in RUNTIME_PARAMETERS if n not in self.boxes]
        self.add_box.addItem("Add a parameter…" if missing else "All parameters shown", None)
        for name in missing:
            self.add_box.addItem(parameter_label(name), name)
        self.add_box.setEnabled(bool(missing))

    def _add_chosen(self, index: int) -> None:
        name = self.add_box.itemData(index)
        if name and name not in self.boxes:
            low, _high = self.range_of(name)
            self._add_row(name, low)
            self._fill_add_box()
            self.values_changed.emit(self.values())
            self.boxes[name].setFocus()
            self._update_dirty()

    def values(self) -> dict[str, Any]:
        return {name: box.value() for name, box in self.boxes.items()}

    def changed_values(self) -> dict[str, Any]:
        return {k: v for k, v in self.values().items() if self._stored.get(k) != v}

    def has_unsaved(self) -> bool:
        return bool(self._model_id is not None and self.changed_values())

    def _edited(self, name: str) -> None:
        self.boxes[name].setStyleSheet("")
        self.clear_error()
        self._update_dirty()
        self.values_changed.emit(self.values())

    def _update_dirty(self) -> None:
        dirty = self.has_unsaved()
        self.setTitle(f"{self.TITLE} — unsaved changes" if dirty else self.TITLE)
        if dirty != self._dirty:
            self._dirty = dirty
            self.dirty_changed.emit(dirty)

    def _save(self) -> None:
        if self._model_id is None:
            return
        changed = self.changed_values()
        if not changed:
            self.show_note("Nothing changed.")
            return
        self.save_requested.emit(self._model_id, changed)

    def _reset(self) -> None:
        if self._model_id is not None:
            self.reset_requested.emit(self._model_id)

    def show_error(self, text: str, parameter: str | None = None) -> None:
        """The core's refusal; the field it names gets a red frame and the focus."""
        self.error.setText(text)
        self.error.setStyleSheet(ERROR_STYLE)
        box = self.boxes.get(parameter) if parameter else None
        if box is not None:
            box.setStyleSheet(INVALID_FIELD_STYLE)
            box.setFocus(Qt.FocusReason.OtherFocusReason)
            box.selectAll()

    def show_note(self, text: str) -> None:
        self.error.setText(text)
        self.error.setStyleSheet("color: #2e7d32;")

    def clear_error(self) -> None:
        # A longer message made the line taller: keep that height while this model shows.
        if self.error.text() and self.error.isVisible():
            self.error.setMinimumHeight(max(self._error_height, self.error.height()))
        self.error.clear()

    def invalid_fields(self) -> list[str]:
        return [name for name, box in self.boxes.items() if box.styleSheet()]

    @property
    def error_text(self) -> str:
        return self.error.text()


def verification_text(perf: ModelPerformance) -> str:
    """When the files were last found intact, in local time, and how long it took."""
    if perf.installed_version is None:
        return "—"
    if perf.verified_at is None:
        return "not yet (use Verify; files without a listed sha256 cannot be checked)"
    when = perf.verified_at.astimezone().strftime("%Y-%m-%d %H:%M")
    took = f", took {perf.verify_seconds:.1f} s" if perf.verify_seconds is not None else ""
    return f"{when}: all files intact{took}"


class PerformanceSection(QGroupBox):
    """Disk use, last download speed, verification time, GGUF facts, reported runs."""

    FIELDS = (
        ("size", "Size on disk"),
        ("speed", "Last download speed"),
        ("verify", "Last verified"),
        ("architecture", "Architecture"),
        ("quantization", "Quantization"),
        ("context", "Context length"),
        ("parameter_count", "Parameters"),
        ("runs", "Runs"),
        ("failures", "Failures"),
        ("median", "Median latency"),
        ("p95", "p95 latency"),
        ("throughput", "Mean throughput"),
    )
    GGUF_FIELDS = ("architecture", "quantization", "context", "parameter_count")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Performance", parent)
        self.setObjectName("performanceSection")
        form, self.values, self._labels = value_form(self.FIELDS, "perf")
        self.values["verify"].setWordWrap(True)
        self.chart = LatencyChart()
        self.chart_caption = QLabel("Recent runs")
        self.chart_caption.setStyleSheet("color: #666;")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.chart_caption)
        layout.addWidget(self.chart)

    def show_performance(self, perf: ModelPerformance) -> None:
        v = self.values
        v["size"].setText(
            format_size(perf.size_on_disk) if perf.size_on_disk is not None else "not installed"
        )
        speed = perf.download_bytes_per_second
        v["speed"].setText(f"{format_size(int(speed))}/s" if speed else "—")
        v["verify"].setText(verification_text(perf))
        gguf = perf.gguf
        for key in self.GGUF_FIELDS:
            self.values[key].setVisible(gguf is not None)
            self._labels[key].setVisible(gguf is not None)
        if gguf is not None:
            v["architecture"].setText(gguf.architecture or "—")
            v["quantization"].setText(gguf.quantization or "—")
            v["context"].setText(f"{gguf.context_length:,} tokens" if gguf.context_length else "—")
            count = format_count(gguf.parameter_count)
            if gguf.size_label and count == "—":
                count = gguf.size_label
            v["parameter_count"].setText(count)
        runs = perf.runs
        v["runs"].setText(f"{runs.runs:,}")
        v["failures"].setText(f"{runs.failures:,}")
        v["median"].setText(format_latency(runs.median_latency_ms))
        v["p95"].setText(format_latency(runs.p95_latency_ms))
        v["throughput"].setText(
            f"{runs.mean_throughput:,.1f}/s" if runs.mean_throughput is not None else "—"
        )
        self.chart.set_runs([(r.latency_ms, r.success) for r in runs.recent])

    def text(self) -> str:
        return "\n".join(
            f"{label}: {self.values[key].text()}"
            for key, label in self.FIELDS
            if not self.values[key].isHidden()
        )
