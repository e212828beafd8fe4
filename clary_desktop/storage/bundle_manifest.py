"""The manifest of an offline bundle (`clary-bundle.json`).

Each model carries its catalog entry in the catalog manifest's own schema
(with only the bundled version), so the importer validates it exactly as a
catalog import would, plus the size and sha256 of every file in the bundle.
Files sit at `files/<model id>/<version>/<path>` in the folder or the tar.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from clary_desktop.errors import ClaryError
from clary_desktop.registry.manifest import (
    MAX_SIZE_BYTES,
    FilePath,
    ManifestModel,
    ModelId,
    Sha256,
    VersionText,
)
from clary_desktop.storage.local_models import LOCAL_ORIGIN, validate_local

MANIFEST_NAME = "clary-bundle.json"
FILES_DIR = "files"
BUNDLE_FORMAT: Final = "clary-bundle"


class _Strict(BaseModel):
    # defer_build: the schema is built on first use, not at import (start-up time);
    # most commands never use a bundle.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class BundleFile(_Strict):
    path: FilePath
    size_bytes: int = Field(ge=0, le=MAX_SIZE_BYTES)
    sha256: Sha256


class BundleModel(_Strict):
    id: ModelId
    version: VersionText
    origin: str = Field(default="default", max_length=16)
    catalog: dict[str, Any]
    files: list[BundleFile] = Field(min_length=1, max_length=10_000)

    def member(self, file: BundleFile) -> str:
        return f"{FILES_DIR}/{self.id}/{self.version}/{file.path}"

    def entry(self) -> ManifestModel:
        """The catalog entry, validated like a catalog import (ClaryError naming the model)."""
        if self.origin == LOCAL_ORIGIN:
            entry = validate_local(self.catalog, f"the bundled model {self.id!r}")
        else:
            try:
                entry = ManifestModel.model_validate(self.catalog)
            except ValidationError as error:
                first = error.errors(include_url=False)[0]
                where = ".".join(str(p) for p in first["loc"]) or "the entry"
                raise ClaryError(
                    f"The bundle's catalog entry for {self.id!r} is invalid ({where}: "
                    f"{first['msg'].removeprefix('Value error, ')}). Nothing was imported."
                ) from None
        versions = [v for v in entry.versions if v.version == self.version]
        if entry.id != self.id or not versions:
            raise ClaryError(
                f"The bundle's manifest is inconsistent for {self.id!r} (its catalog entry "
                f"does not describe version {self.version}). Nothing was imported."
            )
        listed = {f.path: f.sha256 for f in versions[0].files}
        bundled = {f.path: f.sha256 for f in self.files}
        if set(listed) != set(bundled) or any(
            listed[p] is not None and listed[p] != bundled[p] for p in bundled
        ):
            raise ClaryError(
                f"The bundle's manifest is inconsistent for {self.id!r}: its files differ "
                "from its catalog entry. Nothing was imported."
            )
        return entry


class BundleManifest(_Strict):
    format: Literal["clary-bundle"] = BUNDLE_FORMAT
    schema_version: Literal[1] = Field(default=1, alias="schema")
    created_at: str
    created_by: str = ""
    models: list[BundleModel] = Field(min_length=1)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)


def parse_bundle_manifest(data: bytes, source: str) -> BundleManifest:
    try:
        manifest = BundleManifest.model_validate_json(data)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "the manifest"
        raise ClaryError(
            f"{source}: the bundle manifest is invalid ({where}: "
            f"{first['msg'].removeprefix('Value error, ')}). Nothing was imported."
        ) from None
    # Ids name folders, and Windows and macOS ignore case.
    ids = [m.id.casefold() for m in manifest.models]
    if len(set(ids)) != len(ids):
        raise ClaryError(
            f"{source}: the bundle lists a model twice (ids that differ only in case count "
            "as the same). Nothing was imported."
        )
    return manifest
