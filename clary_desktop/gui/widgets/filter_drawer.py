"""The filter panel as a drawer on a narrow window: hidden to give the list its width,
opened and closed by a "Filters" button (or Ctrl+Shift+F); always open on a wide one."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QToolButton, QWidget

from clary_desktop.gui.keyboard import SHOW_FILTERS_KEY, accessible

#: Below this window width (device-independent pixels) the filters become a drawer.
NARROW_WIDTH = 1100


class FilterDrawer(QObject):
    def __init__(self, panel: QWidget, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.panel = panel
        self.narrow = False
        self.action = QAction("Show &filters", self)
        self.action.setObjectName("toggleFilters")
        self.action.setCheckable(True)
        self.action.setChecked(True)
        self.action.setShortcut(QKeySequence(SHOW_FILTERS_KEY))
        self.action.setToolTip(f"Show or hide the filters ({SHOW_FILTERS_KEY})")
        self.action.toggled.connect(self._toggled)
        self.button = QToolButton()
        self.button.setObjectName("filtersButton")
        self.button.setDefaultAction(self.action)
        self.button.setText("Filters")
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        accessible(self.button, "Filters", "Show or hide the filter panel")
        self.button.hide()

    def fit(self, window_width: int) -> None:
        """Open the panel on a wide window; on a narrow one, close it once (when the
        window becomes narrow) and leave it to the button from then on."""
        narrow = window_width < NARROW_WIDTH
        if narrow == self.narrow:
            return
        self.narrow = narrow
        self.button.setVisible(narrow)
        self.action.setChecked(not narrow)
        self.panel.setVisible(not narrow)

    def open(self) -> None:
        self.action.setChecked(True)

    def _toggled(self, shown: bool) -> None:
        if not self.narrow and not shown:
            self.action.setChecked(True)  # a wide window always shows the filters
            return
        self.panel.setVisible(shown)
        self.button.setText("Filters ◂" if shown and self.narrow else "Filters ▸")
        focus = QApplication.focusWidget()
        if not shown and focus is not None and self.panel.isAncestorOf(focus):
            self.button.setFocus()  # the keyboard is not lost with the panel
