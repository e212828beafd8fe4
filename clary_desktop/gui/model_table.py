"""The model list: a sortable QTableView over the catalog model, tier badges drawn by a
delegate; the window connects its signals. On a narrow list the Name column gives way
(elided) and Version, Type and Size step aside, so Tier and Status stay in sight."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableView

from clary_desktop.gui.column_fit import ColumnFitter
from clary_desktop.gui.keyboard import accessible
from clary_desktop.gui.models.catalog_model import (
    FITS,
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

COLUMN_WIDTHS = (
    (NAME, 300),
    (TYPE, 60),
    (VERSION, 64),
    (SIZE, 74),
    (TIER, 100),
    (STATUS, 128),
    (FITS, 96),
)
#: Hidden in this order while the list is too narrow for them and a readable name.
OPTIONAL_COLUMNS = (VERSION, TYPE, SIZE)


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
    ColumnFitter(table, NAME, OPTIONAL_COLUMNS)
    return table


class EmptyListNote(QLabel):
    """A sentence in the middle of the list when no row is shown, saying why and what to
    do; it follows the viewport's size."""

    def __init__(self, table: QTableView) -> None:
        super().__init__(table.viewport())
        self.setObjectName("emptyListNote")
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setStyleSheet("color: #666; padding: 24px;")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.hide()
        table.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self._fit()
        return False

    def _fit(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(0, 0, parent.width(), max(parent.height() // 2, 120))

    def show_text(self, text: str | None) -> None:
        """Show `text` over the empty list; None hides the note."""
        if text is None:
            self.hide()
            return
        self.setText(text)
        self._fit()
        self.show()


def empty_list_text(
    shown: int, total: int, search: str, locked: int, show_locked: bool
) -> str | None:
    """Why the list is empty, or None when it is not."""
    if shown:
        return None
    if not total:
        return (
            "The catalog has no models yet. Tools > Sync catalog… fetches the published one; "
            "File > Import catalog… reads a file."
        )
    words = f"No model matches “{search.strip()}”" if search.strip() else "No model matches"
    text = f"{words} with these filters. Clear the search or use Reset filters."
    if locked and not show_locked:
        text += f" {locked:,} locked model{'s are' if locked > 1 else ' is'} hidden."
    return text
