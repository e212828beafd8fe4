"""Database reads and writes of the storage operations: catalog files by sha256,
installations recorded as verified, and a model's entry rebuilt for a bundle."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from clary_desktop.db import Database
from clary_desktop.db.tables import Installation, ModelMetadata, ModelVersion, VersionFile
from clary_desktop.db.timestamps import as_utc
from clary_desktop.registry.installed import record_installation

_CHUNK = 500


@dataclass(frozen=True)
class CatalogVersion:
    """A catalog version with every file's path, size and sha256 (None when unknown)."""

    model_id: str
    model_type: str
    tier: str
    origin: str
    version: str
    repo_id: str | None
    revision: str | None
    files: tuple[tuple[str, int | None, str | None], ...]
    #: Where the version's files are when it is installed (its install record).
    installed_folder: Path | None = None

    @property
    def fully_hashed(self) -> bool:
        return all(sha for _, _, sha in self.files)


def _catalog_version(
    model: ModelMetadata, row: ModelVersion, installed_folder: str | None
) -> CatalogVersion:
    return CatalogVersion(
        model_id=model.id,
        model_type=model.type,
        tier=model.tier,
        origin=model.origin or "default",
        version=row.version,
        repo_id=row.repo_id,
        revision=row.revision,
        files=tuple((f.path, f.size_bytes, f.sha256) for f in row.files),
        installed_folder=Path(installed_folder) if installed_folder else None,
    )


def versions_with_files(db: Database, sha256s: Iterable[str]) -> list[CatalogVersion]:
    """Catalog versions holding at least one file whose sha256 is in `sha256s`."""
    wanted = sorted(set(sha256s))
    version_ids: set[int] = set()
    with db.read() as session:
        for start in range(0, len(wanted), _CHUNK):
            version_ids.update(
                session.scalars(
                    select(VersionFile.version_id).where(
                        VersionFile.sha256.in_(wanted[start : start + _CHUNK])
                    )
                )
            )
        return _load_versions(session, sorted(version_ids))


def versions_of_repos(db: Database, repo_ids: Iterable[str]) -> list[CatalogVersion]:
    wanted = sorted(set(repo_ids))
    version_ids: list[int] = []
    with db.read() as session:
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            version_ids.extend(
                session.scalars(select(ModelVersion.id).where(ModelVersion.repo_id.in_(chunk)))
            )
        return _load_versions(session, version_ids)


def catalog_version(db: Database, model_id: str, version: str) -> CatalogVersion | None:
    with db.read() as session:
        row = session.scalars(
            select(ModelVersion).where(
                ModelVersion.model_id == model_id, ModelVersion.version == version
            )
        ).one_or_none()
        return _load_versions(session, [row.id])[0] if row is not None else None


def _load_versions(session: Session, version_ids: list[int]) -> list[CatalogVersion]:
    found: list[CatalogVersion] = []
    for start in range(0, len(version_ids), _CHUNK):
        rows = session.scalars(
            select(ModelVersion)
            .where(ModelVersion.id.in_(version_ids[start : start + _CHUNK]))
            .options(selectinload(ModelVersion.files), selectinload(ModelVersion.model))
        ).all()
        folders = {
            (model_id, version): path
            for model_id, version, path in session.execute(
                select(Installation.model_id, Installation.version, Installation.path).where(
                    Installation.model_id.in_({r.model_id for r in rows})
                )
            )
        }
        found.extend(
            _catalog_version(r.model, r, folders.get((r.model_id, r.version))) for r in rows
        )
    return sorted(found, key=lambda v: (v.model_id, v.version))


def model_origin_and_tier(db: Database, model_id: str) -> tuple[str, str] | None:
    with db.read() as session:
        row = session.get(ModelMetadata, model_id)
        return (row.origin or "default", row.tier) if row is not None else None


def id_taken(db: Database, model_id: str) -> bool:
    """Whether the catalog holds `model_id`, in any case (ids name folders, and Windows
    and macOS ignore case)."""
    with db.read() as session:
        found = session.scalar(
            select(ModelMetadata.id).where(func.lower(ModelMetadata.id) == model_id.lower())
        )
        return found is not None


def active_install(db: Database, model_id: str) -> tuple[str, str] | None:
    """(version, folder) of the model's active installation."""
    with db.read() as session:
        row = session.scalars(
            select(Installation).where(
                Installation.model_id == model_id, Installation.active.is_(True)
            )
        ).first()
        return (row.version, row.path) if row is not None else None


def install_records(db: Database) -> list[tuple[str, str, Path]]:
    """(model id, version, recorded folder) of every installed version."""
    with db.read() as session:
        return [
            (model_id, version, Path(path))
            for model_id, version, path in session.execute(
                select(Installation.model_id, Installation.version, Installation.path)
            )
        ]


def record_installs(
    session: Session, installs: Iterable[tuple[str, str, Path, int, dict[str, tuple[str, int]]]]
) -> None:
    """Mark each (model id, version, folder, size, {path: (sha256, size)}) installed,
    active and verified now; digests the catalog lacked are learned."""
    now = datetime.now(UTC)
    for model_id, version, folder, size, learned in installs:
        record_installation(session, model_id, version, folder, size, learned, now)


def entry_for_bundle(db: Database, model_id: str, version: str) -> dict[str, Any]:
    """A model's catalog entry as manifest JSON, with only `version` listed."""
    with db.read() as session:
        model = session.get(ModelMetadata, model_id)
        row = session.scalars(
            select(ModelVersion)
            .where(ModelVersion.model_id == model_id, ModelVersion.version == version)
            .options(selectinload(ModelVersion.files))
        ).one()
        assert model is not None
        license_ = None
        if model.license_id and model.license_name:
            license_ = {
                "id": model.license_id,
                "name": model.license_name,
                "url": model.license_url,
                "commercial_use": model.commercial_use,
            }
        created = as_utc(row.created_at)
        version_entry: dict[str, Any] = {
            "version": row.version,
            "created_at": created.isoformat(),
            "changes": row.changes,
            "repo_id": row.repo_id,
            "revision": row.revision,
            "download_url": row.download_url if len(row.files) <= 1 else None,
            "files": [
                {"path": f.path, "size_bytes": f.size_bytes, "sha256": f.sha256, "url": f.url}
                for f in row.files
            ],
        }
        return {
            "id": model.id,
            "name": model.name,
            "description": model.description or "",
            "type": model.type,
            "tier": model.tier,
            "tags": list(model.tags or []),
            "parameters": dict(model.parameters or {}),
            "license": license_,
            "versions": [{k: v for k, v in version_entry.items() if v is not None}],
        }
