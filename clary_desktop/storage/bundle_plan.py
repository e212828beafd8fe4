"""What each model of a bundle becomes in this catalog, decided before any byte is copied.

A bundle vouches for nothing: its digests were written by whoever made it. So:
- a model the catalog does not know is added as the user's own (origin "bundle",
  or "local" for a local model);
- a version the catalog knows installs only when every file matches a digest the
  catalog holds, or, for files it has none for, one the Hub confirms (online);
- anything else (offline, a plain-URL version, a version this catalog lacks) is
  imported as a separate local model, so the catalog's model stays as it was.
A bundle never changes a field of a model the catalog already holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from clary_desktop.domain.access import ModelAccessControl, requires_tier_message
from clary_desktop.domain.layout import CatalogFile, VersionSpec
from clary_desktop.downloads.errors import RetryableError
from clary_desktop.downloads.sources import resolve_tasks
from clary_desktop.errors import AccessDeniedError, ClaryError
from clary_desktop.registry.manifest import ManifestModel
from clary_desktop.storage.bundle_manifest import BundleManifest, BundleModel
from clary_desktop.storage.context import StorageContext
from clary_desktop.storage.local_models import LOCAL_ORIGIN, LOCAL_VERSION, local_entry
from clary_desktop.storage.records import (
    CatalogVersion,
    catalog_version,
    id_taken,
    model_origin_and_tier,
)

MAX_ID_LENGTH = 128


@dataclass(frozen=True)
class PlannedModel:
    """Where one bundled model goes: `model_id` `version`, with `new_entry` added to the
    catalog first when it is new; `blob_ids` are Hub git blob ids its files must match."""

    bundled: BundleModel
    model_id: str
    version: str
    model_type: str
    new_entry: ManifestModel | None = None
    origin: str = "bundle"
    installed_folder: Path | None = None
    blob_ids: dict[str, str] = field(default_factory=dict)
    local_copy_of: str | None = None


def plan_import(ctx: StorageContext, manifest: BundleManifest) -> list[PlannedModel]:
    """Validate every entry, the tier of every model and every digest the catalog or
    the Hub holds; ClaryError (nothing imported) on the first problem."""
    planned: list[PlannedModel] = []
    for bundled in manifest.models:
        entry = bundled.entry()
        found = model_origin_and_tier(ctx.db, bundled.id)
        # The catalog's tier governs a model it knows, whatever the bundle says.
        tier = found[1] if found is not None else entry.tier
        if not ModelAccessControl.can_access_model(ctx.tier, tier):
            raise AccessDeniedError(
                "The bundle holds a model above your tier: "
                + requires_tier_message(bundled.id, tier, ctx.tier)
                + " Nothing was imported."
            )
        if found is None:
            origin = LOCAL_ORIGIN if bundled.origin == LOCAL_ORIGIN else "bundle"
            planned.append(
                PlannedModel(bundled, bundled.id, bundled.version, entry.type, entry, origin)
            )
            continue
        current = catalog_version(ctx.db, bundled.id, bundled.version)
        if current is None:
            planned.append(_local_copy(ctx, bundled, entry.type, planned))
            continue
        _check_known_digests(bundled, current)
        if current.fully_hashed:
            planned.append(_catalog_install(bundled, current))
            continue
        blob_ids = _confirm_with_hub(ctx, bundled, current)
        if blob_ids is None:
            planned.append(_local_copy(ctx, bundled, current.model_type, planned))
        else:
            planned.append(_catalog_install(bundled, current, blob_ids))
    return planned


def _catalog_install(
    bundled: BundleModel, current: CatalogVersion, blob_ids: dict[str, str] | None = None
) -> PlannedModel:
    return PlannedModel(
        bundled,
        current.model_id,
        current.version,
        current.model_type,
        installed_folder=current.installed_folder,
        blob_ids=blob_ids or {},
    )


def _check_known_digests(bundled: BundleModel, current: CatalogVersion) -> None:
    bundled_sha = {f.path: f.sha256 for f in bundled.files}
    if {p for p, _, _ in current.files} != set(bundled_sha) or any(
        sha and sha != bundled_sha[p] for p, _, sha in current.files
    ):
        raise ClaryError(
            f"The bundle's {bundled.id} {bundled.version} differs from the same version "
            "in this catalog (other files or sha256). Nothing was imported."
        )


def _confirm_with_hub(
    ctx: StorageContext, bundled: BundleModel, current: CatalogVersion
) -> dict[str, str] | None:
    """For files the catalog has no sha256 for: the Hub's word. Returns the git blob
    ids still to check while copying, or None when the Hub cannot be asked."""
    if ctx.hub is None or current.repo_id is None or current.revision is None:
        return None
    spec = VersionSpec(
        current.model_id,
        current.model_type,
        current.version,
        current.repo_id,
        current.revision,
        None,
        tuple(CatalogFile(p, s, h, None) for p, s, h in current.files),
    )
    what = f"{bundled.id} {bundled.version}"
    try:
        remote = {task.path: task for task in resolve_tasks(spec, ctx.models_dir, ctx.hub)}
    except RetryableError as error:
        raise ClaryError(
            f"Cannot confirm the files of {what} with the Hub ({error}). Nothing was imported. "
            "Try again, or turn offline mode on to import them as a separate local model."
        ) from None
    except ClaryError as error:
        raise ClaryError(f"{error} Nothing was imported.") from None
    blob_ids: dict[str, str] = {}
    for f in bundled.files:
        known = next(sha for p, _, sha in current.files if p == f.path)
        if known is not None:
            continue
        task = remote[f.path]
        if task.size_bytes is not None and task.size_bytes != f.size_bytes:
            raise ClaryError(
                f"The bundle's {f.path} of {what} is {f.size_bytes} bytes; the Hub's is "
                f"{task.size_bytes}. Nothing was imported."
            )
        if task.sha256 is not None:
            if task.sha256 != f.sha256:
                raise ClaryError(
                    f"The bundle's {f.path} of {what} differs from the Hub's (sha256). "
                    "Nothing was imported."
                )
        elif task.git_blob_id:
            blob_ids[f.path] = task.git_blob_id
        else:
            return None
    return blob_ids


def _local_copy(
    ctx: StorageContext, bundled: BundleModel, model_type: str, planned: list[PlannedModel]
) -> PlannedModel:
    """The bundled files as a new local model beside the catalog's."""
    taken = {p.model_id.lower() for p in planned}
    model_id = _free_id(ctx, f"{bundled.id[: MAX_ID_LENGTH - 9]}-local", taken)
    entry = bundled.entry()
    description = (
        f"A copy of {bundled.id} {bundled.version} from an offline bundle. Neither this "
        "catalog nor the Hub could confirm its files, so it is kept apart from the "
        f"catalog's {bundled.id}."
    )
    new_entry = local_entry(
        model_id,
        f"{entry.name} (local copy)",
        model_type,
        description,
        [{"path": f.path, "size_bytes": f.size_bytes, "sha256": f.sha256} for f in bundled.files],
    )
    return PlannedModel(
        bundled,
        model_id,
        LOCAL_VERSION,
        model_type,
        new_entry,
        LOCAL_ORIGIN,
        local_copy_of=bundled.id,
    )


def _free_id(ctx: StorageContext, base: str, taken: set[str]) -> str:
    candidate, number = base, 1
    while candidate.lower() in taken or id_taken(ctx.db, candidate):
        number += 1
        candidate = f"{base}-{number}"
    return candidate
