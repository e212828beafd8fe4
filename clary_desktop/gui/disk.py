"""Disk figures for the status bar (worker thread only: they walk the disk)."""

from __future__ import annotations

from pathlib import Path

from clary_desktop.domain.disk_space import folder_bytes_on_disk, free_bytes_if_known


def disk_figures(models_dir: Path) -> tuple[int | None, int | None]:
    """(bytes the models folder takes on disk, bytes free on its drive)."""
    used = folder_bytes_on_disk(models_dir) if models_dir.is_dir() else 0
    return used, free_bytes_if_known(models_dir)
