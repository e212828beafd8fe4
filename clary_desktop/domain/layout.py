"""The on-disk layout of models: what a version holds and where each file lands.

`<models dir>/<type>/<model id>/<version>/<files>`; a file being fetched is
`<file>.part` with a `<file>.part.json` sidecar beside it.

Every file name comes from a catalog and is untrusted: the target path is built
with `check_relative_file_path` + `safe_join` before any network call or write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from clary_desktop.domain.safe_names import (
    check_model_id,
    check_model_type,
    check_relative_file_path,
    check_version,
    safe_join,
)
from clary_desktop.errors import DownloadFailed

PART_SUFFIX = ".part"
SIDECAR_SUFFIX = ".part.json"


class UnsafeLocationError(DownloadFailed):
    """A catalog entry or install record that would put files outside the models folder."""


@dataclass(frozen=True)
class CatalogFile:
    """A file as the catalog lists it (sizes and digests may be missing)."""

    path: str
    size_bytes: int | None
    sha256: str | None
    url: str | None


@dataclass(frozen=True)
class VersionSpec:
    """Everything local about a model version: enough to find its files on disk
    without the network (for cancel, remove, verify, stray partials).

    `installed_folder` is where an installed version's files are, as its install
    record says: a later change of the model's type must not lose them."""

    model_id: str
    model_type: str
    version: str
    repo_id: str | None
    revision: str | None
    download_url: str | None
    files: tuple[CatalogFile, ...]
    installed_folder: Path | None = None


@dataclass(frozen=True)
class FileTask:
    """One file to fetch: the source URL and what the bytes must match."""

    path: str
    target: Path
    url: str
    size_bytes: int | None
    sha256: str | None
    git_blob_id: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # The configured source the URL belongs to (see settings.Source), for failing over
    # to the next one and for naming it in messages; "" when none was configured.
    source: str = ""

    @property
    def part(self) -> Path:
        return self.target.with_name(self.target.name + PART_SUFFIX)

    @property
    def sidecar(self) -> Path:
        return self.target.with_name(self.target.name + SIDECAR_SUFFIX)


def version_dir(models_dir: Path, spec: VersionSpec) -> Path:
    """The recorded folder of an installed version, else
    `<models dir>/<type>/<model id>/<version>` with every part checked."""
    if spec.installed_folder is not None:
        return recorded_dir(models_dir, spec.installed_folder, spec.model_id, spec.version)
    try:
        check_model_type(spec.model_type)
        check_model_id(spec.model_id)
        check_version(spec.version)
        return safe_join(models_dir, spec.model_type, spec.model_id, spec.version)
    except ValueError as error:
        raise UnsafeLocationError(
            f"The catalog entry {spec.model_id!r} cannot be stored safely ({error}). "
            "Fix or re-import the catalog entry."
        ) from None


def recorded_dir(models_dir: Path, recorded: Path, model_id: str, version: str) -> Path:
    """Where an install record's folder is now. Records hold absolute paths that
    `storage move` keeps current; a models folder moved some other way (a copied data
    dir, a renamed home) keeps its layout, so the recorded `<type>/<id>/<version>` is
    looked for under the current models folder: the type the files were installed
    under, never the catalog's type of today."""
    root = models_dir.resolve()
    if recorded == root or root in recorded.parents:
        return recorded
    try:
        if len(recorded.parts) < 3:
            raise ValueError("not a model version folder")
        model_type, recorded_id, recorded_version = recorded.parts[-3:]
        check_model_type(model_type)
        if (recorded_id, recorded_version) != (model_id, version):
            raise ValueError(f"{recorded} is not the folder of {model_id} {version}")
        return safe_join(root, model_type, model_id, version)
    except ValueError as error:
        raise UnsafeLocationError(
            f"The install record of {model_id} {version} points at {recorded} ({error}). "
            "Remove the model and download or import it again."
        ) from None


def target_path(models_dir: Path, spec: VersionSpec, relative: str) -> Path:
    root = version_dir(models_dir, spec)
    try:
        check_relative_file_path(relative)
        return safe_join(root, *relative.split("/"))
    except ValueError as error:
        raise UnsafeLocationError(
            f"Refused to download {spec.model_id} {spec.version}: {error}. "
            "The catalog entry is unsafe; fix or re-import it."
        ) from None


def target_paths(models_dir: Path, spec: VersionSpec) -> list[Path]:
    return [target_path(models_dir, spec, f.path) for f in spec.files]
