"""Tables that fit a narrow window: one column stretches (its text elided) and the
less needed columns step aside, rather than a horizontal scrollbar hiding the rest."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QTableView


class ColumnFitter(QObject):
    """Hides the `optional` columns (in that order) a narrow table has no room for
    beside a readable `stretch` column, and shows them again when it widens; the
    user's column widths are kept."""

    def __init__(
        self,
        table: QTableView,
        stretch: int,
        optional: Sequence[int],
        stretch_min: int = 140,
    ) -> None:
        super().__init__(table)
        self.table = table
        self.stretch = stretch
        self.optional = tuple(optional)
        self.stretch_min = stretch_min
        header = table.horizontalHeader()
        self._widths = {c: header.sectionSize(c) for c in range(header.count())}
        header.sectionResized.connect(self._remember)
        table.installEventFilter(self)

    def _remember(self, column: int, _old: int, new: int) -> None:
        hidden = self.table.horizontalHeader().isSectionHidden(column)
        if new > 0 and column != self.stretch and not hidden:
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
        fixed = [c for c in range(header.count()) if c != self.stretch]
        needed = self.stretch_min + sum(self._widths.get(c, 0) for c in fixed)
        hide: set[int] = set()
        for column in self.optional:
            if needed <= room:
                break
            hide.add(column)
            needed -= self._widths.get(column, 0)
        for column in self.optional:
            if header.isSectionHidden(column) != (column in hide):
                header.setSectionHidden(column, column in hide)


def column_widths(table: QTableView) -> list[int]:
    """The widths to save: a column hidden for want of room keeps its own."""
    fitter = table.findChild(ColumnFitter)
    if fitter is not None:
        return fitter.widths()
    header = table.horizontalHeader()
    return [header.sectionSize(c) for c in range(header.count())]
