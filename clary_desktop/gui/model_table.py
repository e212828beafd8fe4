"""The model list: a sortable QTableView over the catalog model, tier badges drawn by a
delegate; the window connects its signals. On a narrow list the Name column gives way
(elided) and Version, Type and Size step aside, so Tier and Status stay in sight."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from clary_desktop.gui.keyboard import accessible
from clary_desktop.gui.models.catalog_model import (
    NAME,
    SIZE,
    STATUS,
    TIER,
    TYPE,
    VERSION,
    CatalogTableModel,
    LockedRole,
    TierRole,
)
from clary_desktop.gui.widgets.badges import TierBadgeDelegate

COLUMN_WIDTHS = ((NAME, 300), (TYPE, 60), (VERSION, 64), (SIZE, 74), (TIER, 100), (STATUS, 128))
#: Hidden in this order while the list is too narrow for them and a readable name.
OPTIONAL_COLUMNS = (VERSION, TYPE, SIZE)
NAME_MIN_WIDTH = 140


class ColumnFitter(QObject):
    """Hides the optional columns a narrow list has no room for, shows them again when
    it widens; the user's column widths are kept."""

    def __init__(self, table: QTableView) -> None:
        super().__init__(table)
        self.table = table
        header = table.horizontalHeader()
        self._widths = {c: header.sectionSize(c) for c in range(header.count())}
        header.sectionResized.connect(self._remember)
        table.installEventFilter(self)

    def _remember(self, column: int, _old: int, new: int) -> None:
        if new > 0 and column != NAME:
            self._widths[column] = new

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table and event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
            self.fit()
        return False

    def widths(self) -> list[int]:
        """Every column's width, the hidden ones' as they were when last shown."""
        header = self.table.horizontalHeader()
        return [
            self._widths.get(c, 0) if header.isSectionHidden(c) else header.sectionSize(c)
            for c in range(header.count())
        ]

    def fit(self) -> None:
        header = self.table.horizontalHeader()
        room = self.table.viewport().width()
        fixed = [c for c in range(header.count()) if c != NAME]
        needed = NAME_MIN_WIDTH + sum(self._widths.get(c, 0) for c in fixed)
        hide: set[int] = set()
        for column in OPTIONAL_COLUMNS:
            if needed <= room:
                break
            hide.add(column)
            needed -= self._widths.get(column, 0)
        for column in OPTIONAL_COLUMNS:
            if header.isSectionHidden(column) != (column in hide):
                header.setSectionHidden(column, column in hide)


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
    table.setTabKeyNavigation(False)  # Tab leaves the list; arrows move in it
    table.setTextElideMode(Qt.TextElideMode.ElideRight)
    accessible(
        table,
        "Models",
        "Each row: name, type, version, size, tier and status. Enter downloads or opens, "
        "Space pauses or resumes its download, Delete removes it",
    )
    ColumnFitter(table)
    return table


def column_widths(table: QTableView) -> list[int]:
    """The widths to save: a column hidden for want of room keeps its own."""
    fitter = table.findChild(ColumnFitter)
    if fitter is not None:
        return fitter.widths()
    header = table.horizontalHeader()
    return [header.sectionSize(c) for c in range(header.count())]
