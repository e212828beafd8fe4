"""What the registry hands to the fronts: plain pydantic values, never ORM rows.

Field names follow the seed's `ModelMetadata`; `--json` output and API bodies
are these models dumped in JSON mode, so changing a field is a visible change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict

MAX_SEARCH_CHARS = 200
"""Longer search text is refused: SQLite's LIKE gives up on long patterns, and no name,
tag or description needs more."""


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class LicenseInfo(_View):
    id: str | None
    name: str | None
    url: str | None
    commercial_use: bool | None


class FileInfo(_View):
    path: str
    size_bytes: int | None
    sha256: str | None
    url: str | None = None


class VersionInfo(_View):
    model_id: str
    version: str
    filename: str | None
    size_bytes: int | None
    download_url: str | None
    repo_id: str | None
    revision: str | None
    created_at: datetime
    changes: str | None
    files: list[FileInfo]
    installed: bool = False
    active: bool = False


class ModelInfo(_View):
    id: str
    name: str
    description: str
    type: str
    version: str
    size_bytes: int | None
    filename: str | None
    repo_id: str | None
    download_url: str | None
    tier: str
    created_at: datetime
    updated_at: datetime
    parameters: dict[str, Any]
    tags: list[str]
    license: LicenseInfo
    origin: str
    locked: bool
    status: str
    installed_version: str | None
    update_available: bool = False
    retired: bool = False
    # Installed, but some file has no sha256 any source vouched for: never "verified".
    unverified: bool = False
    # The catalog's starter pick for its task (the window's welcome panel).
    recommended: bool = False


class ImportSummary(_View):
    added: int
    updated: int

    @property
    def total(self) -> int:
        return self.added + self.updated


class ModelRow(NamedTuple):
    """One catalog entry as the window's list shows it (see `Registry.model_rows`)."""

    id: str
    name: str
    type: str
    version: str
    size_bytes: int | None
    tier: str
    tags: tuple[str, ...]
    search_text: str
    installed_version: str | None
    installed_path: str | None
    update_available: bool = False
    retired: bool = False
    unverified: bool = False
