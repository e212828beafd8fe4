"""Icons: the application icon from resources/icons; the small lock drawn in code."""

from __future__ import annotations

import logging
from functools import cache

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPen, QPixmap

from clary_desktop.domain.memory_fit import FitVerdict
from clary_desktop.gui.fit_text import COLORS
from clary_desktop.resources import ResourcesMissingError, resource_path

log = logging.getLogger(__name__)


@cache
def lock_icon() -> QIcon:
    pixmap = QPixmap(32, 32)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    color = QColor("#8a8a8a")
    painter.setPen(QPen(color, 3.5))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawArc(QRectF(9, 3, 14, 16), 0, 180 * 16)
    painter.drawLine(9, 11, 9, 15)
    painter.drawLine(23, 11, 23, 15)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QBrush(color))
    painter.drawRoundedRect(QRectF(5, 14, 22, 16), 3, 3)
    painter.end()
    return QIcon(pixmap)


@cache
def fit_icon(verdict: FitVerdict) -> QIcon:
    """A coloured disc: a tick (fits GPU, fits RAM), a cross (too large), a bar (unknown)."""
    pixmap = QPixmap(32, 32)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QBrush(QColor(COLORS[verdict])))
    painter.drawEllipse(QRectF(2, 2, 28, 28))
    pen = QPen(QColor("white"), 4)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    painter.setPen(pen)
    if verdict in (FitVerdict.FITS_GPU, FitVerdict.FITS_RAM):
        painter.drawPolyline([QPointF(9, 16.5), QPointF(14, 21.5), QPointF(23, 11)])
    elif verdict is FitVerdict.TOO_LARGE:
        painter.drawLine(QPointF(11, 11), QPointF(21, 21))
        painter.drawLine(QPointF(21, 11), QPointF(11, 21))
    else:
        painter.drawLine(QPointF(10, 16), QPointF(22, 16))
    painter.end()
    return QIcon(pixmap)


@cache
def app_icon() -> QIcon:
    """The program's icon, from resources/icons (the SVG, with the PNG sizes beside it for
    platforms whose icon code prefers bitmaps)."""
    try:
        folder = resource_path("icons")
    except ResourcesMissingError:  # a broken install: no icon rather than no window
        log.warning("The resources folder is missing; the window has no icon")
        return QIcon()
    icon = QIcon()
    svg = folder / "clary-desktop.svg"
    if svg.is_file():
        icon.addFile(str(svg))
    for size in (16, 32, 48, 64, 128, 256):
        png = folder / f"clary-desktop-{size}.png"
        if png.is_file():
            icon.addFile(str(png), QSize(size, size))
    if icon.isNull():
        log.warning("No application icon found in %s", folder)
    return icon
