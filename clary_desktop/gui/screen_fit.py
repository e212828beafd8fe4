"""The window on any screen: a first size inside the screen's available area (a laptop,
a scale factor of 2), a saved size that no longer fits brought back inside it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

#: Of the available area, what a first window takes at most (room for the desktop).
SHARE = 0.92


def available_area(window: QWidget) -> QRect | None:
    screen = window.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else None


def bounded_size(window: QWidget, wanted: QSize) -> QSize:
    """`wanted`, or smaller to fit the screen's available area (never below the
    window's minimum size)."""
    area = available_area(window)
    if area is None:
        return wanted
    size = wanted.boundedTo(QSize(int(area.width() * SHARE), int(area.height() * SHARE)))
    return size.expandedTo(window.minimumSize())


def first_size(window: QWidget, wanted: QSize) -> None:
    """Size the window `wanted`, or smaller to fit the screen, centred on it."""
    area = available_area(window)
    window.resize(bounded_size(window, wanted))
    if area is None:
        return
    frame = QRect(area.topLeft(), window.size())
    frame.moveCenter(area.center())
    window.move(frame.topLeft())


def keep_on_screen(window: QWidget) -> None:
    """Shrink and move the window (a saved geometry, another screen) to lie inside the
    screen's available area."""
    area = available_area(window)
    if area is None:
        return
    frame = window.frameGeometry()
    extra = frame.size() - window.size()  # title bar and borders, once shown
    if area.contains(frame):
        return
    size = window.size().boundedTo(area.size() - extra)
    window.resize(size.expandedTo(window.minimumSize()))
    frame = window.frameGeometry()
    left = min(max(frame.left(), area.left()), area.right() - frame.width() + 1)
    top = min(max(frame.top(), area.top()), area.bottom() - frame.height() + 1)
    window.move(max(left, area.left()), max(top, area.top()))


class OnScreen(QObject):
    """`keep_on_screen` once more when the window is first shown: only then are the
    title bar and borders known, which a saved or default size must leave room for."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        keep_on_screen(window)
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window and event.type() == QEvent.Type.Show:
            self._window.removeEventFilter(self)
            keep_on_screen(self._window)
        return False
