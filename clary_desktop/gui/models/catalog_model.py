"""The model list: a QAbstractTableModel over every catalog row, filtered and sorted
in memory so a keystroke re-filters 100,000 rows in milliseconds."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from clary_desktop.domain.access import Tier
from clary_desktop.domain.memory_fit import VERDICT_WORDS, FitRow, MachineInfo
from clary_desktop.domain.model_status import PARTIAL_KEPT
from clary_desktop.domain.model_views import ModelRow
from clary_desktop.formatting import format_size
from clary_desktop.gui.fit_text import (
    FITTING,
    NOT_STORED,
    RANK,
    machine_summary,
    row_tooltip,
)
from clary_desktop.gui.icons import fit_icon, lock_icon
from clary_desktop.gui.models.filtering import FilterSpec, matches_status, row_status
from clary_desktop.gui.models.natural_sort import name_ranks, natural_sorted

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Name", "Type", "Version", "Size", "Tier", "Status", "Fits")
NAME, TYPE, VERSION, SIZE, TIER, STATUS, FITS = range(len(COLUMNS))
ModelIdRole = Qt.ItemDataRole.UserRole + 1
TierRole = Qt.ItemDataRole.UserRole + 2
LockedRole = Qt.ItemDataRole.UserRole + 3
LOCKED_COLOR = QColor("#9a9a9a")
_TIER_RANK = {t.key: int(t) for t in Tier}


class JobMark(NamedTuple):
    """What the list shows of a model's download: its state, percent done, and whether a
    stopped download's partial files are still on disk."""

    state: str
    percent: int | None
    partial_kept: bool = False


def _fit_key(fit: FitRow) -> int:
    """The verdict's rank first (fits GPU ... unknown), then the memory needed."""
    return (RANK[fit.verdict] << 62) + min(fit.total_bytes or 0, (1 << 62) - 1)


def _tier_rank(key: str) -> int:
    return _TIER_RANK.get(key, len(_TIER_RANK))


class CatalogTableModel(QAbstractTableModel):
    """Rows are `ModelRow`s; `_visible` holds the indices that pass the filter, in the
    current sort order (filtering keeps the order, so a keystroke never re-sorts)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[ModelRow] = []
        self._names: dict[str, str] = {}
        self._locked_counts: dict[str, int] | None = None
        self._ranks: list[int] = []
        self._name_ranks: list[int] = []
        self._order: list[int] = []
        self._visible: list[int] = []
        self._user_tier = Tier.LITE
        self._spec = FilterSpec()
        self._jobs: dict[str, JobMark] = {}
        self._sort_column = NAME
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._lock = lock_icon()
        #: Will it run here, per model id (`Registry.fits_for_rows`); absent: unknown.
        self._fits: dict[str, FitRow] = {}
        self._fit_machine: MachineInfo | None = None
        #: Per position in `_rows`: fits the computer, and the Fits column's sort key.
        #: Lists indexed like the rows keep the filter and the sort off the row objects,
        #: which a sorted order visits all over memory.
        self._fit_ok: list[bool] = []
        self._fit_keys: list[int] = []

    # ---- feeding -------------------------------------------------------------------

    def set_rows(
        self, rows: Sequence[ModelRow], user_tier: Tier, names: Sequence[int] | None = None
    ) -> None:
        """`names`: `name_ranks` of the rows' names, when computed off the GUI thread
        (natural order costs a collation key per name)."""
        ranks = list(names) if names is not None else name_ranks([r.name for r in rows])
        self.beginResetModel()
        self._rows = list(rows)
        self._names = {r.id: r.name for r in self._rows}
        self._locked_counts = None
        self._ranks = [_tier_rank(r.tier) for r in self._rows]
        self._name_ranks = ranks
        self._index_fits()
        self._user_tier = user_tier
        self._locked_counts = None
        self._order = self._sorted(range(len(self._rows)))
        self._visible = self._apply(self._order, self._spec)
        self.endResetModel()

    def set_user_tier(self, user_tier: Tier) -> None:
        self.beginResetModel()
        self._user_tier = user_tier
        self._locked_counts = None
        self._visible = self._apply(self._order, self._spec)
        self.endResetModel()

    def set_filter(self, spec: FilterSpec) -> None:
        if spec == self._spec:
            return
        source = self._visible if spec.narrows(self._spec) else self._order
        visible = self._apply(source, spec)
        self._spec = spec
        self.beginResetModel()
        self._visible = visible
        self.endResetModel()

    def set_jobs(self, jobs: dict[str, JobMark]) -> None:
        """The download shown per model id (active, failed, or stopped with files kept)."""
        if jobs == self._jobs:
            return
        self._jobs = dict(jobs)
        self._column_changed(STATUS, filtered=self._spec.status != "all")

    def _column_changed(self, column: int, filtered: bool) -> None:
        """A column's values changed: sort and filter again when they decide the order
        or what is shown (`filtered`), else repaint the column."""
        if filtered or self._sort_column == column:
            self.beginResetModel()
            if self._sort_column == column:
                self._order = self._sorted(range(len(self._rows)))
            self._visible = self._apply(self._order, self._spec)
            self.endResetModel()
        elif self._visible:
            self.dataChanged.emit(self.index(0, column), self.index(len(self._visible) - 1, column))

    def set_fits(self, fits: dict[str, FitRow], machine: MachineInfo | None) -> None:
        """The verdict of each model (from the database, computed off the GUI thread)
        against `machine` (the tooltips' words and the column header's)."""
        self._fits = fits
        self._fit_machine = machine
        self._index_fits()
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, FITS, FITS)
        self._column_changed(FITS, filtered=self._spec.fits_only)

    def _index_fits(self) -> None:
        get = self._fits.get
        fits = [get(row.id, NOT_STORED) for row in self._rows]
        self._fit_ok = [fit.verdict in FITTING for fit in fits]
        self._fit_keys = [_fit_key(fit) for fit in fits]

    def fit_of(self, model_id: str) -> FitRow:
        return self._fits.get(model_id, NOT_STORED)

    @property
    def fits(self) -> dict[str, FitRow]:
        return self._fits

    @property
    def filter_spec(self) -> FilterSpec:
        return self._spec

    @property
    def total(self) -> int:
        return len(self._rows)

    # ---- filtering and sorting -----------------------------------------------------

    def is_locked(self, position: int) -> bool:
        return self._ranks[position] > int(self._user_tier)

    def _status(self, position: int) -> str:
        row = self._rows[position]
        job = self._jobs.get(row.id)
        if job is None:
            return row_status(row, self.is_locked(position), None)
        return row_status(row, self.is_locked(position), job.state, job.partial_kept)

    def _apply(self, source: Sequence[int], spec: FilterSpec) -> list[int]:
        rows = self._rows
        selected = list(source)
        if not spec.show_locked:
            limit = int(self._user_tier)
            ranks = self._ranks
            selected = [i for i in selected if ranks[i] <= limit]
        if spec.types is not None:
            types = spec.types
            selected = [i for i in selected if rows[i].type in types]
        if spec.min_bytes is not None:
            low = spec.min_bytes
            selected = [i for i in selected if (rows[i].size_bytes or 0) >= low]
        if spec.max_bytes is not None:
            high = spec.max_bytes
            selected = [i for i in selected if (rows[i].size_bytes or 0) <= high]
        for tag in spec.tags:
            selected = [i for i in selected if tag in rows[i].tags]
        for word in spec.words:
            selected = [i for i in selected if word in rows[i].search_text]
        if spec.status != "all":
            selected = [i for i in selected if matches_status(spec.status, self._status(i))]
        if spec.fits_only:
            fit_ok = self._fit_ok
            selected = [i for i in selected if fit_ok[i]]
        return selected

    def _sort_key(self, column: int) -> Callable[[int], Any]:
        """Equal values (same type, tier, status) keep the rows in natural name order."""
        rows = self._rows
        names = self._name_ranks
        if column == TYPE:
            return lambda i: (rows[i].type, names[i])
        if column == VERSION:
            return lambda i: rows[i].version
        if column == SIZE:

            def size(i: int) -> int:
                size_bytes = rows[i].size_bytes
                return size_bytes if size_bytes is not None else -1

            return size
        if column == TIER:
            return lambda i: (self._ranks[i], names[i])
        if column == STATUS:
            return lambda i: (self._status(i), names[i])
        if column == FITS:
            fit_keys = self._fit_keys
            return lambda i: (fit_keys[i], names[i])
        return names.__getitem__

    def _sorted(self, positions: Sequence[int] | range) -> list[int]:
        reverse = self._sort_order == Qt.SortOrder.DescendingOrder
        return sorted(positions, key=self._sort_key(self._sort_column), reverse=reverse)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        self.layoutAboutToBeChanged.emit()
        old_visible = self._visible
        persistent = self.persistentIndexList()
        old_positions = [(p, old_visible[p.row()], p.column()) for p in persistent]
        self._sort_column, self._sort_order = column, order
        self._order = self._sorted(range(len(self._rows)))
        self._visible = self._apply(self._order, self._spec)
        where = {pos: n for n, pos in enumerate(self._visible)}
        self.changePersistentIndexList(
            persistent,
            [
                self.index(where[pos], col) if pos in where else QModelIndex()
                for _p, pos, col in old_positions
            ],
        )
        self.layoutChanged.emit()

    # ---- lookups -------------------------------------------------------------------

    def row_at(self, row: int) -> ModelRow:
        return self._rows[self._visible[row]]

    def row_for(self, model_id: str) -> int | None:
        for n, pos in enumerate(self._visible):
            if self._rows[pos].id == model_id:
                return n
        return None

    def model_row(self, model_id: str) -> ModelRow | None:
        for row in self._rows:
            if row.id == model_id:
                return row
        return None

    def name_of(self, model_id: str) -> str:
        """The model's display name; its id when the catalog does not hold it."""
        return self._names.get(model_id, model_id)

    def installed_rows(self) -> list[ModelRow]:
        """Every installed catalog entry, filtered or not, sorted by name."""
        installed = [i for i, r in enumerate(self._rows) if r.installed_version is not None]
        installed.sort(key=lambda i: (self._name_ranks[i], self._rows[i].id))
        return [self._rows[i] for i in installed]

    def locked_tiers(self) -> dict[str, int]:
        """How many catalog entries each tier above the user's holds (hidden or greyed);
        counted once per catalog load or tier change, not per keystroke."""
        if self._locked_counts is None:
            counts: dict[str, int] = {}
            for position, row in enumerate(self._rows):
                if self.is_locked(position):
                    counts[row.tier] = counts.get(row.tier, 0) + 1
            self._locked_counts = counts
        return dict(self._locked_counts)

    def tags(self) -> list[str]:
        return natural_sorted(list({t for r in self._rows for t in r.tags}))

    def status_of(self, row: int) -> str:
        return self._status(self._visible[row])

    # ---- QAbstractTableModel -------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._visible)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            if role == Qt.ItemDataRole.DisplayRole:
                return COLUMNS[section]
            if role == Qt.ItemDataRole.TextAlignmentRole and section == SIZE:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if role == Qt.ItemDataRole.ToolTipRole and section == FITS:
                machine = self._fit_machine
                return f"Will it run on {machine_summary(machine)}" if machine else None
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._visible):
            return None
        position = self._visible[index.row()]
        row = self._rows[position]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(position, row, column)
        if role == ModelIdRole:
            return row.id
        if role == TierRole:
            return row.tier
        if role == LockedRole:
            return self.is_locked(position)
        if role == Qt.ItemDataRole.ForegroundRole:
            return LOCKED_COLOR if self.is_locked(position) else None
        if role == Qt.ItemDataRole.DecorationRole and column == NAME:
            return self._lock if self.is_locked(position) else None
        if role == Qt.ItemDataRole.DecorationRole and column == FITS:
            return fit_icon(self.fit_of(row.id).verdict)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == SIZE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._spoken(position, row, column)
        if role == Qt.ItemDataRole.AccessibleDescriptionRole:
            tier = row.tier.capitalize()
            return f"{row.name}, {tier} tier, {self._display(position, row, STATUS)}"
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == FITS:
                return row_tooltip(self.fit_of(row.id), self._fit_machine)
            # The name first (a narrow column cuts it off), then the id the CLI takes.
            tip = f"{row.name}\n{row.id}" if column == NAME else row.id
            if self.is_locked(position):
                return f"{tip} — needs the {row.tier.capitalize()} tier"
            return tip
        return None

    def _spoken(self, position: int, row: ModelRow, column: int) -> str:
        """What a screen reader says for a cell: the lock icon and the tier badge are
        pictures, so they are said in words."""
        if column == NAME and self.is_locked(position):
            return f"{row.name}, locked"
        if column == TIER:
            return f"{row.tier.capitalize()} tier"
        return self._display(position, row, column)

    def _display(self, position: int, row: ModelRow, column: int) -> str:
        if column == NAME:
            return row.name
        if column == TYPE:
            return row.type
        if column == VERSION:
            return row.version
        if column == SIZE:
            return format_size(row.size_bytes)
        if column == TIER:
            return row.tier.capitalize()
        if column == FITS:
            return VERDICT_WORDS[self.fit_of(row.id).verdict]
        status = self._status(position)
        job = self._jobs.get(row.id)
        if status == "downloading" and job and job.percent is not None:
            return f"downloading {job.percent}%"
        if status == PARTIAL_KEPT and job and job.percent is not None:
            return f"{job.percent}% kept"
        if status == "locked":
            return f"locked ({row.tier.capitalize()})"
        return status
