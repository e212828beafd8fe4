"""What the models folder holds: disk use per installed model, partial downloads,
files the catalog does not know (orphans), and installs whose files are missing;
and reclaiming the space of stray partials and orphans."""

from __future__ import annotations

import os
from contextlib import suppress
from pathlib import Path

from clary_desktop.domain.disk_space import free_bytes_if_known, path_bytes_on_disk
from clary_desktop.domain.layout import (
    PART_SUFFIX,
    SIDECAR_SUFFIX,
    recorded_dir,
    target_path,
    version_dir,
)
from clary_desktop.domain.storage_values import (
    ModelUsage,
    OrphanFile,
    PartialFile,
    ReclaimResult,
    StorageReport,
)
from clary_desktop.downloads.store import JobStore
from clary_desktop.downloads.strays import is_stray, resumable_partials
from clary_desktop.errors import ClaryError
from clary_desktop.storage.context import StorageContext
from clary_desktop.storage.records import install_records


def storage_report(ctx: StorageContext) -> StorageReport:
    # Resolved, as the catalog's paths are: a models folder reached through a symlink
    # must not make every installed file look like an orphan.
    root = ctx.models_dir.resolve()
    store = JobStore(ctx.db)
    known: set[Path] = set()
    models: list[ModelUsage] = []
    for model_id, version in store.installed_versions():
        try:
            spec = store.version_spec(model_id, version)
            folder = version_dir(root, spec)
        except ClaryError:
            continue
        size = files = linked = 0
        missing = []
        for f in spec.files:
            path = target_path(root, spec, f.path)
            known.add(path)
            if path.is_symlink():
                linked += 1
                if not path.exists():
                    missing.append(f.path)
            elif path.is_file():
                files += 1
                size += path_bytes_on_disk(path)
            else:
                missing.append(f.path)
        models.append(
            ModelUsage(
                model_id=model_id,
                version=version,
                folder=str(folder),
                size_bytes=size,
                files=files,
                linked_files=linked,
                missing_files=missing,
            )
        )

    # A running or paused job owns its whole version folder, and an install record its
    # own (wherever it is): nothing in them is an orphan.
    busy: set[Path] = set()
    installed: set[Path] = set()
    for model_id, version, recorded in install_records(ctx.db):
        try:
            installed.add(recorded_dir(root, recorded, model_id, version))
        except ClaryError:
            continue
    for row in store.rows(include_finished=False):
        try:
            busy.add(version_dir(root, store.version_spec(row.model_id, row.version)))
        except ClaryError:
            continue

    resumable = resumable_partials(store, root)
    partials: list[PartialFile] = []
    orphans: list[OrphanFile] = []
    if root.is_dir():
        for walked, dirs, names in os.walk(root):
            here = Path(walked)
            dirs.sort()
            in_busy = any(here == b or b in here.parents for b in busy)
            in_install = any(here == f or f in here.parents for f in installed)
            for name in sorted(names):
                path = here / name
                if path in known:
                    continue
                if name.endswith((PART_SUFFIX, SIDECAR_SUFFIX)):
                    if name.endswith(PART_SUFFIX):
                        partials.append(
                            PartialFile(
                                path=str(path),
                                size_bytes=path_bytes_on_disk(path),
                                resumable=not is_stray(path, resumable),
                            )
                        )
                    elif not in_busy:
                        orphans.append(
                            OrphanFile(path=str(path), size_bytes=path_bytes_on_disk(path))
                        )
                elif not in_busy and not in_install:
                    orphans.append(OrphanFile(path=str(path), size_bytes=path_bytes_on_disk(path)))
    return StorageReport(
        models_dir=str(root),
        free_bytes=free_bytes_if_known(root),
        models=models,
        partials=partials,
        orphans=orphans,
    )


def reclaim(ctx: StorageContext, only: list[str] | None = None) -> ReclaimResult:
    """Delete stray partials and orphans (those in `only`, when given: what the user saw),
    then the folders left empty. Installed files and resumable partials are never touched."""
    report = storage_report(ctx)
    allowed = {_resolved_folder(p) for p in report.reclaimable}
    chosen = [
        p
        for p in (only if only is not None else report.reclaimable)
        if _resolved_folder(p) in allowed
    ]
    deleted: list[str] = []
    freed = 0
    for text in chosen:
        path = Path(text)
        size = path_bytes_on_disk(path)
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as error:
            raise ClaryError(f"Cannot delete {path} ({error.strerror}).") from None
        deleted.append(text)
        freed += size
    _remove_empty_folders(ctx.models_dir.resolve())
    return ReclaimResult(deleted=deleted, size_bytes=freed)


def _resolved_folder(text: str) -> Path:
    """The path with its folder resolved (a models folder reached through a symlink names
    the same file) but not the file itself: a symlinked orphan is the link, not its target."""
    path = Path(text)
    return path.parent.resolve() / path.name


def _remove_empty_folders(root: Path) -> None:
    if not root.is_dir():
        return
    for folder, _dirs, _names in os.walk(root, topdown=False):
        path = Path(folder)
        if path != root:
            with suppress(OSError):  # not empty
                path.rmdir()
