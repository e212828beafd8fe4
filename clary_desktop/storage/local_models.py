"""Catalog entries for "local" models: files the user brought, with no download source.

A catalog manifest insists every version names a source (Hub repo or URL); a local
model has none. These subclasses keep every other check of the manifest schema
(ids, versions, safe file paths, digests) and drop only that one, so a local
entry is still a `ManifestModel` the catalog's upsert accepts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError, model_validator

from clary_desktop.errors import ClaryError
from clary_desktop.registry.manifest import ManifestModel, ManifestVersion

LOCAL_ORIGIN = "local"
LOCAL_VERSION = "local"
LOCAL_TIER = "lite"


class LocalManifestVersion(ManifestVersion):
    @model_validator(mode="after")
    def _consistent(self) -> LocalManifestVersion:  # replaces the parent's source checks
        paths = [f.path for f in self.files]
        if len(set(paths)) != len(paths):
            raise ValueError("files lists the same path twice")
        if any(f.sha256 is None for f in self.files):
            raise ValueError("every file of a local model needs its sha256")
        return self


class LocalManifestModel(ManifestModel):
    # The parent's field, narrowed to local versions (a list is invariant, so mypy objects).
    versions: list[LocalManifestVersion]  # type: ignore[assignment]


def local_entry(
    model_id: str, name: str, model_type: str, description: str, files: list[dict[str, Any]]
) -> ManifestModel:
    """A lite-tier local model with one version; ClaryError names what is invalid."""
    raw = {
        "id": model_id,
        "name": name[:256] or model_id,
        "description": description,
        "type": model_type,
        "tier": LOCAL_TIER,
        "tags": ["local"],
        "versions": [{"version": LOCAL_VERSION, "created_at": datetime.now(UTC), "files": files}],
    }
    return validate_local(raw, f"local model {model_id!r}")


def validate_local(raw: Any, what: str) -> ManifestModel:
    try:
        return LocalManifestModel.model_validate(raw)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        raise ClaryError(f"Cannot register {what}: {where}: {message}.") from None
