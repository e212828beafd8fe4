"""Names in the order people expect ("Model 2" before "Model 10"): QCollator in numeric
mode, case-insensitive, in the user's locale. Every list that sorts names uses this.

The C/POSIX locale (a bare test or service environment) makes QCollator compare code
points, numeric mode included, so English rules stand in for it there.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import (
    QCollator,
    QLocale,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

Index = QModelIndex | QPersistentModelIndex
#: What a column sorts by when its text is not the right key (sizes, dates): the proxy
#: compares this role's values first, when a model gives them.
SortRole = Qt.ItemDataRole.UserRole + 50


def natural_collator() -> QCollator:
    """A new collator (QCollator is reentrant, not thread-safe: one per thread/use)."""
    locale = QLocale()
    if locale.language() == QLocale.Language.C:
        locale = QLocale(QLocale.Language.English)
    collator = QCollator(locale)
    collator.setNumericMode(True)
    collator.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    return collator


def natural_sorted(names: Sequence[str]) -> list[str]:
    return sorted(names, key=natural_collator().sortKey)


def name_ranks(names: Sequence[str]) -> list[int]:
    """Each name's place in natural order (equal names share a rank), so a list can sort
    by a plain int later; computing the keys is the costly part, done once per load."""
    collator = natural_collator()
    keys = [collator.sortKey(name) for name in names]
    order = sorted(range(len(names)), key=keys.__getitem__)
    ranks = [0] * len(names)
    rank = 0
    for n, position in enumerate(order):
        if n and keys[order[n - 1]] < keys[position]:
            rank += 1
        ranks[position] = rank
    return ranks


class NaturalSortProxy(QSortFilterProxyModel):
    """Sorts a table by any column: `SortRole` values when the model gives them, else
    the shown text in natural order. Until a header is clicked, the model's own order."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._collator = natural_collator()

    def lessThan(self, left: Index, right: Index) -> bool:
        a = left.data(SortRole)
        b = right.data(SortRole)
        if a is not None and b is not None and type(a) is type(b):
            return bool(a < b)
        text_a = left.data(Qt.ItemDataRole.DisplayRole)
        text_b = right.data(Qt.ItemDataRole.DisplayRole)
        return self._collator.compare(str(text_a or ""), str(text_b or "")) < 0
