"""The model list: a sortable QTableView over the catalog model, tier badges drawn by a
delegate; the window connects its signals."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from clary_desktop.gui.models.catalog_model import (
    FITS,
    NAME,
    SIZE,
    STATUS,
    TIER,
    CatalogTableModel,
    LockedRole,
    TierRole,
)
from clary_desktop.gui.widgets.badges import TierBadgeDelegate

COLUMN_WIDTHS = ((NAME, 300), (1, 60), (2, 64), (SIZE, 74), (TIER, 108), (STATUS, 128), (FITS, 96))


def make_model_table(model: CatalogTableModel) -> QTableView:
    table = QTableView()
    table.setObjectName("modelTable")
    table.setModel(model)
    table.setSortingEnabled(True)
    table.sortByColumn(NAME, Qt.SortOrder.AscendingOrder)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.setShowGrid(False)
    vertical = table.verticalHeader()
    vertical.hide()
    vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    vertical.setDefaultSectionSize(table.fontMetrics().height() + 10)
    header = table.horizontalHeader()
    header.setHighlightSections(False)
    header.setStretchLastSection(False)
    header.setMinimumSectionSize(50)
    for column, width in COLUMN_WIDTHS:
        header.resizeSection(column, width)
    header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
    table.setItemDelegateForColumn(TIER, TierBadgeDelegate(TierRole, LockedRole, table))
    table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    return table
