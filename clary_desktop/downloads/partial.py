"""The `.part` file's sidecar: what the partial bytes belong to.

A partial is only resumed when the sidecar says it came from the same URL with
the same expected size and sha256, or, when the sha256 is known, that it holds the
same content from another source (a mirror): the final sha256 covers every byte
whatever source sent it. Otherwise it is thrown away.

Two shapes of partial:
- one stream: `ranges` is empty and the bytes on disk are the `.part` file's
  length;
- parallel parts: the `.part` file is preallocated to the full size
  and `ranges` holds `[start, end, done]` for each range handed out so far
  (see parts.py), so each range resumes on its own.

`single_stream` records that the server ignored Range for this file, so it is
not split again. `sources` names the configured sources that sent bytes of it,
for a message should the file fail its check.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from clary_desktop.domain.layout import FileTask
from clary_desktop.userfiles import UserFileError, read_user_file

SIDECAR_FORMAT = 1
# A sidecar is a few hundred bytes; a bigger file (or a pipe, a device) is not one.
MAX_SIDECAR_BYTES = 1024 * 1024


@dataclass
class Sidecar:
    url: str
    size_bytes: int | None
    sha256: str | None
    etag: str | None = None
    format: int = SIDECAR_FORMAT
    ranges: list[list[int]] = field(default_factory=list)
    single_stream: bool = False
    sources: list[str] = field(default_factory=list)

    @classmethod
    def for_task(cls, task: FileTask) -> Sidecar:
        return cls(url=task.url, size_bytes=task.size_bytes, sha256=task.sha256)

    def matches(self, task: FileTask) -> bool:
        return (
            self.format == SIDECAR_FORMAT
            and self.url == task.url
            and self.size_bytes == task.size_bytes
            and self.sha256 == task.sha256
        )

    def same_content(self, task: FileTask) -> bool:
        """The same file (size and sha256, the sha256 known) at another URL."""
        return (
            self.format == SIDECAR_FORMAT
            and task.sha256 is not None
            and self.size_bytes == task.size_bytes
            and self.sha256 == task.sha256
        )

    def move_to(self, task: FileTask) -> None:
        """The bytes so far continue from `task`'s URL: the old validator means nothing
        there (an If-Range with it would make the new source send the whole file)."""
        self.url = task.url
        self.etag = None
        self.single_stream = False


def read_sidecar(path: Path) -> Sidecar | None:
    try:
        raw = json.loads(read_user_file(path, MAX_SIDECAR_BYTES))
        return Sidecar(**raw)
    except (UserFileError, ValueError, TypeError, RecursionError):
        return None


def write_sidecar(path: Path, sidecar: Sidecar) -> None:
    """Written next to the part file, atomically (a torn sidecar must never be read)."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(asdict(sidecar), handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def saved_bytes(task: FileTask) -> int:
    """Bytes of `task` already fetched and kept on disk (what is left to fetch is the rest)."""
    try:
        length = task.part.stat().st_size
    except FileNotFoundError:
        return 0
    sidecar = read_sidecar(task.sidecar)
    if sidecar is not None and sidecar.ranges:
        try:
            return sum(int(r[2]) for r in sidecar.ranges) if length == task.size_bytes else 0
        except (TypeError, ValueError, IndexError):
            return 0
    return length


def discard_partial(task: FileTask) -> None:
    for path in (task.part, task.sidecar):
        path.unlink(missing_ok=True)
