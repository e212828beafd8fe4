"""The detail pane's "Will it run here?" part: the memory estimate of the shown model
(weights, KV cache at the chosen context, overhead, total) against RAM and GPU memory,
the disk check, and "Check memory needs" when the catalog does not know the model's facts.

The numbers follow the parameters form as it is edited: the core's `assess` runs here, on the
facts the report carries, which takes microseconds (no file or network access).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from clary_desktop.domain.memory_fit import (
    Assessment,
    FitReport,
    FitVerdict,
    MachineInfo,
    MemoryEstimate,
    assess,
    chosen_gpu_layers,
    default_context,
    gpu_share,
)
from clary_desktop.domain.model_facts import FactsSource, ModelFacts
from clary_desktop.formatting import format_memory
from clary_desktop.gui.fit_text import COLORS, FITTING, HEADLINES, TITLES, verdict_line
from clary_desktop.gui.icons import fit_icon
from clary_desktop.gui.widgets.value_form import value_form

#: The parameters that change the estimate (the others leave it as it is).
MEMORY_PARAMETERS = frozenset({"context_length", "gpu_layers"})


def assess_at(facts: ModelFacts, machine: MachineInfo, parameters: Mapping[str, Any]) -> Assessment:
    """The core's `assess` at the form's `parameters` (as `Registry.fit` reads them)."""
    return assess(facts, machine, default_context(facts, parameters), chosen_gpu_layers(parameters))


class FitPanel(QGroupBox):
    check_requested = Signal(str)  # model id: read its facts from the file's header

    FIELDS = (
        ("weights", "Weights"),
        ("kv", "KV cache"),
        ("overhead", "Overhead"),
        ("on_gpu", "On the GPU"),
        ("total", "Total"),
        ("ram", "RAM"),
        ("gpu", "GPU memory"),
        ("machine", "Against"),
        ("disk", "Disk"),
    )

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Will it run here?", parent)
        self.setObjectName("fitPanel")
        self._model_id: str | None = None
        self._report: FitReport | None = None
        self._parameters: dict[str, Any] = {}
        self.verdict: FitVerdict | None = None

        #: A one-line verdict the detail pane shows next to the model's status.
        self.summary = QLabel()
        self.summary.setObjectName("fitSummary")
        # It gives way to the badges in a narrow pane (its tooltip has the whole verdict).
        self.summary.setMinimumWidth(1)
        self.icon = QLabel()
        self.verdict_label = QLabel()
        self.verdict_label.setObjectName("fitVerdict")
        self.reason = QLabel()
        self.reason.setObjectName("fitReason")
        self.reason.setWordWrap(True)
        self.reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        heading = QHBoxLayout()
        heading.addWidget(self.icon)
        heading.addWidget(self.verdict_label, 1)

        form, self.values, self._labels = value_form(self.FIELDS, "fit", wrap=True)
        self.values["total"].setStyleSheet("font-weight: 600;")

        self.check_button = QPushButton("Check memory needs")
        self.check_button.setObjectName("checkMemory")
        self.check_button.setToolTip(
            "Read the model's header on the server (a few small requests; the model is "
            "not downloaded)"
        )
        self.check_button.clicked.connect(self._check)
        self.check_button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.busy = QProgressBar()
        self.busy.setObjectName("fitBusy")
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.setMaximumHeight(10)
        self.busy.hide()
        self.problem = QLabel()
        self.problem.setObjectName("fitProblem")
        self.problem.setWordWrap(True)
        self.problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem.setStyleSheet("color: #b3261e;")
        self.problem.hide()
        check_row = QHBoxLayout()
        check_row.addWidget(self.check_button, 0, Qt.AlignmentFlag.AlignLeft)
        check_row.addWidget(self.busy, 1)

        layout = QVBoxLayout(self)
        layout.addLayout(heading)
        layout.addWidget(self.reason)
        layout.addLayout(form)
        layout.addLayout(check_row)
        layout.addWidget(self.problem)
        self.clear(None)

    @property
    def model_id(self) -> str | None:
        return self._model_id

    @property
    def report(self) -> FitReport | None:
        return self._report

    # ---- what the window feeds in --------------------------------------------------

    def clear(self, model_id: str | None) -> None:
        """A new model is shown: its report is on the way."""
        self._model_id = model_id
        self._report = None
        self._parameters = {}
        self._show_verdict(None, "Working out the memory this model needs…")
        for key in self.values:
            self._set(key, None)
        self.check_button.hide()
        self.set_busy(False)
        self.problem.hide()

    def show_report(self, report: FitReport, parameters: Mapping[str, Any]) -> None:
        """The core's answer (`Registry.fit`) at the model's saved `parameters`."""
        self._model_id = report.model_id
        self._report = report
        self._parameters = dict(parameters)
        self.problem.hide()
        self._show(report.estimate, report.verdict, report.reason)
        facts = report.facts
        self.check_button.setVisible(
            report.estimate is None and (facts is None or facts.source is FactsSource.MANIFEST)
        )

    def update_values(self, values: Mapping[str, Any]) -> None:
        """The parameters form changed: show the estimate at its values."""
        report = self._report
        if report is None or report.facts is None:
            return
        self._parameters = {**self._parameters, **values}
        self._show(*assess_at(report.facts, report.machine, self._parameters))

    def warning_for(self, values: Mapping[str, Any], changed: Iterable[str]) -> str | None:
        """A question to ask before saving `values` when they make the model too large
        for the computer; None when they fit (or do not touch its memory)."""
        report = self._report
        if report is None or report.facts is None or not MEMORY_PARAMETERS & set(changed):
            return None
        _estimate, verdict, reason = assess_at(report.facts, report.machine, values)
        if verdict is not FitVerdict.TOO_LARGE:
            return None
        was = "no longer fits" if report.verdict in FITTING else "does not fit"
        changes = ", ".join(
            f"{name.replace('_', ' ')} {values[name]:,}"
            for name in sorted(MEMORY_PARAMETERS & set(changed))
            if isinstance(values.get(name), int)
        )
        return (
            f"With {changes}, {report.model_id} {was} the memory of "
            f"{'the planned computer' if report.machine.overridden else 'this computer'}: "
            f"{reason}.\n\nSave these parameters anyway?"
        )

    def set_busy(self, busy: bool) -> None:
        """While the header is read: the button waits, a bar moves."""
        self.busy.setVisible(busy)
        self.check_button.setEnabled(not busy)
        if busy:
            self.problem.hide()
            self._show_verdict(None, "Reading the model's header on the server…")

    def show_problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.show()
        report = self._report
        if report is not None:
            self._show(report.estimate, report.verdict, report.reason)
        else:
            self._show_verdict(FitVerdict.UNKNOWN, "The memory needs cannot be worked out.")

    # ---- drawing -------------------------------------------------------------------

    def _show(self, estimate: MemoryEstimate | None, verdict: FitVerdict, reason: str) -> None:
        report = self._report
        assert report is not None
        self._show_verdict(verdict, reason)
        machine = report.machine
        gguf = estimate is not None and estimate.format == "gguf"
        self._labels["overhead"].setText("Overhead" if gguf or estimate is None else "Activations")
        if estimate is None:
            for key in ("weights", "kv", "overhead", "total"):
                self._set(key, None)
        else:
            self._set("weights", format_memory(estimate.weights_bytes))
            self._set(
                "kv",
                f"{format_memory(estimate.kv_cache_bytes)} at {estimate.context_length:,} tokens"
                if gguf and estimate.context_length
                else None,
            )
            self._set(
                "overhead",
                f"{format_memory(estimate.overhead_bytes)} "
                + ("(compute buffers)" if gguf else "(activations, 20% of the weights)"),
            )
            self._set("total", format_memory(estimate.total_bytes))
        self._set("on_gpu", self._on_gpu(estimate))
        ram = format_memory(machine.total_ram)
        if machine.available_ram is not None and not machine.overridden:
            ram += f", {format_memory(machine.available_ram)} free now"
        self._set("ram", ram)
        self._set("gpu", self._gpu_text(machine))
        self._set(
            "machine",
            "a planned computer (View > Plan for another computer)"
            if machine.overridden
            else "this computer",
        )
        self._set("disk", report.disk_reason)

    def _on_gpu(self, estimate: MemoryEstimate | None) -> str | None:
        report = self._report
        layers = chosen_gpu_layers(self._parameters)
        if (
            estimate is None
            or report is None
            or report.facts is None
            or layers is None
            or not report.facts.block_count
            or estimate.format != "gguf"
        ):
            return None
        blocks = report.facts.block_count
        share = gpu_share(estimate, layers, blocks)
        return f"{format_memory(share)} with gpu_layers {layers} of {blocks}"

    @staticmethod
    def _gpu_text(machine: MachineInfo) -> str:
        if not machine.gpus:
            return "none"
        names = ", ".join(gpu.name for gpu in machine.gpus if not gpu.planned)
        shown = format_memory(machine.gpu_bytes)
        if machine.unified_memory:
            shown += " of the RAM"
        return f"{shown} ({names})" if names else shown

    def _show_verdict(self, verdict: FitVerdict | None, reason: str) -> None:
        self.verdict = verdict
        self.reason.setText(reason)
        if verdict is None:
            self.icon.clear()
            self.verdict_label.setText("")
            self.summary.setText("")
            self.summary.setToolTip("")
            return
        color = COLORS[verdict]
        self.icon.setPixmap(fit_icon(verdict).pixmap(18, 18))
        self.verdict_label.setText(TITLES[verdict])
        self.verdict_label.setStyleSheet(f"color: {color}; font-weight: 600;")
        self.summary.setText(HEADLINES[verdict])
        self.summary.setStyleSheet(f"color: {color}; font-weight: 600;")
        self.summary.setToolTip(verdict_line(verdict, reason))

    def _set(self, key: str, text: str | None) -> None:
        self.values[key].setText(text or "—")
        shown = text is not None or key in ("weights", "total", "ram", "gpu", "machine")
        self.values[key].setVisible(shown)
        self._labels[key].setVisible(shown)

    def _check(self) -> None:
        if self._model_id is not None:
            self.check_requested.emit(self._model_id)

    def text(self) -> str:
        """What the panel shows, as text (for screen readers, tests and the pane's text)."""
        lines = [self.verdict_label.text(), self.reason.text()]
        lines += [
            f"{self._labels[key].text()}: {self.values[key].text()}"
            for key, _label in self.FIELDS
            if not self.values[key].isHidden()
        ]
        if not self.problem.isHidden():
            lines.append(self.problem.text())
        return "\n".join(line for line in lines if line)
