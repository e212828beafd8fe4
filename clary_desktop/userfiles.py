"""Reading a file a user named (or could have replaced): a regular file, read with a cap.

A size cap on `stat().st_size` is not enough: a device such as /dev/zero reports 0
bytes and reads forever, and opening a named pipe (FIFO) blocks until someone writes
to it. So the file must be a regular file before it is opened, it is opened without
blocking, checked again on the open descriptor (the path may have been swapped in
between), and read up to the cap and no further.
"""

from __future__ import annotations

import os
import stat
from enum import StrEnum
from pathlib import Path

from clary_desktop.errors import ClaryError
from clary_desktop.formatting import format_size

_CHUNK = 1024 * 1024
# No blocking open of a FIFO, no controlling terminal from a tty; binary on Windows.
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_BINARY", 0)
)


class FileProblem(StrEnum):
    MISSING = "missing"
    NOT_REGULAR = "not_regular"
    TOO_LARGE = "too_large"
    UNREADABLE = "unreadable"


class UserFileError(ClaryError):
    """A file that cannot be read as asked. `str()` is "<path>: <problem>"; callers that
    word their own sentence use `path` and `detail`."""

    def __init__(self, path: Path, problem: FileProblem, detail: str) -> None:
        super().__init__(f"{path}: {detail}")
        self.path = path
        self.problem = problem
        self.detail = detail


def read_user_file(path: Path, limit: int) -> bytes:
    """The bytes of the regular file at `path`, which holds at most `limit` bytes."""
    try:
        before = os.stat(path)
    except OSError as error:
        raise _open_error(path, error) from None
    require_regular(path, before.st_mode)
    if before.st_size > limit:
        raise _too_large(path, limit, before.st_size)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as error:
        raise _open_error(path, error) from None
    try:
        require_regular(path, os.fstat(fd).st_mode)
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as error:
        raise UserFileError(
            path, FileProblem.UNREADABLE, f"cannot be read ({error.strerror or error})"
        ) from None
    finally:
        os.close(fd)
    if total > limit:  # it grew after the first look
        raise _too_large(path, limit, None)
    return b"".join(chunks)


def require_regular(path: Path, mode: int) -> None:
    """Raise UserFileError naming what `path` is, unless `mode` is a regular file's."""
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        kind = "a folder"
    elif stat.S_ISFIFO(mode):
        kind = "a named pipe (FIFO)"
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        kind = "a device"
    elif stat.S_ISSOCK(mode):
        kind = "a socket"
    else:
        kind = "not a file"
    raise UserFileError(path, FileProblem.NOT_REGULAR, f"is {kind}, not a regular file")


def _too_large(path: Path, limit: int, size: int | None) -> UserFileError:
    found = f"{format_size(size)}; " if size is not None else ""
    return UserFileError(
        path, FileProblem.TOO_LARGE, f"is too large ({found}the limit is {format_size(limit)})"
    )


def _open_error(path: Path, error: OSError) -> UserFileError:
    if isinstance(error, FileNotFoundError | NotADirectoryError):
        return UserFileError(path, FileProblem.MISSING, "no such file")
    if isinstance(error, IsADirectoryError):
        return UserFileError(path, FileProblem.NOT_REGULAR, "is a folder, not a regular file")
    return UserFileError(
        path, FileProblem.UNREADABLE, f"cannot be read ({error.strerror or error})"
    )
