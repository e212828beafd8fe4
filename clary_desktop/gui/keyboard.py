"""The window by keyboard alone: the shortcuts (one list, which the menus and Help >
Keyboard shortcuts both read), the tab order, accessible names, and a focus ring that
shows where the keyboard is."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterable, Sequence
from typing import cast

from PySide6.QtCore import QEvent, QRectF, Qt
from PySide6.QtGui import QKeySequence, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QFocusFrame,
    QFormLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QScrollArea,
    QStyle,
    QTabWidget,
    QWidget,
)

Key = QKeySequence.StandardKey

#: Each: the usual key plus the platform's own where it has one (some platforms, the
#: offscreen one among them, define no Quit or Preferences key at all).
SETTINGS_KEYS: tuple[Key | str, ...] = ("Ctrl+,", Key.Preferences)
QUIT_KEYS: tuple[Key | str, ...] = ("Ctrl+Q", Key.Quit)
RELOAD_KEYS: tuple[Key | str, ...] = ("F5", Key.Refresh)
FIND_KEYS: tuple[Key | str, ...] = ("Ctrl+F", Key.Find)
SHOW_FILTERS_KEY = "Ctrl+Shift+F"
_AUTO_NAME = "claryAutoName"


def key_text(key: QKeySequence | Key | str) -> str:
    """A key as the platform writes it (Ctrl+F, ⌘F)."""
    return QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText)


def keys_for(*keys: QKeySequence | Key | str) -> list[QKeySequence]:
    """Every binding of `keys` (a standard key may have several), without repeats."""
    found: list[QKeySequence] = []
    for key in keys:
        bindings = QKeySequence.keyBindings(key) if isinstance(key, Key) else [QKeySequence(key)]
        found.extend(b for b in bindings if not b.isEmpty() and b not in found)
    return found


def keys_text(keys: tuple[Key | str, ...]) -> str:
    """The first of `keys`, the one people know (the others are alternatives, such as a
    keyboard's own Find or Refresh key)."""
    found = keys_for(*keys)
    return key_text(found[0]) if found else ""


def keyboard_help() -> list[tuple[str, str]]:
    """(keys, what they do) for Help > Keyboard shortcuts."""
    return [
        (keys_text(FIND_KEYS), "Search the models"),
        ("Esc", "Clear the search (in the search field or the model list)"),
        (
            "Tab, Shift+Tab",
            "Move between the filters, the model list, the model's buttons and tabs, "
            "and the downloads",
        ),
        ("Up, Down, Page Up, Page Down", "Choose a model or a download in a list"),
        ("Enter", "Download the selected model, or open its folder when installed"),
        ("Space", "Pause or resume the selected download (in the model list or Downloads)"),
        ("Delete", "Remove the selected model; in Downloads, cancel the selected download"),
        ("Left, Right", "Switch between the Details, Usage and Performance tabs"),
        ("Alt+underlined letter", "Open a menu, or press a button"),
        (SHOW_FILTERS_KEY, "Show or hide the filters when the window is narrow"),
        (keys_text(SETTINGS_KEYS), "Settings"),
        (keys_text(RELOAD_KEYS), "Reload the catalog"),
        (keys_text(QUIT_KEYS), "Quit (asks first while downloads run)"),
    ]


def chain_tab_order(widgets: Iterable[QWidget | None]) -> None:
    """Tab visits `widgets` in this order (hidden and disabled ones are skipped)."""
    present = [w for w in widgets if w is not None]
    for first, second in itertools.pairwise(present):
        QWidget.setTabOrder(first, second)


def accessible(widget: QWidget, name: str, description: str = "") -> None:
    """What a screen reader says for `widget`: its name and, if given, a longer note."""
    widget.setAccessibleName(name)
    if description:
        widget.setAccessibleDescription(description)


class FocusRing(QFocusFrame):
    """A 2 px ring in the highlight colour around the widget that has the keyboard, in
    every style (the native focus marks are faint or missing in some)."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setObjectName("focusRing")
        self._window = window
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._follow)

    def _follow(self, _old: QWidget | None, new: QWidget | None) -> None:
        inside = new is not None and new.window() is self._window and new is not self._window
        self.setWidget(cast(QWidget, new if inside else None))  # None: no ring
        if inside:
            self.raise_()

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        kind = event.type()
        if kind in (QEvent.Type.Resize, QEvent.Type.Move, QEvent.Type.Show):
            # Some styles keep only a band outside the widget (which the parent clips
            # for a widget at its border) and stack the frame under it (where the
            # widget paints over it): the ring goes on top, on the widget's own edge.
            self.clearMask()
            self.raise_()
        return handled

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(self.palette().highlight().color(), 2)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        # On the widget's own edge (the frame reaches past it by the style's margins).
        style = self.style()
        h = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, self)
        v = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameVMargin, None, self)
        ring = QRectF(self.rect()).adjusted(h + 1, v + 1, -h - 1, -v - 1)
        painter.drawRoundedRect(ring, 3, 3)

    def disconnect_app(self) -> None:
        """Stop following the focus (the window is closing)."""
        app = QApplication.instance()
        if isinstance(app, QApplication):
            with contextlib.suppress(RuntimeError, TypeError):  # never connected
                app.focusChanged.disconnect(self._follow)


def layout_order(root: QWidget) -> list[QWidget]:
    """The widgets under `root` in the order its layouts place them (top to bottom, left
    to right), tab pages and scroll areas included: the reading order, whatever order
    the widgets were made in."""
    found: list[QWidget] = []

    def visit(widget: QWidget) -> None:
        found.append(widget)
        if isinstance(widget, QTabWidget):
            found.append(widget.tabBar())
            for page in range(widget.count()):
                page_widget = widget.widget(page)
                if page_widget is not None:
                    visit(page_widget)
        elif isinstance(widget, QScrollArea):
            inner = widget.widget()
            if inner is not None:
                visit(inner)
        layout = widget.layout()
        if layout is not None:
            walk(layout)

    def walk(layout: QLayout) -> None:
        for n in range(layout.count()):
            item = layout.itemAt(n)
            if item is None:
                continue
            child = item.widget()
            inner = item.layout()
            if child is not None:
                visit(child)
            elif inner is not None:
                walk(inner)

    layout = root.layout()
    if layout is not None:
        walk(layout)
    return found


def tab_stops(root: QWidget) -> list[QWidget]:
    """The widgets under `root` Tab can land on, in reading order."""
    return [
        w
        for w in layout_order(root)
        if w.focusPolicy() & Qt.FocusPolicy.TabFocus and w.focusProxy() is None
    ]


def name_from_text(root: QWidget) -> None:
    """Give each control under `root` that has no accessible name the words it shows:
    its form label, a button's text, its placeholder or tooltip (for controls made or
    relabelled on the fly, such as one field per parameter). Names given this way are
    given again on the next call, so they follow a button whose text changes."""
    labels: dict[QWidget, str] = {}
    for form in root.findChildren(QFormLayout):
        for row in range(form.rowCount()):
            label = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            field = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            if label is not None and field is not None:
                text_widget = label.widget()
                control = field.widget()
                if isinstance(text_widget, QLabel) and control is not None:
                    labels[control] = text_widget.text()
    for widget in root.findChildren(QWidget):
        if not widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
            continue
        if widget.accessibleName() and not widget.property(_AUTO_NAME):
            continue  # named on purpose
        text = labels.get(widget, "")
        if not text and isinstance(widget, QAbstractButton):
            text = widget.text().replace("&", "")
        if not text and isinstance(widget, QLineEdit):
            text = widget.placeholderText()
        if not text and isinstance(widget, QComboBox):
            text = widget.currentText()
        text = text or widget.toolTip()
        if text:
            widget.setAccessibleName(text)
            widget.setProperty(_AUTO_NAME, True)  # follows the text the next time


def focus_widgets(root: QWidget) -> Sequence[QWidget]:
    """The widgets under `root` a Tab can land on now (for tests and checks)."""
    return [
        w
        for w in root.findChildren(QWidget)
        if w.focusPolicy() & Qt.FocusPolicy.TabFocus
        and w.isVisibleTo(root)
        and w.isEnabled()
        and w.focusProxy() is None
    ]
