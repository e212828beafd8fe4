"""The `.part` file's sidecar: what the partial bytes belong to.

A partial is only resumed when the sidecar says it came from the same URL with
the same expected size and sha256; otherwise it is thrown away. The sidecar
keeps a list of byte ranges so parallel ranged parts (issue 10) can record
each part's progress in the same place; today there is one range, whose
progress is the `.part` file's length.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from clary_desktop.downloads.plan import FileTask

SIDECAR_FORMAT = 1


@dataclass
class Sidecar:
    url: str
    size_bytes: int | None
    sha256: str | None
    etag: str | None = None
    format: int = SIDECAR_FORMAT
    ranges: list[list[int]] = field(default_factory=list)

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


def read_sidecar(path: Path) -> Sidecar | None:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Sidecar(**raw)
    except (OSError, ValueError, TypeError):
        return None


def write_sidecar(path: Path, sidecar: Sidecar) -> None:
    """Written next to the part file, atomically (a torn sidecar must never be read)."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(asdict(sidecar), handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def discard_partial(task: FileTask) -> None:
    for path in (task.part, task.sidecar):
        path.unlink(missing_ok=True)
