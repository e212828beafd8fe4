"""Adding up file sizes when some may be unknown; reading memory sizes users type."""

from __future__ import annotations

import re
from collections.abc import Iterable


def known_total(sizes: Iterable[int | None]) -> int | None:
    """The sum of `sizes`, or None when any of them is unknown."""
    total = 0
    for size in sizes:
        if size is None:
            return None
        total += size
    return total


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$", re.IGNORECASE)
_FACTORS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def parse_memory_size(text: str) -> int:
    """A memory size as users write it (16GB, 16 GiB, 8g, 512MB, 1.5TB, 0, or bytes), in
    bytes. Memory is sold in binary sizes, so GB and GiB both mean 2**30 bytes.
    ValueError with plain words."""
    match = _SIZE.match(text)
    if not match:
        raise ValueError(
            f"{text!r} is not a size; write it like 16GB, 8GiB, 512MB or a number of bytes"
        )
    number, unit = match.groups()
    factor = _FACTORS[(unit or "").lower().rstrip("b").rstrip("i")]
    return int(float(number) * factor)
