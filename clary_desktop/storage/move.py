"""Moving the whole models folder to another place (another drive), all or nothing.

Every file is copied and then read back and compared before anything switches.
Until the very end the old folder stays in use and untouched: a failure (or an
interruption) removes what was copied and leaves the settings as they were. A
marker file in the new folder says a move into it did not finish, so the next
attempt may reuse the folder.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from clary_desktop.db import Database
from clary_desktop.db.tables import Installation
from clary_desktop.domain.disk_space import free_bytes
from clary_desktop.domain.download_values import JobState
from clary_desktop.domain.storage_values import Cancelled, MoveResult, Progress, ProgressCallback
from clary_desktop.downloads.store import JobStore
from clary_desktop.errors import ClaryError
from clary_desktop.storage.file_ops import copy_file_hashed, hash_file

INCOMPLETE_MARKER = ".clary-move-incomplete"

FileCopier = Callable[[Path, Path, Callable[[int], None]], str]
"""Copies one file and returns the sha256 of what it read; replaceable in tests."""


def _entries(root: Path) -> tuple[list[Path], list[Path], list[Path]]:
    """(folders, regular files, symlinks) under `root`, relative to it."""
    folders: list[Path] = []
    files: list[Path] = []
    links: list[Path] = []
    for folder, dirs, names in os.walk(root):
        here = Path(folder)
        for name in sorted(dirs):
            path = here / name
            (links if path.is_symlink() else folders).append(path.relative_to(root))
        for name in sorted(names):
            path = here / name
            if path.is_symlink():
                links.append(path.relative_to(root))
            elif path.is_file():
                files.append(path.relative_to(root))
    return folders, files, links


def _check_target(old: Path, new: Path) -> bool:
    """Refuse unusable targets; True when `new` is left over from an unfinished move."""
    if new == old:
        raise ClaryError(f"The models are in {old} already.")
    if old in new.parents or new in old.parents:
        raise ClaryError(f"{new} and {old} contain one another; choose a separate folder.")
    if new.exists() and not new.is_dir():
        raise ClaryError(f"{new} is a file; choose a folder.")
    if new.is_dir() and any(new.iterdir()):
        if (new / INCOMPLETE_MARKER).exists():
            return True
        raise ClaryError(f"{new} is not empty; choose an empty or new folder.")
    return False


StoreModelsDir = Callable[[Path], object]
"""Saves the new models folder as the user's setting and puts it in force (the
Registry's `apply_settings`); raises when it cannot be saved."""


def move_models_dir(
    db: Database,
    store_models_dir: StoreModelsDir,
    old_dir: Path,
    new_dir: Path,
    *,
    progress: ProgressCallback | None = None,
    keep_old: bool = False,
    copier: FileCopier = copy_file_hashed,
) -> MoveResult:
    old = old_dir.expanduser().resolve()
    new = new_dir.expanduser().absolute().resolve()
    leftover = _check_target(old, new)
    busy = [
        j
        for j in JobStore(db).rows(include_finished=False)
        if j.status in (JobState.QUEUED.value, JobState.DOWNLOADING.value, JobState.VERIFYING.value)
    ]
    if busy:
        raise ClaryError(
            f"{len(busy)} download(s) are running or queued; pause or finish them, then move."
        )
    folders, files, links = _entries(old) if old.is_dir() else ([], [], [])
    total = sum((old / f).stat().st_size for f in files)
    if free_bytes(new) < total:
        raise ClaryError(
            f"{new} has {free_bytes(new)} bytes free; the models need {total}. Nothing moved."
        )

    created_new = not new.exists()
    if leftover:
        _empty_folder(new)
    new.mkdir(parents=True, exist_ok=True)
    (new / INCOMPLETE_MARKER).write_text(f"moving from {old}\n", encoding="utf-8")
    done = 0
    try:
        for folder in folders:
            (new / folder).mkdir(parents=True, exist_ok=True)
        for link in links:
            (new / link).parent.mkdir(parents=True, exist_ok=True)
            os.symlink(os.readlink(old / link), new / link)
        for relative in files:
            name = relative.as_posix()

            def step(n: int, current: str = name) -> None:
                nonlocal done
                done += n
                if progress:
                    progress(Progress("copying", min(done, total), total, current))

            source_sha = copier(old / relative, new / relative, step)
            if hash_file(new / relative) != source_sha:
                raise ClaryError(
                    f"The copy of {name} in {new} does not match the original (disk or "
                    "storage problem?)."
                )
        _switch(db, store_models_dir, old, new)
    except BaseException as error:
        if created_new:
            shutil.rmtree(new, ignore_errors=True)
        else:
            _empty_folder(new)
        if isinstance(error, Cancelled):
            raise
        if isinstance(error, ClaryError):
            raise ClaryError(f"{error} Nothing moved; the models stay in {old}.") from None
        if isinstance(error, OSError):
            raise ClaryError(
                f"Cannot copy the models to {new} ({error.strerror}: {error.filename}). "
                f"Nothing moved; the models stay in {old}."
            ) from None
        raise
    (new / INCOMPLETE_MARKER).unlink(missing_ok=True)
    removed, note = False, None
    if not keep_old and old.is_dir():
        try:
            shutil.rmtree(old)
            removed = True
        except OSError as error:
            note = f"The old folder {old} could not be deleted ({error.strerror}); delete it."
    return MoveResult(
        old_dir=str(old),
        new_dir=str(new),
        files=len(files),
        size_bytes=total,
        old_removed=removed,
        note=note,
    )


def _switch(db: Database, store_models_dir: StoreModelsDir, old: Path, new: Path) -> None:
    """Point the installations and the setting at `new`; the setting is saved last."""
    changed: list[tuple[int, str]] = []
    with db.write() as session:
        for install in session.scalars(select(Installation)):
            path = Path(install.path)
            if path == old or old in path.parents:
                changed.append((install.id, install.path))
                install.path = str(new / path.relative_to(old))
    try:
        store_models_dir(new)
    except BaseException:
        with db.write() as session:
            for install_id, old_path in changed:
                row = session.get(Installation, install_id)
                if row is not None:
                    row.path = old_path
        raise


def _empty_folder(folder: Path) -> None:
    for child in folder.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
