"""A form of read-only figures: a muted label and a selectable value per row, as the
detail pane's Performance and "Will it run here?" sections show them."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel

MUTED = "color: #666;"


def value_form(
    fields: Sequence[tuple[str, str]], prefix: str, wrap: bool = False
) -> tuple[QFormLayout, dict[str, QLabel], dict[str, QLabel]]:
    """(the form, its values by key, its labels by key); values start as "—" and are
    named `{prefix}-{key}`."""
    form = QFormLayout()
    form.setHorizontalSpacing(14)
    form.setVerticalSpacing(3)
    values: dict[str, QLabel] = {}
    labels: dict[str, QLabel] = {}
    for key, text in fields:
        value = QLabel("—")
        value.setObjectName(f"{prefix}-{key}")
        value.setWordWrap(wrap)
        value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label = QLabel(text)
        label.setStyleSheet(MUTED)
        form.addRow(label, value)
        values[key] = value
        labels[key] = label
    return form, values, labels
