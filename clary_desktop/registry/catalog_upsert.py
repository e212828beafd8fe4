"""Bulk upsert of manifest entries into the catalog, in the caller's transaction.

Used by `catalog import`, the shipped default catalog and catalog sync. Rows move
through SQLAlchemy Core in chunks so 100,000 entries import in seconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from clary_desktop.db.tables import ModelMetadata, ModelVersion, VersionFile, table_of
from clary_desktop.domain.model_facts import ModelFacts
from clary_desktop.domain.model_views import ImportSummary
from clary_desktop.domain.version_order import newest
from clary_desktop.errors import InvalidManifestError
from clary_desktop.registry.facts_store import store_manifest_facts
from clary_desktop.registry.manifest import ManifestModel, ManifestVersion
from clary_desktop.registry.tier_rule import KnownEntry, tier_from_source

_CHUNK = 2000
#: Origins of entries the user put in the catalog (their fields are the user's own).
USER_ORIGINS = frozenset({"import", "user"})


def chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def search_text_of(model_id: str, name: str, description: str, tags: Any) -> str:
    return " ".join([model_id, name, description, *tags]).lower()


def _version_row(model_id: str, version: ManifestVersion, now: datetime) -> dict[str, Any]:
    single_url = version.download_url or (version.files[0].url if len(version.files) == 1 else None)
    return {
        "model_id": model_id,
        "version": version.version,
        "filename": version.files[0].path,
        "size_bytes": version.total_size,
        "download_url": single_url,
        "created_at": version.created_at or now,
        "changes": version.changes,
        "repo_id": version.repo_id,
        "revision": version.revision,
    }


def _descriptive_fields(entry: ManifestModel, tier: str) -> dict[str, Any]:
    license_ = entry.license
    return {
        "name": entry.name,
        "description": entry.description,
        "type": entry.type,
        "tier": tier,
        "parameters": dict(entry.parameters),
        "tags": list(entry.tags),
        "license_id": license_.id if license_ else None,
        "license_name": license_.name if license_ else None,
        "license_url": license_.url if license_ else None,
        "commercial_use": license_.commercial_use if license_ else None,
        "card": entry.card,
        "recommended": entry.recommended,
        "search_text": search_text_of(entry.id, entry.name, entry.description, entry.tags),
    }


def _latest_fields(version: dict[str, Any]) -> dict[str, Any]:
    """The seed keeps the newest version's facts on the model row itself."""
    return {
        "version": version["version"],
        "size_bytes": version["size_bytes"],
        "filename": version["filename"],
        "repo_id": version["repo_id"],
        "download_url": version["download_url"],
    }


def _keeps_own_fields(existing: KnownEntry, origin: str, keep_user_changes: bool) -> bool:
    """Whether an entry already in the catalog keeps its name, description, etc.: the
    user's edits survive reloads, and the remote catalog's survive the shipped one."""
    if not keep_user_changes:
        return False
    return existing.user_modified or (existing.origin == "remote" and origin == "default")


def upsert_models(
    session: Session,
    entries: Sequence[ManifestModel],
    origin: str,
    keep_user_changes: bool,
    *,
    vendor_source: bool = False,
    source: str | None = None,
) -> ImportSummary:
    """Add or update `entries`. `vendor_source` marks Clary's own catalogs (the shipped
    one, a signed remote one), the only sources that set a Clary model's tier; `source`
    names the manifest in errors."""
    conn = session.connection()
    models_t = table_of(ModelMetadata)
    versions_t = table_of(ModelVersion)
    files_t = table_of(VersionFile)
    now = datetime.now(UTC)
    added = updated = 0
    position = 0
    known_ids = {i.lower(): i for i in conn.execute(select(models_t.c.id)).scalars()}

    for chunk in chunks(entries):
        ids = [e.id for e in chunk]
        existing: dict[str, KnownEntry] = {
            model_id: KnownEntry(row_origin or "default", tier, bool(user_modified))
            for model_id, user_modified, row_origin, tier in conn.execute(
                select(
                    models_t.c.id, models_t.c.user_modified, models_t.c.origin, models_t.c.tier
                ).where(models_t.c.id.in_(ids))
            )
        }
        old_versions: dict[tuple[str, str], int] = {
            (model_id, version): version_id
            for version_id, model_id, version in conn.execute(
                select(versions_t.c.id, versions_t.c.model_id, versions_t.c.version).where(
                    versions_t.c.model_id.in_(list(existing))
                )
            )
        }
        _refuse_case_twins(chunk, known_ids, old_versions, position, source)

        new_models: list[dict[str, Any]] = []
        changed_models: list[dict[str, Any]] = []
        tier_changes: list[dict[str, Any]] = []
        for entry in chunk:
            position += 1
            latest = _version_row(entry.id, entry.latest, now)
            known = existing.get(entry.id)
            keeps_own = known is not None and _keeps_own_fields(known, origin, keep_user_changes)
            if known is not None and keeps_own and not known.user_modified:
                tier = known.tier  # the remote catalog's, over the shipped one
            else:
                where = f"{source}: entry {position} ({entry.id!r}), field tier" if source else ""
                tier = tier_from_source(
                    entry.id, entry.tier, known, vendor_source=vendor_source, where=where
                )
            if known is None:
                new_models.append(
                    {
                        "id": entry.id,
                        **_descriptive_fields(entry, tier),
                        **_latest_fields(latest),
                        "created_at": now,
                        "updated_at": now,
                        "origin": origin,
                        "user_modified": origin in USER_ORIGINS,
                    }
                )
            elif not keeps_own:
                changed_models.append(
                    {
                        "b_id": entry.id,
                        **_descriptive_fields(entry, tier),
                        "updated_at": now,
                        "user_modified": origin in USER_ORIGINS,
                        "origin": "remote" if origin == "remote" else known.origin,
                    }
                )
            elif vendor_source and tier != known.tier:
                tier_changes.append({"b_id": entry.id, "tier": tier, "updated_at": now})
        if new_models:
            conn.execute(insert(models_t), new_models)
            added += len(new_models)
            known_ids.update((m["id"].lower(), m["id"]) for m in new_models)
        for changes in (changed_models, tier_changes):
            if changes:
                conn.execute(update(models_t).where(models_t.c.id == bindparam("b_id")), changes)
        updated += len(chunk) - len(new_models)

        new_versions: list[dict[str, Any]] = []
        new_version_files: list[list[dict[str, Any]]] = []
        new_version_facts: list[ModelFacts | None] = []
        facts: list[tuple[int, ModelFacts]] = []
        changed_versions: list[dict[str, Any]] = []
        files: list[dict[str, Any]] = []
        for entry in chunk:
            for version in entry.versions:
                row = _version_row(entry.id, version, now)
                file_rows = [
                    {"path": f.path, "size_bytes": f.size_bytes, "sha256": f.sha256, "url": f.url}
                    for f in version.files
                ]
                version_id = old_versions.get((entry.id, version.version))
                declared = version.facts.to_facts(version.files) if version.facts else None
                if version_id is None:
                    new_versions.append(row)
                    new_version_files.append(file_rows)
                    new_version_facts.append(declared)
                else:
                    changed_versions.append({"b_id": version_id, **row})
                    files.extend({"version_id": version_id, **f} for f in file_rows)
                    if declared is not None:
                        facts.append((version_id, declared))
        if changed_versions:
            conn.execute(
                delete(files_t).where(
                    files_t.c.version_id.in_([v["b_id"] for v in changed_versions])
                )
            )
            conn.execute(
                update(versions_t).where(versions_t.c.id == bindparam("b_id")), changed_versions
            )
        if new_versions:
            inserted = (
                conn.execute(
                    insert(versions_t).returning(versions_t.c.id, sort_by_parameter_order=True),
                    new_versions,
                )
                .scalars()
                .all()
            )
            for version_id, file_rows, declared in zip(
                inserted, new_version_files, new_version_facts, strict=True
            ):
                files.extend({"version_id": version_id, **f} for f in file_rows)
                if declared is not None:
                    facts.append((version_id, declared))
        if files:
            conn.execute(insert(files_t), files)
        store_manifest_facts(conn, facts)

        # Models that existed may now hold versions from before and from this manifest.
        if existing:
            _refresh_latest(conn, list(existing), now)
    session.expire_all()
    return ImportSummary(added=added, updated=updated)


def _refuse_case_twins(
    chunk: Sequence[ManifestModel],
    known_ids: dict[str, str],
    known_versions: Iterable[tuple[str, str]],
    offset: int,
    source: str | None,
) -> None:
    """Ids and versions name folders: one that differs from the catalog's only in case
    would share its folder on Windows and macOS. `known_ids` maps lower-case ids (they
    are ASCII) to the catalog's."""
    versions: dict[tuple[str, str], str] = {
        (model_id, version.lower()): version for model_id, version in known_versions
    }
    for i, entry in enumerate(chunk):
        twin = known_ids.get(entry.id.lower())
        if twin is not None and twin != entry.id:
            _refuse(
                source, offset + i + 1, entry.id, "id", f"the catalog has {twin!r}, which differs"
            )
        for index, version in enumerate(entry.versions):
            other = versions.get((entry.id, version.version.lower()))
            if other is not None and other != version.version:
                _refuse(
                    source,
                    offset + i + 1,
                    entry.id,
                    f"versions[{index}].version",
                    f"the catalog has version {other!r}, which differs",
                )


def _refuse(source: str | None, position: int, model_id: str, field: str, why: str) -> None:
    where = f"{source}: entry {position} ({model_id!r})" if source else repr(model_id)
    raise InvalidManifestError(
        f"{where}, field {field}: {why} only in case; both would share one folder on Windows "
        "and macOS. Nothing was changed."
    )


def _refresh_latest(conn: Any, model_ids: list[str], now: datetime) -> None:
    versions_t = table_of(ModelVersion)
    models_t = table_of(ModelMetadata)
    by_model: dict[str, list[dict[str, Any]]] = {}
    for row in conn.execute(
        select(versions_t).where(versions_t.c.model_id.in_(model_ids))
    ).mappings():
        by_model.setdefault(row["model_id"], []).append(dict(row))
    changes = [
        {"b_id": model_id, **_latest_fields(newest(rows, key=lambda r: r["version"]))}
        for model_id, rows in by_model.items()
    ]
    if changes:
        conn.execute(update(models_t).where(models_t.c.id == bindparam("b_id")), changes)
