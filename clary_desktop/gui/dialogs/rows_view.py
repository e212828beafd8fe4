"""The dialogs' read-only row tables: whole-row selection, no editing, no row numbers."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from clary_desktop.gui.models.natural_sort import NaturalSortProxy


def make_rows_view(
    model: QAbstractItemModel,
    name: str,
    *,
    widths: Iterable[tuple[int, int]] = (),
    stretch: int | None = None,
    word_wrap: bool = True,
) -> QTableView:
    """A table over `model` named `name`: `widths` are (column, pixels), `stretch` the
    column that takes the rest of the width. A header click sorts (names in natural
    order); until then the rows keep the model's order."""
    view = QTableView()
    view.setObjectName(name)
    proxy = NaturalSortProxy(view)
    proxy.setSourceModel(model)
    view.setModel(proxy)
    view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
    view.setSortingEnabled(True)
    view.setTabKeyNavigation(False)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().hide()
    view.setWordWrap(word_wrap)
    header = view.horizontalHeader()
    for column, width in widths:
        header.resizeSection(column, width)
    if stretch is not None:
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return view
