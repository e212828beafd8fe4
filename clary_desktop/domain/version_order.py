"""Ordering of model versions: PEP 440 where the text allows (so 1.10.0 > 1.9.0),
otherwise a natural order that compares digit runs as numbers."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TypeVar

from packaging.version import InvalidVersion, Version

T = TypeVar("T")
_DIGITS = re.compile(r"(\d+)")

# (1, the PEP 440 version, ()) or (0, Version("0"), the natural-order parts).
VersionKey = tuple[int, Version, tuple[tuple[int, int, str], ...]]


def version_key(text: str) -> VersionKey:
    """Sort key: every PEP 440 version sorts after every non-PEP 440 text."""
    try:
        return (1, Version(text), ())
    except InvalidVersion:
        parts = tuple(
            (0, int(p), "") if p.isdigit() else (1, 0, p.lower()) for p in _DIGITS.split(text) if p
        )
        return (0, Version("0"), parts)


def newest(items: Iterable[T], key: Callable[[T], str]) -> T:
    return max(items, key=lambda item: version_key(key(item)))


def sort_versions(
    items: Iterable[T], key: Callable[[T], str], newest_first: bool = True
) -> list[T]:
    return sorted(items, key=lambda item: version_key(key(item)), reverse=newest_first)


def rollback_target(active: str | None, kept: Iterable[str]) -> str | None:
    """The version a rollback switches to: the newest kept version older than the active
    one. None when nothing is active or nothing older is kept."""
    if active is None:
        return None
    older = [v for v in kept if version_key(v) < version_key(active)]
    return max(older, key=version_key) if older else None


def versions_to_prune(active: str | None, kept: Iterable[str], keep_previous: int) -> list[str]:
    """The kept versions a prune removes: every inactive one beyond the newest
    `keep_previous` others (newest first). Nothing while no version is active."""
    if active is None:
        return []
    others = sort_versions([v for v in kept if v != active], key=str)
    return others[max(0, keep_previous) :]
