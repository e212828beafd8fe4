"""Catalog models already in the local Hugging Face cache, offered for linking.

The cache keeps `models--<org>--<name>/blobs/<etag>` with `snapshots/<commit>/<path>`
links into the blobs; an LFS file's blob is named by its sha256. A catalog file
matches when a blob carries its sha256, or when the cache holds the catalog's
repo at the catalog's pinned revision. Only reading the folders: no network,
nothing hashed until the user links a candidate (then every file is checked).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from clary_desktop.domain.access import ModelAccessControl, requires_tier_message
from clary_desktop.domain.storage_values import (
    CacheCandidate,
    CacheFile,
    ImportedFile,
    ImportResult,
    ProgressCallback,
)
from clary_desktop.errors import AccessDeniedError, Action, ClaryError, Hint, NotFoundError
from clary_desktop.storage.context import StorageContext
from clary_desktop.storage.file_ops import git_blob_id, hash_file
from clary_desktop.storage.records import (
    CatalogVersion,
    active_install,
    catalog_version,
    versions_of_repos,
    versions_with_files,
)
from clary_desktop.storage.sideload import install_files

_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


def hf_cache_dir() -> Path:
    """The folder huggingface_hub uses: HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/..."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    cache_home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache_home) / "huggingface" / "hub"


@dataclass
class _CacheIndex:
    blobs: dict[str, Path] = field(default_factory=dict)  # sha256 -> blob path
    snapshots: dict[tuple[str, str], Path] = field(default_factory=dict)  # (repo, commit) -> dir


def _scan(cache: Path) -> _CacheIndex:
    index = _CacheIndex()
    if not cache.is_dir():
        return index
    for repo_dir in sorted(cache.glob("models--*")):
        repo_id = "/".join(repo_dir.name.split("--")[1:])
        blobs = repo_dir / "blobs"
        if blobs.is_dir():
            for blob in blobs.iterdir():
                if _SHA256_RE.match(blob.name) and blob.is_file():
                    index.blobs.setdefault(blob.name, blob)
        snapshots = repo_dir / "snapshots"
        if snapshots.is_dir():
            for snapshot in snapshots.iterdir():
                if snapshot.is_dir():
                    index.snapshots[(repo_id, snapshot.name)] = snapshot
    return index


def _match(version: CatalogVersion, index: _CacheIndex) -> list[CacheFile] | None:
    """The cached file for every catalog file, or None when one is not there."""
    snapshot = index.snapshots.get((version.repo_id or "", version.revision or ""))
    found = []
    for path, size, sha in version.files:
        cached: Path | None = index.blobs.get(sha) if sha else None
        if cached is None and snapshot is not None:
            candidate = snapshot.joinpath(*path.split("/"))
            if candidate.is_file():
                cached = candidate.resolve()
        if cached is None:
            return None
        length = cached.stat().st_size
        if size is not None and length != size:
            return None
        found.append(CacheFile(path=path, cache_path=str(cached), size_bytes=length))
    return found


def _as_the_hub_named_it(file: CacheFile) -> str | None:
    """A cache blob is named by the Hub's etag: the sha256 of an LFS file, the git blob
    id of a small one. The sha256 when the bytes still match that name (else ClaryError:
    changed after download, or not from the Hub); None when only the blob id was checked."""
    blob = Path(file.cache_path)
    if _SHA256_RE.match(blob.name):
        digest = hash_file(blob)
        if digest == blob.name:
            return digest
    elif re.fullmatch(r"[0-9a-f]{40}", blob.name) and git_blob_id(blob) == blob.name:
        return None
    raise ClaryError(
        f"The Hugging Face cache's {file.path} ({blob}) does not match the name the Hub gave "
        "it: it changed after it was downloaded. Nothing was linked; download the model "
        "instead, or clear that repo from the cache."
    )


def find_candidates(ctx: StorageContext, cache: Path | None = None) -> list[CacheCandidate]:
    """Catalog versions whose every file is in the cache (installed ones marked)."""
    index = _scan(cache or hf_cache_dir())
    if not index.blobs and not index.snapshots:
        return []
    versions = {(v.model_id, v.version): v for v in versions_with_files(ctx.db, index.blobs)}
    for v in versions_of_repos(ctx.db, {repo for repo, _ in index.snapshots}):
        versions.setdefault((v.model_id, v.version), v)
    candidates = []
    for (model_id, version_name), version in sorted(versions.items()):
        files = _match(version, index)
        if files is None:
            continue
        installed = active_install(ctx.db, model_id)
        candidates.append(
            CacheCandidate(
                model_id=model_id,
                version=version_name,
                tier=version.tier,
                locked=not ModelAccessControl.can_access_model(ctx.tier, version.tier),
                installed=installed is not None and installed[0] == version_name,
                files=files,
            )
        )
    return candidates


def link_candidate(
    ctx: StorageContext,
    model_id: str,
    mode: str = "symlink",
    cache: Path | None = None,
    progress: ProgressCallback | None = None,
) -> ImportResult:
    """Install `model_id` from the cache by `mode` (symlink saves the disk space; the
    model then breaks if the cache is cleared, which `storage` reports)."""
    found = [c for c in find_candidates(ctx, cache) if c.model_id == model_id]
    if not found:
        raise NotFoundError(
            f"The Hugging Face cache ({cache or hf_cache_dir()}) holds no complete copy of "
            f"{model_id}.",
            hint=Hint(Action.LIST_HF_CACHE),
        )
    candidate = found[-1]
    if candidate.locked:
        raise AccessDeniedError(requires_tier_message(model_id, candidate.tier, ctx.tier))
    if mode not in ("copy", "hardlink", "symlink"):
        raise ClaryError("Files in the Hugging Face cache can be linked or copied, not moved.")
    version = catalog_version(ctx.db, model_id, candidate.version)
    if version is None:  # deleted meanwhile
        raise NotFoundError(f"{model_id} {candidate.version} is no longer in the catalog.")
    # Every file is hashed before it is placed and checked against the catalog's sha256;
    # one the catalog has no digest for must match the name the Hub gave its blob.
    known = {path: sha for path, _size, sha in version.files}
    sources = {
        f.path: (Path(f.cache_path), None if known.get(f.path) else _as_the_hub_named_it(f))
        for f in candidate.files
    }
    folder, learned = install_files(ctx, version, sources, mode, progress)
    files = [
        ImportedFile(
            path=f.path,
            source=f.cache_path,
            size_bytes=learned[f.path][1],
            sha256=learned[f.path][0],
            format="unknown",
        )
        for f in candidate.files
    ]
    return ImportResult(
        model_id=model_id,
        version=candidate.version,
        tier=candidate.tier,
        matched_catalog=True,
        mode=mode,
        folder=str(folder),
        size_bytes=sum(f.size_bytes for f in files),
        files=files,
    )
