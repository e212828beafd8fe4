"""Free-space checks: before a job starts, and when a write hits ENOSPC; and what files
take on disk, counted one way for the storage report (CLI, window) and the status bar."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from clary_desktop.errors import ClaryError
from clary_desktop.formatting import format_size

#: Kept free beyond the download itself, so the system and the database can still write.
DEFAULT_MARGIN_BYTES = 256 * 1024 * 1024


class NotEnoughSpace(ClaryError):
    """The disk cannot hold the rest of the download; the job pauses, keeping the partial."""

    def __init__(self, need: int, free: int) -> None:
        super().__init__(
            f"not enough space: need {format_size(need)}, free {format_size(free)}. "
            "Free some disk space (or move the models folder), then resume the download."
        )
        self.need = need
        self.free = free


def free_bytes(folder: Path) -> int:
    """Free bytes on the filesystem holding `folder` (its nearest existing parent)."""
    probe = folder
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    return shutil.disk_usage(probe).free


def free_bytes_if_known(folder: Path) -> int | None:
    """`free_bytes`, or None when the disk cannot say (for figures shown, not checks)."""
    try:
        return free_bytes(folder)
    except OSError:
        return None


def ensure_space(folder: Path, remaining: int, margin: int = DEFAULT_MARGIN_BYTES) -> None:
    """Raise NotEnoughSpace unless `remaining` bytes plus the margin fit."""
    free = free_bytes(folder)
    need = remaining + margin
    if remaining > 0 and free < need:
        raise NotEnoughSpace(need=need, free=free)


def bytes_on_disk(stat: os.stat_result) -> int:
    """What a file takes on disk: its allocated blocks where the system reports them, and
    never more than its length. A partial download with parts is preallocated sparse to
    the full size; only the bytes written so far are on disk."""
    blocks: int | None = getattr(stat, "st_blocks", None)
    if blocks is None:  # Windows
        return stat.st_size
    return min(stat.st_size, blocks * 512)


def path_bytes_on_disk(path: Path) -> int:
    """`bytes_on_disk` of `path` itself (a symlink counts as the link); 0 when gone."""
    try:
        return bytes_on_disk(path.lstat())
    except OSError:
        return 0


def folder_bytes_on_disk(folder: Path) -> int:
    """`bytes_on_disk` of every file under `folder` (symlinks not followed)."""
    total = 0
    stack = [folder]
    while stack:
        try:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(Path(entry.path))
                    elif entry.is_file(follow_symlinks=False):
                        total += bytes_on_disk(entry.stat(follow_symlinks=False))
        except OSError:
            continue
    return total
