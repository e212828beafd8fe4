"""What the filter panel asks for, and the plain-Python test each row must pass.

Filtering runs in memory over slim rows (`Registry.model_rows`): 100,000 substring
tests take a few milliseconds, far less than a database round trip per keystroke.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from clary_desktop.domain.model_status import (
    ACTIVE_JOB_STATES,
    FAILED,
    PARTIAL_KEPT,
    status_word,
)
from clary_desktop.domain.model_views import ModelRow

STATUS_CHOICES = ("all", "installed", "not installed", "updates", "downloading")


@dataclass(frozen=True)
class FilterSpec:
    text: str = ""
    types: frozenset[str] | None = None  # None: every type
    status: str = "all"
    min_bytes: int | None = None
    max_bytes: int | None = None
    tags: frozenset[str] = field(default_factory=frozenset)
    show_locked: bool = False
    #: Only models that fit this (or the planned) computer's memory.
    fits_only: bool = False

    @property
    def words(self) -> list[str]:
        return self.text.lower().split()

    def narrows(self, previous: FilterSpec) -> bool:
        """True when every row this spec accepts was accepted by `previous`, so the
        rows still shown can be filtered again instead of the whole catalog."""
        if self.fits_only != previous.fits_only:
            return False
        if (
            self.types,
            self.status,
            self.min_bytes,
            self.max_bytes,
            self.tags,
            self.show_locked,
        ) != (
            previous.types,
            previous.status,
            previous.min_bytes,
            previous.max_bytes,
            previous.tags,
            previous.show_locked,
        ):
            return False
        if self.status == "downloading":
            return False  # depends on the queue, which changes on its own
        old = previous.words
        new = self.words
        return all(any(o in n for n in new) for o in old)


def row_status(
    row: ModelRow, locked: bool, job_state: str | None, partial_kept: bool = False
) -> str:
    """The status word a row shows (`status_word`, with "unverified" added to "installed");
    `job_state` is the state of its download, if any; `partial_kept`: that download was
    stopped and its partial files are still on disk."""
    word = status_word(
        locked=locked,
        job_state=job_state,
        installed_version=row.installed_version,
        update_available=row.update_available,
        partial_kept=partial_kept,
    )
    return "installed, unverified" if word == "installed" and row.unverified else word


def update_available(row: ModelRow) -> bool:
    """The core decides (`ModelRow.update_available`); locked rows never reach this:
    their status is "locked"."""
    return row.update_available


def matches_status(wanted: str, status: str) -> bool:
    if wanted == "all":
        return True
    if wanted == "installed":
        return status in ("installed", "installed, unverified", "update available")
    if wanted == "not installed":
        return status in ("not installed", FAILED, PARTIAL_KEPT)
    if wanted == "updates":
        return status == "update available"
    if wanted == "downloading":
        return status in ACTIVE_JOB_STATES
    return True
