"""`import-file`: register a model file or folder the user already has.

The files are hashed first (with progress). When their sha256 match every file
of a catalog version, that catalog model counts as installed (the catalog's
tier rules apply). Otherwise they become a new "local" lite model of the user.
Nothing is registered until every file is in place and checked.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from clary_desktop.domain.access import ModelAccessControl, requires_tier_message
from clary_desktop.domain.file_formats import FormatInfo, GgufInfo, detect_format
from clary_desktop.domain.import_modes import MODES
from clary_desktop.domain.layout import CatalogFile, VersionSpec, version_dir
from clary_desktop.domain.safe_names import check_model_id, check_relative_file_path, safe_join
from clary_desktop.domain.storage_values import (
    ImportedFile,
    ImportResult,
    Progress,
    ProgressCallback,
)
from clary_desktop.downloads.verify import verify_version
from clary_desktop.errors import AccessDeniedError, Action, ClaryError, Hint
from clary_desktop.registry.catalog_upsert import upsert_models
from clary_desktop.registry.manifest import ManifestModel
from clary_desktop.storage.context import StorageContext
from clary_desktop.storage.file_ops import Placement, hash_file
from clary_desktop.storage.local_models import LOCAL_ORIGIN, LOCAL_VERSION, local_entry
from clary_desktop.storage.records import (
    CatalogVersion,
    active_install,
    model_origin_and_tier,
    record_installs,
    versions_with_files,
)


@dataclass(frozen=True)
class SourceFile:
    relative: str  # `/`-separated path inside the model folder
    path: Path
    size_bytes: int


@dataclass(frozen=True)
class HashedFile:
    source: SourceFile
    sha256: str


def list_sources(source: Path) -> list[SourceFile]:
    """The files to import: `source` itself, or every file under the folder."""
    if not source.exists():
        raise ClaryError(f"{source}: no such file or folder.")
    if source.is_file():
        return [SourceFile(source.name, source, source.stat().st_size)]
    if not source.is_dir():
        raise ClaryError(f"{source} is neither a file nor a folder.")
    found: list[SourceFile] = []
    for root, dirs, names in os.walk(source):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            if name.startswith("."):
                continue
            path = Path(root) / name
            if path.is_file():
                relative = path.relative_to(source).as_posix()
                found.append(SourceFile(relative, path, path.stat().st_size))
    if not found:
        raise ClaryError(f"{source} holds no files to import.")
    for item in found:
        try:
            check_relative_file_path(item.relative)
        except ValueError as error:
            raise ClaryError(f"Cannot import {item.path}: {error}.") from None
    return found


def hash_sources(
    sources: list[SourceFile], progress: ProgressCallback | None, stage: str = "hashing"
) -> list[HashedFile]:
    total = sum(s.size_bytes for s in sources)
    done = 0
    hashed = []
    for item in sources:

        def step(n: int, current: str = item.relative) -> None:
            nonlocal done
            done += n
            if progress:
                progress(Progress(stage, done, total, current))

        try:
            hashed.append(HashedFile(item, hash_file(item.path, step)))
        except OSError as error:
            raise ClaryError(f"Cannot read {item.path} ({error.strerror}).") from None
    return hashed


def _complete_match(
    version: CatalogVersion, by_sha: Mapping[str, HashedFile]
) -> dict[str, HashedFile] | None:
    """{catalog path: imported file} when every catalog file is among the imported ones."""
    if not version.fully_hashed:
        return None
    mapping: dict[str, HashedFile] = {}
    for path, _size, sha in version.files:
        if sha is None or sha not in by_sha:
            return None
        mapping[path] = by_sha[sha]
    return mapping


def _spec(version: CatalogVersion) -> VersionSpec:
    return VersionSpec(
        model_id=version.model_id,
        model_type=version.model_type,
        version=version.version,
        repo_id=version.repo_id,
        revision=version.revision,
        download_url=None,
        files=tuple(CatalogFile(p, s, h, None) for p, s, h in version.files),
        installed_folder=version.installed_folder,
    )


def _format_of(files: list[HashedFile]) -> tuple[str, GgufInfo | None, dict[str, str]]:
    formats: dict[str, str] = {}
    gguf: GgufInfo | None = None
    for f in files:
        try:
            info = detect_format(f.source.path)
        except (OSError, ValueError, KeyError):
            info = FormatInfo(format="unknown")
        formats[f.source.relative] = info.format
        gguf = gguf or info.gguf
    main = "gguf" if gguf else next((v for v in formats.values() if v != "unknown"), "unknown")
    return main, gguf, formats


def _local_id(source: Path) -> str:
    stem = source.stem if source.is_file() else source.name
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-._").lower()[:100]
    return slug or "local-model"


def import_path(
    ctx: StorageContext,
    source: Path,
    model_id: str | None = None,
    mode: str = "copy",
    model_type: str | None = None,
    progress: ProgressCallback | None = None,
) -> ImportResult:
    if mode not in MODES:
        raise ClaryError(f"Unknown import mode {mode!r}; use one of {', '.join(MODES)}.")
    source = source.expanduser().absolute()
    sources = list_sources(source)
    hashed = hash_sources(sources, progress)
    by_sha = {h.sha256: h for h in hashed}
    matches = [
        (v, mapping)
        for v in versions_with_files(ctx.db, by_sha)
        if (mapping := _complete_match(v, by_sha)) is not None
    ]
    if model_id is not None:
        matches = [m for m in matches if m[0].model_id == model_id]
    main_format, gguf, formats = _format_of(hashed)

    if matches:
        # Prefer a model the user may use; then the newest version.
        matches.sort(
            key=lambda m: (
                not ModelAccessControl.can_access_model(ctx.tier, m[0].tier),
                m[0].model_id,
                m[0].version,
            )
        )
        version, mapping = matches[0]
        if not ModelAccessControl.can_access_model(ctx.tier, version.tier):
            raise AccessDeniedError(
                f"{source.name} is {version.model_id} {version.version} from the catalog. "
                + requires_tier_message(version.model_id, version.tier, ctx.tier)
            )
        placed = {path: (h.source.path, h.sha256) for path, h in mapping.items()}
        folder, _ = install_files(ctx, version, placed, mode, progress)
        files = [
            ImportedFile(
                path=p,
                source=str(h.source.path),
                size_bytes=h.source.size_bytes,
                sha256=h.sha256,
                format=formats[h.source.relative],
            )
            for p, h in mapping.items()
        ]
        return ImportResult(
            model_id=version.model_id,
            version=version.version,
            tier=version.tier,
            matched_catalog=True,
            mode=mode,
            folder=str(folder),
            size_bytes=sum(f.size_bytes for f in files),
            files=files,
            gguf=gguf,
        )
    return _import_local(
        ctx, source, hashed, model_id, mode, model_type, main_format, gguf, formats, progress
    )


def _import_local(
    ctx: StorageContext,
    source: Path,
    hashed: list[HashedFile],
    model_id: str | None,
    mode: str,
    model_type: str | None,
    main_format: str,
    gguf: GgufInfo | None,
    formats: dict[str, str],
    progress: ProgressCallback | None,
) -> ImportResult:
    chosen = model_id or _local_id(source)
    try:
        check_model_id(chosen)
    except ValueError as error:
        raise ClaryError(
            f"Cannot use {chosen!r} as the id: {error}. Choose another id.",
            hint=Hint(Action.CHOOSE_MODEL_ID, source=str(source)),
        ) from None
    existing = model_origin_and_tier(ctx.db, chosen)
    if existing is not None:
        origin, _ = existing
        if origin != LOCAL_ORIGIN:
            raise ClaryError(
                f"{source} does not match any version of {chosen} in the catalog (the sha256 "
                "differ). Choose another id to import it as a local model.",
                hint=Hint(Action.CHOOSE_MODEL_ID, source=str(source)),
            )
        raise ClaryError(
            f"A local model {chosen!r} exists already. Remove it first, or choose another id.",
            hint=Hint(Action.REMOVE_MODEL, model_id=chosen),
        )
    kind = model_type or ("llm" if main_format == "gguf" else "other")
    entry = local_entry(
        chosen,
        gguf.name if gguf and gguf.name else source.stem,
        kind,
        f"Imported from {source} on {datetime.now(UTC):%Y-%m-%d}.",
        [
            {"path": h.source.relative, "size_bytes": h.source.size_bytes, "sha256": h.sha256}
            for h in hashed
        ],
    )
    version = CatalogVersion(
        model_id=chosen,
        model_type=kind,
        tier=entry.tier,
        origin=LOCAL_ORIGIN,
        version=LOCAL_VERSION,
        repo_id=None,
        revision=None,
        files=tuple((h.source.relative, h.source.size_bytes, h.sha256) for h in hashed),
    )
    placed = {h.source.relative: (h.source.path, h.sha256) for h in hashed}
    folder, _ = install_files(ctx, version, placed, mode, progress, new_entry=entry)
    files = [
        ImportedFile(
            path=h.source.relative,
            source=str(h.source.path),
            size_bytes=h.source.size_bytes,
            sha256=h.sha256,
            format=formats[h.source.relative],
        )
        for h in hashed
    ]
    return ImportResult(
        model_id=chosen,
        version=LOCAL_VERSION,
        tier=entry.tier,
        matched_catalog=False,
        mode=mode,
        folder=str(folder),
        size_bytes=sum(f.size_bytes for f in files),
        files=files,
        gguf=gguf,
    )


def install_files(
    ctx: StorageContext,
    version: CatalogVersion,
    sources: Mapping[str, tuple[Path, str | None]],
    mode: str,
    progress: ProgressCallback | None,
    new_entry: ManifestModel | None = None,
) -> tuple[Path, dict[str, tuple[str, int]]]:
    """Put {catalog path: (source, sha256 or None to hash now)} into the version's folder
    and record the installation; all of it, or nothing. Returns the folder and
    {path: (sha256, size)} of what was placed.

    `new_entry` (a ManifestModel) is added to the catalog in the same transaction."""
    spec = _spec(version)
    folder = version_dir(ctx.models_dir, spec)
    installed = active_install(ctx.db, version.model_id)
    already = installed is not None and installed[0] == version.version and new_entry is None
    if already and all(r.status == "ok" for r in verify_version(ctx.models_dir, spec)):
        raise ClaryError(
            f"{version.model_id} {version.version} is installed already and verified; "
            "nothing to import."
        )
    expected = {p: sha for p, _size, sha in version.files}
    total = sum(src.stat().st_size for src, _ in sources.values())
    done = 0
    placement = Placement()
    learned: dict[str, tuple[str, int]] = {}
    try:
        for relative, (src, sha) in sources.items():

            def step(n: int, current: str = relative) -> None:
                nonlocal done
                done = min(total, done + n)
                if progress:
                    progress(Progress("copying", done, total, current))

            if sha is None:
                sha = hash_file(src, step)
                if expected.get(relative) and expected[relative] != sha:
                    raise ClaryError(
                        f"{src} does not match {relative} of {version.model_id} "
                        "(sha256 differs); nothing was imported."
                    )
            size = src.stat().st_size
            target = safe_join(folder, *relative.split("/"))
            placement.place(src, target, mode, sha, step)
            learned[relative] = (sha, size)
        size = sum(s for _, s in learned.values())
        if progress:
            progress(Progress("registering", total, total, None))
        with ctx.db.write() as session:
            if new_entry is not None:
                upsert_models(
                    session,
                    [new_entry],
                    origin=LOCAL_ORIGIN,
                    keep_user_changes=False,
                )
            record_installs(session, [(version.model_id, version.version, folder, size, learned)])
    except OSError as error:
        placement.undo()
        raise ClaryError(
            f"Cannot import into {folder} ({error.strerror}); nothing was imported."
        ) from None
    except BaseException:
        placement.undo()
        raise
    return folder, learned
