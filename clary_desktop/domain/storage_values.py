"""What the storage operations hand back to the fronts: frozen pydantic values."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from clary_desktop.domain.file_formats import GgufInfo
from clary_desktop.errors import ClaryError


class Cancelled(ClaryError):
    """Raise it from a progress callback to stop an operation; it then cleans up as
    after any failure (nothing imported, no bundle left, the old models folder kept)."""


@dataclass(frozen=True)
class Progress:
    """One progress step: `stage` (hashing, copying, verifying, writing), bytes so far
    of `total_bytes` for the whole operation, and the file being worked on."""

    stage: str
    done_bytes: int
    total_bytes: int
    current: str | None = None

    @property
    def fraction(self) -> float | None:
        return self.done_bytes / self.total_bytes if self.total_bytes else None


ProgressCallback = Callable[[Progress], None]


class _Value(BaseModel):
    # defer_build: the schema is built on first use, not at import (start-up time);
    # most commands never use these values.
    model_config = ConfigDict(frozen=True, defer_build=True)


class ImportedFile(_Value):
    path: str  # relative path inside the model folder
    source: str
    size_bytes: int
    sha256: str
    format: str


class ImportResult(_Value):
    model_id: str
    version: str
    tier: str
    matched_catalog: bool  # True: an existing catalog entry, now installed
    mode: str
    folder: str
    size_bytes: int
    files: list[ImportedFile]
    gguf: GgufInfo | None = None


class ExportedModel(_Value):
    model_id: str
    version: str
    files: int
    size_bytes: int
    #: Set when an imported model became a separate local model beside this catalog one.
    local_copy_of: str | None = None


class ExportResult(_Value):
    path: str
    kind: str  # folder or tar
    models: list[ExportedModel]
    size_bytes: int


class BundleImportResult(_Value):
    source: str
    models: list[ExportedModel]
    size_bytes: int


class ModelUsage(_Value):
    model_id: str
    version: str
    folder: str
    size_bytes: int
    files: int
    linked_files: int  # symlinks to files kept elsewhere (not counted in size_bytes)
    missing_files: list[str]


class PartialFile(_Value):
    path: str
    size_bytes: int
    resumable: bool  # an unfinished download job will continue it


class OrphanFile(_Value):
    path: str
    size_bytes: int


class StorageReport(_Value):
    models_dir: str
    free_bytes: int | None
    models: list[ModelUsage]
    partials: list[PartialFile]
    orphans: list[OrphanFile]

    @property
    def installed_bytes(self) -> int:
        return sum(m.size_bytes for m in self.models)

    @property
    def missing(self) -> list[ModelUsage]:
        return [m for m in self.models if m.missing_files]

    @property
    def reclaimable(self) -> list[str]:
        return [p.path for p in self.partials if not p.resumable] + [o.path for o in self.orphans]

    @property
    def reclaimable_bytes(self) -> int:
        return sum(p.size_bytes for p in self.partials if not p.resumable) + sum(
            o.size_bytes for o in self.orphans
        )


class ReclaimResult(_Value):
    deleted: list[str]
    size_bytes: int


class MoveResult(_Value):
    old_dir: str
    new_dir: str
    files: int
    size_bytes: int
    old_removed: bool
    note: str | None = None


class CacheFile(_Value):
    path: str  # the catalog's path of the file
    cache_path: str
    size_bytes: int


class CacheCandidate(_Value):
    model_id: str
    version: str
    tier: str
    locked: bool
    installed: bool
    files: list[CacheFile]
