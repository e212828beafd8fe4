"""The dialogs' read-only row tables: whole-row selection, no editing, no row numbers."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QAbstractItemModel
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView


def make_rows_view(
    model: QAbstractItemModel,
    name: str,
    *,
    widths: Iterable[tuple[int, int]] = (),
    stretch: int | None = None,
    word_wrap: bool = True,
) -> QTableView:
    """A table over `model` named `name`: `widths` are (column, pixels), `stretch` the
    column that takes the rest of the width."""
    view = QTableView()
    view.setObjectName(name)
    view.setModel(model)
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
