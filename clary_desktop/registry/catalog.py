"""The local catalog (the seed's ModelCatalog): query, add, update, delete, and
bulk import of manifests in one transaction."""

from __future__ import annotations

from typing import Any, TypeVarTuple

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from clary_desktop.db import Database
from clary_desktop.db.tables import (
    Installation,
    ModelDownload,
    ModelMetadata,
    ModelVersion,
)
from clary_desktop.db.timestamps import as_utc
from clary_desktop.domain.access import ModelAccessControl, Tier
from clary_desktop.domain.model_status import status_word
from clary_desktop.domain.model_views import (
    MAX_SEARCH_CHARS,
    FileInfo,
    ImportSummary,
    LicenseInfo,
    ModelInfo,
    ModelRow,
    VersionInfo,
)
from clary_desktop.domain.version_order import sort_versions, version_key
from clary_desktop.errors import Action, ClaryError, Hint, NotFoundError
from clary_desktop.registry.catalog_upsert import chunks, search_text_of, upsert_models
from clary_desktop.registry.manifest import CatalogManifest, ManifestModel
from clary_desktop.registry.tier_rule import KnownEntry, tier_from_source

_CHUNK = 2000
Columns = TypeVarTuple("Columns")
EDITABLE_FIELDS = frozenset({"name", "description", "tags", "parameters", "type", "tier"})


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class ModelCatalog:
    def __init__(self, database: Database) -> None:
        self.db = database

    # ---- queries -------------------------------------------------------------------

    def _filtered(
        self,
        stmt: Select[*Columns],
        tier: Tier,
        model_type: str | None,
        search: str | None,
        updates_only: bool = False,
    ) -> Select[*Columns]:
        stmt = stmt.where(ModelMetadata.tier.in_(tier.allowed_keys()))
        if updates_only:
            # The model row holds the newest version, so any other active version is older.
            stmt = stmt.where(
                select(Installation.id)
                .where(
                    Installation.model_id == ModelMetadata.id,
                    Installation.active.is_(True),
                    Installation.version != ModelMetadata.version,
                )
                .exists()
            )
        if model_type:
            stmt = stmt.where(ModelMetadata.type == model_type)
        if search and len(search) > MAX_SEARCH_CHARS:
            raise ClaryError(
                f"The search text is too long ({len(search)} characters); "
                f"use at most {MAX_SEARCH_CHARS}."
            )
        for word in (search or "").lower().split():
            stmt = stmt.where(
                ModelMetadata.search_text.like(f"%{_escape_like(word)}%", escape="\\")
            )
        return stmt

    def get_models(
        self,
        tier: Tier | str,
        model_type: str | None = None,
        *,
        search: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        user_tier: Tier | str | None = None,
        updates_only: bool = False,
    ) -> list[ModelInfo]:
        """Models a `tier` may use, sorted by name; `user_tier` decides what shows as locked.
        `updates_only` keeps installed models with a newer version in the catalog."""
        tier = Tier.parse(tier)
        user = Tier.parse(user_tier) if user_tier is not None else tier
        stmt = self._filtered(select(ModelMetadata), tier, model_type, search, updates_only)
        stmt = stmt.order_by(ModelMetadata.name, ModelMetadata.id).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        with self.db.read() as session:
            rows = session.scalars(stmt).all()
            installed = self._installed_versions(session, [r.id for r in rows])
            busy = _downloading_ids(session, [r.id for r in rows])
            return [
                _model_info(r, user, *installed.get(r.id, (None, False)), r.id in busy)
                for r in rows
            ]

    def count_models(
        self, tier: Tier | str, model_type: str | None = None, *, search: str | None = None
    ) -> int:
        stmt = self._filtered(
            select(func.count()).select_from(ModelMetadata), Tier.parse(tier), model_type, search
        )
        with self.db.read() as session:
            return int(session.scalar(stmt) or 0)

    def model_types(self) -> list[str]:
        with self.db.read() as session:
            return list(
                session.scalars(select(ModelMetadata.type).distinct().order_by(ModelMetadata.type))
            )

    def get_model(self, model_id: str, user_tier: Tier | str = Tier.PROFESSIONAL) -> ModelInfo:
        with self.db.read() as session:
            row = session.get(ModelMetadata, model_id)
            if row is None:
                raise unknown_model(model_id)
            installed = self._installed_versions(session, [model_id])
            busy = _downloading_ids(session, [model_id])
            return _model_info(
                row,
                Tier.parse(user_tier),
                *installed.get(model_id, (None, False)),
                model_id in busy,
            )

    def card(self, model_id: str) -> str | None:
        with self.db.read() as session:
            if session.get(ModelMetadata, model_id) is None:
                raise unknown_model(model_id)
            return session.scalar(select(ModelMetadata.card).where(ModelMetadata.id == model_id))

    def get_versions(self, model_id: str) -> list[VersionInfo]:
        with self.db.read() as session:
            if session.get(ModelMetadata, model_id) is None:
                raise unknown_model(model_id)
            rows = session.scalars(
                select(ModelVersion)
                .where(ModelVersion.model_id == model_id)
                .options(selectinload(ModelVersion.files))
            ).all()
            installs = {
                i.version: i
                for i in session.scalars(
                    select(Installation).where(Installation.model_id == model_id)
                )
            }
            infos = [_version_info(v, installs.get(v.version)) for v in rows]
        return sort_versions(infos, key=lambda v: v.version)

    def rows(self) -> list[ModelRow]:
        """Every entry as a slim `ModelRow`, sorted by name (see `Registry.model_rows`)."""
        m = ModelMetadata
        with self.db.read() as session:
            installed = {
                model_id: (version, path, verified_at is None)
                for model_id, version, path, verified_at in session.execute(
                    select(
                        Installation.model_id,
                        Installation.version,
                        Installation.path,
                        Installation.verified_at,
                    ).where(Installation.active.is_(True))
                )
            }
            result = session.execute(
                select(
                    m.id,
                    m.name,
                    m.type,
                    m.version,
                    m.size_bytes,
                    m.tier,
                    m.tags,
                    m.search_text,
                    m.retired,
                ).order_by(m.name, m.id)
            )
            rows = []
            for i, n, t, v, s, tier, tags, text, retired in result:
                version, path, unverified = installed.get(i, (None, None, False))
                newer = (
                    version is not None and version != v and version_key(version) < version_key(v)
                )
                rows.append(
                    ModelRow(
                        i,
                        n,
                        t,
                        v,
                        s,
                        tier,
                        tuple(tags or ()),
                        text,
                        version,
                        path,
                        newer,
                        bool(retired),
                        unverified,
                    )
                )
            return rows

    @staticmethod
    def _installed_versions(
        session: Session, model_ids: list[str]
    ) -> dict[str, tuple[str | None, bool]]:
        """model id -> (active installed version, whether it is unverified)."""
        found: dict[str, tuple[str | None, bool]] = {}
        for chunk in chunks(model_ids):
            for model_id, version, verified_at in session.execute(
                select(Installation.model_id, Installation.version, Installation.verified_at).where(
                    Installation.model_id.in_(chunk), Installation.active.is_(True)
                )
            ):
                found[model_id] = (version, verified_at is None)
        return found

    # ---- changes (the seed's add/update/delete) --------------------------------------

    def add_model(self, entry: ManifestModel, origin: str = "user") -> ModelInfo:
        with self.db.write() as session:
            if session.get(ModelMetadata, entry.id) is not None:
                raise ClaryError(
                    f"A model with id {entry.id!r} is already in the catalog. "
                    "Use another id, or update the existing model."
                )
            upsert_models(session, [entry], origin=origin, keep_user_changes=False)
        return self.get_model(entry.id)

    def update_model(self, model_id: str, **changes: Any) -> ModelInfo:
        """Change descriptive fields; the change is kept when the default catalog reloads."""
        unknown = set(changes) - EDITABLE_FIELDS
        if unknown:
            raise ClaryError(
                f"Cannot change {', '.join(sorted(unknown))}; editable fields are "
                f"{', '.join(sorted(EDITABLE_FIELDS))}."
            )
        with self.db.write() as session:
            row = session.get(ModelMetadata, model_id)
            if row is None:
                raise unknown_model(model_id)
            if "tier" in changes:
                known = KnownEntry(row.origin or "default", row.tier, bool(row.user_modified))
                changes["tier"] = tier_from_source(
                    model_id, changes["tier"], known, vendor_source=False
                )
            for field, value in changes.items():
                setattr(row, field, value)
            row.user_modified = True
            row.search_text = search_text_of(row.id, row.name, row.description, row.tags)
        return self.get_model(model_id)

    def delete_model(self, model_id: str) -> None:
        with self.db.write() as session:
            row = session.get(ModelMetadata, model_id)
            if row is None:
                raise unknown_model(model_id)
            session.delete(row)

    def import_manifest(
        self,
        manifest: CatalogManifest,
        origin: str,
        keep_user_changes: bool,
        source: str | None = None,
    ) -> ImportSummary:
        """Add or update every entry in one write transaction: all of it, or nothing."""
        with self.db.write() as session:
            return upsert_models(session, manifest.models, origin, keep_user_changes, source=source)


def unknown_model(model_id: str) -> NotFoundError:
    """An id the catalog does not hold; the fronts add where to see every id."""
    return NotFoundError(
        f"No model with id {model_id!r} in the catalog.", hint=Hint(Action.LIST_MODELS)
    )


def can_access(user_tier: Tier, model_tier: str) -> bool:
    return ModelAccessControl.can_access_model(user_tier, model_tier)


def _downloading_ids(session: Session, model_ids: list[str]) -> set[str]:
    """Models with a download job queued, running or verifying."""
    found: set[str] = set()
    for chunk in chunks(model_ids):
        found.update(
            session.scalars(
                select(ModelDownload.model_id).where(
                    ModelDownload.model_id.in_(chunk),
                    ModelDownload.status.in_(("queued", "downloading", "verifying")),
                )
            )
        )
    return found


def _model_info(
    row: ModelMetadata,
    user_tier: Tier,
    installed_version: str | None,
    unverified: bool = False,
    downloading: bool = False,
) -> ModelInfo:
    locked = not can_access(user_tier, row.tier)
    update_available = (
        not locked
        and installed_version is not None
        and version_key(installed_version) < version_key(row.version)
    )
    # The catalog knows only that a job holds the model, not which state it is in.
    status = status_word(
        locked=locked,
        job_state="downloading" if downloading else None,
        installed_version=installed_version,
        update_available=update_available,
    )
    return ModelInfo(
        id=row.id,
        name=row.name,
        description=row.description,
        type=row.type,
        version=row.version,
        size_bytes=row.size_bytes,
        filename=row.filename,
        repo_id=row.repo_id,
        download_url=row.download_url,
        tier=row.tier,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
        parameters=dict(row.parameters or {}),
        tags=list(row.tags or []),
        license=LicenseInfo(
            id=row.license_id,
            name=row.license_name,
            url=row.license_url,
            commercial_use=row.commercial_use,
        ),
        origin=row.origin or "default",
        locked=locked,
        status=status,
        installed_version=installed_version,
        update_available=update_available,
        retired=bool(row.retired),
        unverified=unverified and installed_version is not None,
        recommended=bool(row.recommended),
    )


def _version_info(row: ModelVersion, install: Installation | None) -> VersionInfo:
    return VersionInfo(
        model_id=row.model_id,
        version=row.version,
        filename=row.filename,
        size_bytes=row.size_bytes,
        download_url=row.download_url,
        repo_id=row.repo_id,
        revision=row.revision,
        created_at=as_utc(row.created_at),
        changes=row.changes,
        files=[
            FileInfo(path=f.path, size_bytes=f.size_bytes, sha256=f.sha256, url=f.url)
            for f in row.files
        ],
        installed=install is not None,
        active=bool(install and install.active),
    )
