"""Adding up file sizes when some may be unknown."""

from __future__ import annotations

from collections.abc import Iterable


def known_total(sizes: Iterable[int | None]) -> int | None:
    """The sum of `sizes`, or None when any of them is unknown."""
    total = 0
    for size in sizes:
        if size is None:
            return None
        total += size
    return total
