"""Hashing and copying with progress, and placing files into the models folder
by copy, move, hard link or symbolic link, with a way to undo."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from clary_desktop.domain.import_modes import MODES
from clary_desktop.errors import Action, ClaryError, Hint

CHUNK = 4 * 1024 * 1024
TMP_SUFFIX = ".clary-tmp"

BytesCallback = Callable[[int], None]


class ByteReader(Protocol):
    """What `copy_stream` reads from: a file, a bundle's member, a hashing wrapper."""

    def read(self, size: int = -1, /) -> bytes: ...


def hash_file(path: Path, on_bytes: BytesCallback | None = None) -> str:
    """sha256 of a file; `on_bytes(n)` after each chunk read."""
    digest = hashlib.sha256()
    with open(path, "rb", buffering=0) as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            if on_bytes:
                on_bytes(len(chunk))
    return digest.hexdigest()


def git_blob_id(path: Path) -> str:
    """The git blob id (sha1 of `blob <size>\\0` + content) the Hub gives small files."""
    digest = hashlib.sha1(b"blob %d\0" % path.stat().st_size, usedforsecurity=False)
    with open(path, "rb", buffering=0) as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def copy_stream(
    source: ByteReader,
    target: Path,
    on_bytes: BytesCallback | None = None,
    limit: int | None = None,
) -> tuple[str, int]:
    """Write `source` (at most `limit` bytes) to `target`, fsynced; (sha256, length)."""
    digest = hashlib.sha256()
    length = 0
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as out:
        while True:
            want = CHUNK if limit is None else min(CHUNK, limit - length)
            if want <= 0:
                break
            chunk = source.read(want)
            if not chunk:
                break
            out.write(chunk)
            digest.update(chunk)
            length += len(chunk)
            if on_bytes:
                on_bytes(len(chunk))
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest(), length


def copy_file_hashed(source: Path, target: Path, on_bytes: BytesCallback | None = None) -> str:
    """Copy `source` to `target` (fsynced); the sha256 of the bytes written."""
    with open(source, "rb") as handle:
        sha, _ = copy_stream(handle, target, on_bytes)
    shutil.copystat(source, target, follow_symlinks=True)
    return sha


def file_size(path: Path) -> int:
    return path.stat().st_size


@dataclass
class Placement:
    """Files put into the models folder so far, so a failure can take them back."""

    placed: list[Path] = field(default_factory=list)
    moved_back: list[tuple[Path, Path]] = field(default_factory=list)  # (now at, came from)

    def undo(self) -> None:
        for now_at, came_from in reversed(self.moved_back):
            try:
                if not came_from.exists():
                    shutil.move(str(now_at), str(came_from))
            except OSError:
                pass
        moved = {now for now, _ in self.moved_back}
        for path in reversed(self.placed):
            if path not in moved:
                path.unlink(missing_ok=True)

    def place(
        self,
        source: Path,
        target: Path,
        mode: str,
        expected_sha256: str,
        on_bytes: BytesCallback | None = None,
    ) -> None:
        """Put `source` at `target` by `mode`; a copy is checked against `expected_sha256`
        (the hash taken before), so a file changed in between is refused."""
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + TMP_SUFFIX)
        tmp.unlink(missing_ok=True)
        try:
            if mode == "copy":
                _copy_checked(source, tmp, expected_sha256, on_bytes)
            elif mode == "move":
                try:
                    os.replace(source, tmp)
                except OSError as error:
                    if error.errno != errno.EXDEV:
                        raise
                    _copy_checked(source, tmp, expected_sha256, on_bytes)
                    os.replace(tmp, target)
                    source.unlink()
                    self.placed.append(target)
                    self.moved_back.append((target, source))
                    return
                os.replace(tmp, target)
                self.placed.append(target)
                self.moved_back.append((target, source))
                return
            elif mode == "hardlink":
                try:
                    os.link(source, tmp)
                except OSError as error:
                    if error.errno == errno.EXDEV:
                        raise ClaryError(
                            f"Cannot hard-link {source}: it is on another drive than the "
                            "models folder. Copy it or link it symbolically instead.",
                            hint=Hint(Action.CHOOSE_LINK_MODE),
                        ) from None
                    raise
            elif mode == "symlink":
                os.symlink(source.resolve(), tmp)
            else:
                raise ClaryError(f"Unknown import mode {mode!r}; use one of {', '.join(MODES)}.")
            os.replace(tmp, target)
            self.placed.append(target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise


def _copy_checked(
    source: Path, target: Path, expected: str, on_bytes: BytesCallback | None
) -> None:
    written = copy_file_hashed(source, target, on_bytes)
    if written != expected:
        target.unlink(missing_ok=True)
        raise ClaryError(f"{source} changed while it was being imported; try again.")
