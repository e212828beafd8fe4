"""What every group of window actions shares: the window, its tasks and the Registry."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from clary_desktop.app import Registry

if TYPE_CHECKING:
    from clary_desktop.gui.main_window import MainWindow
    from clary_desktop.gui.tasks import Tasks


class WindowActions(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window

    @property
    def tasks(self) -> Tasks:
        return self.window.tasks

    def registry(self) -> Registry:
        """The Registry, or a plain ClaryError while the catalog is still opening."""
        return self.window.require_registry()

    def show_message(self, text: str, timeout_ms: int = 8000) -> None:
        self.window.show_message(text, timeout_ms)

    def stop(self) -> None:
        """Called once when the window shuts down: stop timers, close dialogs' work."""
