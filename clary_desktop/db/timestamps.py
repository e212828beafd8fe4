"""Datetimes read back from the database: SQLite stores no time zone, so they come back
naive, and everything the program writes is UTC. Every reader goes through `as_utc`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...
def as_utc(value: datetime | None) -> datetime | None:
    """`value` as an aware UTC datetime (a naive one is UTC; an aware one is kept)."""
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
