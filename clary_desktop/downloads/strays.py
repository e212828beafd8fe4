"""What counts as a stray partial: a `.part` file under the models folder that no
unfinished download (queued, running, paused) will resume. The download list, the
storage report and both ways to reclaim space read this one rule."""

from __future__ import annotations

from pathlib import Path

from clary_desktop.domain.download_values import StrayPartial
from clary_desktop.domain.layout import PART_SUFFIX, target_paths
from clary_desktop.downloads.store import JobStore
from clary_desktop.errors import ClaryError


def resumable_partials(store: JobStore, root: Path) -> set[Path]:
    """The `.part` files unfinished jobs will resume, resolved (a models folder reached
    through a symlink names the same files)."""
    base = root.resolve()
    wanted: set[Path] = set()
    for row in store.rows(include_finished=False):
        try:
            spec = store.version_spec(row.model_id, row.version)
        except ClaryError:
            continue
        wanted.update(p.with_name(p.name + PART_SUFFIX) for p in target_paths(base, spec))
    return wanted


def is_stray(path: Path, resumable: set[Path]) -> bool:
    return path.name.endswith(PART_SUFFIX) and path.resolve() not in resumable


def stray_partials(store: JobStore, root: Path) -> list[StrayPartial]:
    """Every stray `.part` file under `root`, by path."""
    if not root.is_dir():
        return []
    resumable = resumable_partials(store, root)
    return [
        StrayPartial(path=str(path), size_bytes=path.stat().st_size)
        for path in sorted(root.rglob(f"*{PART_SUFFIX}"))
        if is_stray(path, resumable) and path.is_file()
    ]


def kept_partial_jobs(store: JobStore, root: Path) -> set[int]:
    """Cancelled and failed jobs whose `.part` files are still on disk (the user kept them,
    or the failure left them): retrying such a job continues from there."""
    if not root.is_dir():
        return set()
    base = root.resolve()
    kept: set[int] = set()
    for row in store.rows():
        if row.status not in ("cancelled", "failed"):
            continue
        try:
            spec = store.version_spec(row.model_id, row.version)
        except ClaryError:
            continue
        parts = (p.with_name(p.name + PART_SUFFIX) for p in target_paths(base, spec))
        if any(part.is_file() for part in parts):
            kept.add(row.id)
    return kept
