"""Helpers shared by the download tests: catalog entries, a fast manager, and a look at
the read buffers."""

from __future__ import annotations

import errno
import hashlib
import json
import os
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from clary_desktop.app import Registry
from clary_desktop.downloads import disk_writer
from clary_desktop.downloads.buffer_pool import BufferPool
from clary_desktop.downloads.disk_writer import DiskWriter
from clary_desktop.downloads.manager import DownloadManager
from clary_desktop.downloads.transfer import TransferOptions
from clary_desktop.registry.manifest import parse_manifest

REVISION = "cfbbbff0762e6aab37086fdd4739ad14fe7d5db4"

FAST = TransferOptions(
    chunk_bytes=256 * 1024,
    stall_seconds=1.0,
    connect_seconds=2.0,
    max_retries=6,
    backoff_seconds=0.01,
    backoff_max_seconds=0.2,
    space_margin_bytes=0,
)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def url_entry(
    model_id: str,
    files: dict[str, tuple[str, bytes | None]],
    *,
    tier: str = "lite",
    model_type: str = "llm",
    known: bool = True,
) -> dict[str, Any]:
    """A catalog entry whose files come from plain URLs: {path: (url, data)}."""
    return {
        "id": model_id,
        "name": model_id,
        "type": model_type,
        "tier": tier,
        "versions": [
            {
                "version": "1.0",
                "files": [
                    {
                        "path": path,
                        "url": url,
                        **(
                            {"size_bytes": len(data), "sha256": sha(data)} if known and data else {}
                        ),
                    }
                    for path, (url, data) in files.items()
                ],
            }
        ],
    }


def hub_entry(
    model_id: str,
    repo_id: str,
    files: dict[str, bytes],
    *,
    tier: str = "lite",
    model_type: str = "layout",
    pinned: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A Hub catalog entry; only the files in `pinned` carry size and sha256."""
    return {
        "id": model_id,
        "name": model_id,
        "type": model_type,
        "tier": tier,
        "versions": [
            {
                "version": "1.0",
                "repo_id": repo_id,
                "revision": REVISION,
                "files": [
                    {
                        "path": path,
                        **(
                            {"size_bytes": len(data), "sha256": sha(data)} if path in pinned else {}
                        ),
                    }
                    for path, data in files.items()
                ],
            }
        ],
    }


def import_entries(registry: Registry, *entries: dict[str, Any]) -> None:
    manifest = parse_manifest({"schema": 1, "models": list(entries)}, "test")
    registry.catalog.import_manifest(manifest, origin="import", keep_user_changes=False)


def write_manifest(path: Path, *entries: dict[str, Any]) -> Path:
    path.write_text(json.dumps({"schema": 1, "models": list(entries)}), encoding="utf-8")
    return path


def use_fast_manager(registry: Registry, options: TransferOptions = FAST) -> DownloadManager:
    """Give `registry` a manager with short timeouts and back-offs."""
    manager = DownloadManager(
        registry.db,
        models_dir=lambda: registry.models_dir,
        tier=lambda: registry.tier,
        settings=registry.settings,
        options=options,
    )
    registry.use_download_engine(manager)
    return manager


def record_buffer_pools(monkeypatch: pytest.MonkeyPatch, module: ModuleType) -> list[BufferPool]:
    """Every BufferPool `module` makes from now on, for tests of what its reads use."""
    pools: list[BufferPool] = []

    class RecordedPool(BufferPool):
        def __init__(self, buffer_bytes: int, capacity: int) -> None:
            super().__init__(buffer_bytes, capacity)
            pools.append(self)

    monkeypatch.setattr(module, "BufferPool", RecordedPool)
    return pools


def record_disk_writers(monkeypatch: pytest.MonkeyPatch, module: ModuleType) -> list[DiskWriter]:
    """Every DiskWriter `module` makes from now on, for tests of how bytes were written."""
    writers: list[DiskWriter] = []

    class RecordedWriter(DiskWriter):
        def __init__(self, path: Path, allow_direct: bool = True) -> None:
            super().__init__(path, allow_direct)
            writers.append(self)

    monkeypatch.setattr(module, "DiskWriter", RecordedWriter)
    return writers


def require_direct_writes(folder: Path) -> None:
    """Skip the test unless this system and `folder`'s file system take O_DIRECT writes
    (Linux CI's do: the skip is for other systems)."""
    if not _direct_writes_work(folder):
        pytest.skip("this system or its temporary folder's file system has no O_DIRECT")


def _direct_writes_work(folder: Path) -> bool:
    if not getattr(os, "O_DIRECT", 0):
        return False
    probe = folder / "direct-probe"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_DIRECT, 0o644)
    except OSError:
        return False
    try:
        os.pwrite(fd, disk_writer.aligned_buffer(disk_writer.BLOCK_BYTES), 0)
        return True
    except OSError as error:
        if error.errno != errno.EINVAL:
            raise
        return False
    finally:
        os.close(fd)
        probe.unlink()
