"""View > Plan for another computer: what this computer has, and the RAM and GPU memory
of another one to judge the models against (the window's `--ram` / `--vram`)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from clary_desktop.domain.memory_fit import MachineInfo
from clary_desktop.formatting import format_memory, format_size

GIB = 1024**3
#: (RAM, GPU memory) in bytes; None keeps what was detected.
Plan = tuple[int | None, int | None]


def machine_lines(machine: MachineInfo) -> list[tuple[str, str]]:
    """What was detected, as (label, value) rows."""
    ram = format_memory(machine.total_ram)
    if machine.available_ram is not None:
        ram += f" ({format_memory(machine.available_ram)} free now)"
    if machine.gpus:
        gpus = "; ".join(f"{gpu.name}: {format_memory(gpu.total_bytes)}" for gpu in machine.gpus)
        if machine.unified_memory:
            gpus += " (a share of the RAM: unified memory)"
    else:
        gpus = "none found"
    disk = format_size(machine.free_disk) + " free"
    return [("RAM", ram), ("GPU memory", gpus), ("Models drive", disk)]


class MachineDialog(QDialog):
    refresh_requested = Signal()  # detect this computer again

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("machineDialog")
        self.setWindowTitle("Plan for another computer")
        self.setMinimumWidth(520)

        detected = QGroupBox("This computer")
        self._detected = QFormLayout(detected)
        self._detected_values: dict[str, QLabel] = {}
        for label in ("RAM", "GPU memory", "Models drive"):
            value = QLabel("measuring…")
            value.setObjectName(f"machine-{label.split()[0].lower()}")
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self._detected.addRow(label, value)
            self._detected_values[label] = value
        self.refresh_button = QPushButton("Measure again")
        self.refresh_button.setObjectName("refreshMachine")
        self.refresh_button.setToolTip("Detect the RAM, GPUs and free disk space again")
        self.refresh_button.clicked.connect(self._refresh)
        refresh_row = QHBoxLayout()
        refresh_row.addWidget(self.refresh_button)
        refresh_row.addStretch(1)
        self._detected.addRow("", refresh_row)
        self._detected_values["GPU memory"].setToolTip(
            "NVIDIA GPUs are found through the nvidia-ml-py package and the driver; "
            "Apple Silicon shares its RAM with the GPU"
        )

        self.this_computer = QRadioButton("Judge the models against this computer")
        self.this_computer.setObjectName("planThisComputer")
        self.other_computer = QRadioButton("Plan for another computer:")
        self.other_computer.setObjectName("planOtherComputer")
        self.this_computer.setChecked(True)
        self.ram_given = QCheckBox("RAM")
        self.ram_given.setObjectName("planRamGiven")
        self.ram = self._gib_box("planRam", 16, low=0.5)
        self.vram_given = QCheckBox("GPU memory")
        self.vram_given.setObjectName("planVramGiven")
        self.vram_given.setToolTip("0 GiB: no GPU (the models run on the CPU)")
        self.vram = self._gib_box("planVram", 8, low=0)
        plan = QFormLayout()
        plan.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        plan.addRow(self.ram_given, self.ram)
        plan.addRow(self.vram_given, self.vram)
        note = QLabel("A value left unticked stays as this computer's.")
        note.setStyleSheet("color: #666;")
        other = QVBoxLayout()
        other.setContentsMargins(24, 0, 0, 0)
        other.addLayout(plan)
        other.addWidget(note)
        for widget in (self.other_computer, self.ram_given, self.vram_given):
            widget.toggled.connect(self._enable)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)

        layout = QVBoxLayout(self)
        layout.addWidget(detected)
        layout.addWidget(self.this_computer)
        layout.addWidget(self.other_computer)
        layout.addLayout(other)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(buttons)
        layout.addLayout(row)
        self._enable()

    def _gib_box(self, name: str, value: float, low: float) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setObjectName(name)
        box.setRange(low, 16_384)
        box.setDecimals(1)
        box.setSingleStep(1)
        box.setSuffix(" GiB")
        box.setValue(value)
        box.setMinimumWidth(120)
        return box

    def _enable(self) -> None:
        other = self.other_computer.isChecked()
        self.ram_given.setEnabled(other)
        self.vram_given.setEnabled(other)
        self.ram.setEnabled(other and self.ram_given.isChecked())
        self.vram.setEnabled(other and self.vram_given.isChecked())
        self.ok_button.setEnabled(
            not other or self.ram_given.isChecked() or self.vram_given.isChecked()
        )

    def _refresh(self) -> None:
        self.refresh_button.setEnabled(False)
        for value in self._detected_values.values():
            value.setText("measuring…")
        self.refresh_requested.emit()

    def show_machine(self, machine: MachineInfo) -> None:
        """What was detected (never the planned values)."""
        for label, text in machine_lines(machine):
            self._detected_values[label].setText(text)
        if machine.models_dir:
            self._detected_values["Models drive"].setToolTip(machine.models_dir)
        self.refresh_button.setEnabled(True)
        self.adjustSize()

    def set_plan(self, plan: Plan) -> None:
        ram, vram = plan
        self.other_computer.setChecked(ram is not None or vram is not None)
        self.this_computer.setChecked(ram is None and vram is None)
        self.ram_given.setChecked(ram is not None)
        self.vram_given.setChecked(vram is not None)
        if ram is not None:
            self.ram.setValue(ram / GIB)
        if vram is not None:
            self.vram.setValue(vram / GIB)
        self._enable()

    def plan(self) -> Plan:
        """The chosen overrides, in bytes; (None, None) for this computer."""
        if not self.other_computer.isChecked():
            return None, None
        ram = round(self.ram.value() * GIB) if self.ram_given.isChecked() else None
        vram = round(self.vram.value() * GIB) if self.vram_given.isChecked() else None
        return ram, vram

    def detected_text(self) -> str:
        return "\n".join(f"{k}: {v.text()}" for k, v in self._detected_values.items())
