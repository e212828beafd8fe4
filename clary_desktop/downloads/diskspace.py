"""Free-space checks: before a job starts, and when a write hits ENOSPC."""

from __future__ import annotations

import shutil
from pathlib import Path

from clary_desktop.downloads.errors import NotEnoughSpace

#: Kept free beyond the download itself, so the system and the database can still write.
DEFAULT_MARGIN_BYTES = 256 * 1024 * 1024


def free_bytes(folder: Path) -> int:
    """Free bytes on the filesystem holding `folder` (its nearest existing parent)."""
    probe = folder
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    return shutil.disk_usage(probe).free


def ensure_space(folder: Path, remaining: int, margin: int = DEFAULT_MARGIN_BYTES) -> None:
    """Raise NotEnoughSpace unless `remaining` bytes plus the margin fit."""
    free = free_bytes(folder)
    need = remaining + margin
    if remaining > 0 and free < need:
        raise NotEnoughSpace(need=need, free=free)
