"""Disk figures for the status bar (worker thread only: they walk the disk)."""

from __future__ import annotations

import os
from pathlib import Path

from clary_desktop.domain.disk_space import free_bytes_if_known


def folder_size(folder: Path) -> int:
    """Bytes under `folder`."""
    total = 0
    stack = [folder]
    while stack:
        try:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(Path(entry.path))
                    elif entry.is_file(follow_symlinks=False):
                        total += entry.stat(follow_symlinks=False).st_size
        except OSError:
            continue
    return total


def disk_figures(models_dir: Path) -> tuple[int | None, int | None]:
    """(bytes used by the models, bytes free on their drive)."""
    used = folder_size(models_dir) if models_dir.is_dir() else 0
    return used, free_bytes_if_known(models_dir)
