"""Offline bundles: installed models to a folder or one `.tar`, and back.

Export checks each file against the catalog while writing it and writes the
manifest last. Import refuses models above the user's tier, then copies every
file into a staging folder inside the models folder while hashing it; only when
every file matches the manifest are the folders moved into place and the
catalog entries and installations recorded, in one transaction. A damaged
bundle imports nothing and the error names the bad file.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import shutil
import socket
import tarfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, BinaryIO

from clary_desktop import __version__
from clary_desktop.domain.access import ModelAccessControl, requires_tier_message
from clary_desktop.domain.disk_space import free_bytes
from clary_desktop.domain.layout import VersionSpec, version_dir
from clary_desktop.domain.safe_names import safe_join
from clary_desktop.domain.storage_values import (
    BundleImportResult,
    ExportedModel,
    ExportResult,
    Progress,
    ProgressCallback,
)
from clary_desktop.downloads.store import JobStore
from clary_desktop.errors import AccessDeniedError, Action, ClaryError, Hint, NotFoundError
from clary_desktop.formatting import format_size
from clary_desktop.registry.catalog import unknown_model
from clary_desktop.registry.catalog_upsert import upsert_models
from clary_desktop.storage.bundle_manifest import (
    MANIFEST_NAME,
    BundleFile,
    BundleManifest,
    BundleModel,
    parse_bundle_manifest,
)
from clary_desktop.storage.bundle_plan import PlannedModel, plan_import
from clary_desktop.storage.context import StorageContext
from clary_desktop.storage.file_ops import BytesCallback, copy_stream, git_blob_id
from clary_desktop.storage.records import (
    active_install,
    entry_for_bundle,
    model_origin_and_tier,
    record_installs,
)

STAGING_PREFIX = ".clary-staging-"
MAX_MANIFEST_BYTES = 64 * 1024 * 1024


# ---- export --------------------------------------------------------------------------


@dataclass(frozen=True)
class _ExportItem:
    model_id: str
    version: str
    origin: str
    entry: dict[str, Any]
    files: list[tuple[str, Path, int]]  # (catalog path, file on disk, size)
    expected: dict[str, str | None]


def _export_items(ctx: StorageContext, model_ids: list[str]) -> list[_ExportItem]:
    store = JobStore(ctx.db)
    items = []
    for model_id in dict.fromkeys(model_ids):
        found = model_origin_and_tier(ctx.db, model_id)
        if found is None:
            raise unknown_model(model_id)
        origin, tier = found
        if not ModelAccessControl.can_access_model(ctx.tier, tier):
            raise AccessDeniedError(requires_tier_message(model_id, tier, ctx.tier))
        installed = active_install(ctx.db, model_id)
        if installed is None:
            raise NotFoundError(
                f"{model_id} is not installed, so it cannot be exported. Download or import it "
                "first."
            )
        version = installed[0]
        spec = store.version_spec(model_id, version)
        folder = version_dir(ctx.models_dir, spec)
        files = []
        for f in spec.files:
            path = safe_join(folder, *f.path.split("/"))
            if not path.is_file():
                raise ClaryError(
                    f"{model_id} {version} is missing {f.path} on disk; verify and repair "
                    "it before exporting.",
                    hint=Hint(Action.VERIFY_MODEL, model_id=model_id),
                )
            files.append((f.path, path, path.stat().st_size))
        items.append(
            _ExportItem(
                model_id,
                version,
                origin,
                entry_for_bundle(ctx.db, model_id, version),
                files,
                {f.path: f.sha256 for f in spec.files},
            )
        )
    return items


class _BundleWriter:
    """Writes members of a bundle into a folder or a tar, then the manifest."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.is_tar = target.suffix.lower() == ".tar"
        self.tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.partial")
        if self.is_tar:
            self._tar: tarfile.TarFile | None = tarfile.open(  # noqa: SIM115 - closed in finish
                self.tmp, "w", format=tarfile.PAX_FORMAT
            )
        else:
            self.tmp.mkdir(parents=True)
            self._tar = None

    def add_file(self, member: str, source: Path, size: int, on_chunk: BytesCallback | None) -> str:
        digest_holder: dict[str, str] = {}
        with open(source, "rb") as handle:
            reader = _HashingReader(handle, on_chunk)
            if self._tar is not None:
                info = tarfile.TarInfo(member)
                info.size = size
                info.mtime = int(source.stat().st_mtime)
                info.mode = 0o644
                self._tar.addfile(info, reader)
                if reader.length != size:
                    raise ClaryError(f"{source} changed size while it was exported; try again.")
                digest_holder["sha"] = reader.hexdigest()
            else:
                target = self.tmp.joinpath(*member.split("/"))
                sha, length = copy_stream(reader, target)
                if length != size:
                    raise ClaryError(f"{source} changed size while it was exported; try again.")
                digest_holder["sha"] = sha
        return digest_holder["sha"]

    def finish(self, manifest: bytes) -> None:
        if self._tar is not None:
            info = tarfile.TarInfo(MANIFEST_NAME)
            info.size = len(manifest)
            info.mtime = int(datetime.now(UTC).timestamp())
            info.mode = 0o644
            self._tar.addfile(info, io.BytesIO(manifest))
            self._tar.close()
            self._tar = None
            with open(self.tmp, "rb+") as handle:
                os.fsync(handle.fileno())
        else:
            path = self.tmp / MANIFEST_NAME
            path.write_bytes(manifest)
        if not self.is_tar and self.target.exists():
            self.target.rmdir()  # only an empty folder is accepted as a target
        os.replace(self.tmp, self.target)

    def abort(self) -> None:
        if self._tar is not None:
            with suppress(OSError, tarfile.TarError):
                self._tar.close()
            self._tar = None
        if self.tmp.is_dir():
            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            self.tmp.unlink(missing_ok=True)


class _HashingReader:
    """A read-only file wrapper that hashes what passes through it."""

    def __init__(self, handle: BinaryIO, on_chunk: BytesCallback | None) -> None:
        self._handle = handle
        self._digest = hashlib.sha256()
        self._on_chunk = on_chunk
        self.length = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self._handle.read(size)
        self._digest.update(chunk)
        self.length += len(chunk)
        if chunk and self._on_chunk:
            self._on_chunk(len(chunk))
        return chunk

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def export_models(
    ctx: StorageContext,
    model_ids: list[str],
    target: Path,
    progress: ProgressCallback | None = None,
) -> ExportResult:
    if not model_ids:
        raise ClaryError("Name at least one model id to export.")
    target = target.expanduser().absolute()
    if target.suffix.lower() == ".tar":
        if target.exists():
            raise ClaryError(f"{target} exists already; choose a new file name.")
    elif target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ClaryError(f"{target} exists and is not an empty folder; choose a new one.")
    if not target.parent.is_dir():
        raise ClaryError(f"{target.parent}: no such folder.")
    items = _export_items(ctx, model_ids)
    total = sum(size for item in items for _, _, size in item.files)
    done = 0
    writer = _BundleWriter(target)
    bundled: list[BundleModel] = []
    try:
        for item in items:
            files: list[BundleFile] = []
            for relative, path, size in item.files:
                member = f"files/{item.model_id}/{item.version}/{relative}"

                def step(n: int, current: str = relative) -> None:
                    nonlocal done
                    done += n
                    if progress:
                        progress(Progress("writing", done, total, current))

                sha = writer.add_file(member, path, size, step)
                expected = item.expected.get(relative)
                if expected is not None and sha != expected:
                    raise ClaryError(
                        f"{item.model_id}'s file {relative} is corrupt on disk (sha256 differs "
                        "from the catalog); verify and repair it. No bundle was written.",
                        hint=Hint(Action.VERIFY_MODEL, model_id=item.model_id),
                    )
                files.append(BundleFile(path=relative, size_bytes=size, sha256=sha))
            entry = dict(item.entry)
            entry["versions"] = [_with_digests(entry["versions"][0], files)]
            bundled.append(
                BundleModel(
                    id=item.model_id,
                    version=item.version,
                    origin=item.origin,
                    catalog=entry,
                    files=files,
                )
            )
        manifest = BundleManifest(
            created_at=datetime.now(UTC).isoformat(),
            created_by=f"Clary Desktop {__version__} on {socket.gethostname()}",
            models=bundled,
        )
        writer.finish(manifest.model_dump_json(by_alias=True, indent=2).encode())
    except OSError as error:
        writer.abort()
        raise ClaryError(f"Cannot write the bundle {target} ({error.strerror}).") from None
    except BaseException:
        writer.abort()
        raise
    return ExportResult(
        path=str(target),
        kind="tar" if writer.is_tar else "folder",
        models=[
            ExportedModel(
                model_id=m.id,
                version=m.version,
                files=len(m.files),
                size_bytes=sum(f.size_bytes for f in m.files),
            )
            for m in bundled
        ],
        size_bytes=total,
    )


def _with_digests(version: dict[str, Any], files: list[BundleFile]) -> dict[str, Any]:
    """The catalog version with every file's size and sha256 as bundled (learned ones too)."""
    known = {f.path: f for f in files}
    updated = dict(version)
    updated["files"] = [
        {**f, "size_bytes": known[f["path"]].size_bytes, "sha256": known[f["path"]].sha256}
        for f in version["files"]
    ]
    updated.pop("size_bytes", None)
    return updated


# ---- import --------------------------------------------------------------------------


class _BundleReader:
    """Read access to a bundle folder or tar, by member name; never extracts blindly."""

    def __init__(self, source: Path) -> None:
        self.source = source
        self._tar: tarfile.TarFile | None = None
        self._members: dict[str, tarfile.TarInfo] = {}
        if source.is_file():
            try:
                self._tar = tarfile.open(source, "r:*")  # noqa: SIM115 - closed in close()
                for info in self._tar:
                    self._members[info.name.removeprefix("./")] = info
            except (tarfile.TarError, OSError, EOFError):
                raise ClaryError(
                    f"{source} is not a readable bundle (not a tar file, or damaged). "
                    "Nothing was imported."
                ) from None
        elif not source.is_dir():
            raise ClaryError(f"{source}: no such bundle file or folder.")

    def close(self) -> None:
        if self._tar is not None:
            self._tar.close()

    def manifest(self) -> BundleManifest:
        with self.open(MANIFEST_NAME) as handle:
            if handle is None:
                raise ClaryError(
                    f"{self.source} is not a Clary bundle (it has no {MANIFEST_NAME}). "
                    "Nothing was imported."
                )
            data = handle.read(MAX_MANIFEST_BYTES + 1)
        if len(data) > MAX_MANIFEST_BYTES:
            raise ClaryError(f"{self.source}: the bundle manifest is too large.")
        return parse_bundle_manifest(data, str(self.source))

    @contextmanager
    def open(self, member: str) -> Iterator[IO[bytes] | None]:
        if self._tar is not None:
            info = self._members.get(member)
            if info is None or not info.isfile():
                yield None
                return
            handle = self._tar.extractfile(info)
            try:
                yield handle
            finally:
                if handle is not None:
                    handle.close()
            return
        path = self.source.joinpath(*member.split("/"))
        if not path.is_file() or path.is_symlink():
            yield None
            return
        with open(path, "rb") as handle:
            yield handle


def import_bundle(
    ctx: StorageContext, source: Path, progress: ProgressCallback | None = None
) -> BundleImportResult:
    source = source.expanduser().absolute()
    reader = _BundleReader(source)
    try:
        manifest = reader.manifest()
        planned = plan_import(ctx, manifest)
        ctx.models_dir.mkdir(parents=True, exist_ok=True)
        staging = ctx.models_dir / f"{STAGING_PREFIX}{uuid.uuid4().hex[:12]}"
        try:
            staged = _stage(ctx, reader, planned, staging, progress)
            _commit(ctx, planned, staged, staging)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    finally:
        reader.close()
    return BundleImportResult(
        source=str(source),
        models=[
            ExportedModel(
                model_id=p.model_id,
                version=p.version,
                files=len(p.bundled.files),
                size_bytes=sum(f.size_bytes for f in p.bundled.files),
                local_copy_of=p.local_copy_of,
            )
            for p in planned
        ],
        size_bytes=sum(f.size_bytes for p in planned for f in p.bundled.files),
    )


def _final_dir(ctx: StorageContext, plan: PlannedModel) -> Path:
    spec = VersionSpec(
        plan.model_id, plan.model_type, plan.version, None, None, None, (), plan.installed_folder
    )
    return version_dir(ctx.models_dir, spec)


def _stage(
    ctx: StorageContext,
    reader: _BundleReader,
    planned: list[PlannedModel],
    staging: Path,
    progress: ProgressCallback | None,
) -> list[Path]:
    """Copy every file into `staging`, hashing it; ClaryError naming the first bad file."""
    total = sum(f.size_bytes for p in planned for f in p.bundled.files)
    if free_bytes(ctx.models_dir) < total:
        raise ClaryError(
            f"The bundle needs {format_size(total)} but {ctx.models_dir} has "
            f"{format_size(free_bytes(ctx.models_dir))} free. Nothing was imported."
        )
    done = 0
    folders = []
    for index, plan in enumerate(planned):
        folder = staging / str(index)
        for f in plan.bundled.files:
            member = plan.bundled.member(f)

            def step(n: int, current: str = member) -> None:
                nonlocal done
                done += n
                if progress:
                    progress(Progress("verifying", min(done, total), total, current))

            target = safe_join(folder, *f.path.split("/"))
            with reader.open(member) as handle:
                if handle is None:
                    raise ClaryError(
                        f"The bundle is damaged: {member} is missing. Nothing was imported."
                    )
                try:
                    sha, length = copy_stream(handle, target, step, limit=f.size_bytes + 1)
                except (OSError, tarfile.TarError, EOFError) as error:
                    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
                        raise ClaryError(
                            f"The models folder {ctx.models_dir} ran out of space while "
                            "importing the bundle. Nothing was imported."
                        ) from None
                    reason = str(error).splitlines()[0] if str(error) else type(error).__name__
                    raise ClaryError(
                        f"The bundle is damaged: {member} cannot be read ({reason}). "
                        "Nothing was imported."
                    ) from None
            if length != f.size_bytes or sha != f.sha256:
                raise ClaryError(
                    f"The bundle is damaged: {member} does not match its sha256 in the "
                    "manifest. Nothing was imported."
                )
            blob_id = plan.blob_ids.get(f.path)
            if blob_id is not None and git_blob_id(target) != blob_id:
                raise ClaryError(
                    f"The bundle's {member} differs from the file on the Hub (its git blob "
                    "id does not match). Nothing was imported."
                )
        folders.append(folder)
    return folders


def _commit(
    ctx: StorageContext, planned: list[PlannedModel], staged: list[Path], staging: Path
) -> None:
    """Move the staged folders into place and register everything; undo on failure."""
    moved: list[tuple[Path, Path | None]] = []  # (final folder, previous contents kept aside)
    try:
        for index, (plan, folder) in enumerate(zip(planned, staged, strict=True)):
            final = _final_dir(ctx, plan)
            aside = None
            if final.exists():
                aside = staging / f"previous-{index}"
                os.replace(final, aside)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(folder, final)
            moved.append((final, aside))
        with ctx.db.write() as session:
            for plan in planned:
                if plan.new_entry is not None:  # never a model the catalog already holds
                    upsert_models(
                        session, [plan.new_entry], origin=plan.origin, keep_user_changes=True
                    )
            # Digests the catalog lacked are learned only where the Hub confirmed them
            # (see bundle_plan); new entries carry their own.
            record_installs(
                session,
                [
                    (
                        p.model_id,
                        p.version,
                        final,
                        sum(f.size_bytes for f in p.bundled.files),
                        {f.path: (f.sha256, f.size_bytes) for f in p.bundled.files},
                    )
                    for p, (final, _) in zip(planned, moved, strict=True)
                ],
            )
    except BaseException:
        for final, aside in reversed(moved):
            shutil.rmtree(final, ignore_errors=True)
            if aside is not None:
                os.replace(aside, final)
        raise


def bundle_summary(source: Path) -> BundleManifest:
    """The manifest of a bundle, for a preview before importing (no file is read)."""
    reader = _BundleReader(source.expanduser().absolute())
    try:
        return reader.manifest()
    finally:
        reader.close()
