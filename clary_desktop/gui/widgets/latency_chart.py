"""A small bar chart of the recent runs' latencies, painted with QPainter (no QtCharts)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

OK_COLOR = QColor("#1565c0")
FAILED_COLOR = QColor("#b3261e")
GRID_COLOR = QColor("#d0d0d0")
TEXT_COLOR = QColor("#666666")


def format_latency(ms: float | None) -> str:
    if ms is None:
        return "—"
    if ms < 1:
        return f"{ms:.2f} ms"
    if ms < 1000:
        return f"{ms:.0f} ms"
    if ms < 60_000:
        return f"{ms / 1000:.2f} s"
    return f"{ms / 60_000:.1f} min"


class LatencyChart(QWidget):
    """One bar per run, oldest on the left; failed runs in red. `set_runs` takes
    (latency_ms, success) pairs."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("latencyChart")
        self._runs: list[tuple[float, bool]] = []
        self.setMinimumHeight(90)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip("Latency of the most recent runs (red: failed)")

    def sizeHint(self) -> QSize:
        return QSize(240, 96)

    def set_runs(self, runs: Sequence[tuple[float, bool]]) -> None:
        self._runs = [(float(ms), bool(ok)) for ms, ok in runs]
        self.update()

    @property
    def runs(self) -> list[tuple[float, bool]]:
        return list(self._runs)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            metrics = self.fontMetrics()
            area = QRectF(self.rect()).adjusted(1, 1, -1, -1)
            if not self._runs:
                painter.setPen(TEXT_COLOR)
                painter.drawText(area, Qt.AlignmentFlag.AlignCenter, "No runs reported yet")
                return
            peak = max(ms for ms, _ in self._runs) or 1.0
            label = format_latency(peak)
            label_width = metrics.horizontalAdvance(label) + 6
            plot = area.adjusted(label_width, metrics.height() / 2, -2, -2)
            painter.setPen(QPen(GRID_COLOR, 1))
            painter.drawLine(plot.bottomLeft(), plot.bottomRight())
            painter.drawLine(plot.topLeft(), plot.topRight())
            painter.setPen(TEXT_COLOR)
            painter.drawText(
                QRectF(
                    area.left(),
                    plot.top() - metrics.height() / 2,
                    label_width - 4,
                    metrics.height(),
                ),
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                label,
            )
            slot = plot.width() / max(len(self._runs), 10)
            gap = min(2.0, slot / 4)
            painter.setPen(Qt.PenStyle.NoPen)
            for i, (ms, ok) in enumerate(self._runs):
                height = max(1.0, plot.height() * ms / peak)
                bar = QRectF(
                    plot.left() + i * slot + gap / 2,
                    plot.bottom() - height,
                    max(1.0, slot - gap),
                    height,
                )
                painter.setBrush(OK_COLOR if ok else FAILED_COLOR)
                painter.drawRect(bar)
        finally:
            painter.end()
