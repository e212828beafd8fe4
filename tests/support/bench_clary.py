"""`clary-models download` as a user runs it, for the whole-process benchmarks: a fresh
data folder whose catalog lists one file at a URL (with its size and sha256), imported
with `clary-models catalog import` beforehand (not timed)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

from clary_desktop.domain.layout import PART_SUFFIX
from clary_desktop.paths import resolve_paths
from tests.support import cli
from tests.support.download_env import write_manifest
from tests.support.whole_process import Run, timed

MODEL_ID = "bench-nginx"
FILE_NAME = "model.bin"


def entry(url: str, size: int, digest: str) -> dict[str, Any]:
    """The catalog entry of MODEL_ID: one file at `url`, with its size and sha256."""
    return {
        "id": MODEL_ID,
        "name": "nginx benchmark",
        "type": "llm",
        "tier": "lite",
        "versions": [
            {
                "version": "1.0",
                "files": [{"path": FILE_NAME, "url": url, "size_bytes": size, "sha256": digest}],
            }
        ],
    }


def fresh_data_dir(data_dir: Path, url: str, size: int, digest: str) -> Path:
    """`data_dir`, emptied, its catalog listing MODEL_ID (imported by the CLI)."""
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    manifest = write_manifest(
        data_dir.parent / f"{data_dir.name}-catalog.json", entry(url, size, digest)
    )
    imported = cli.run("clary-models", "--data-dir", data_dir, "catalog", "import", manifest)
    assert imported.returncode == 0, imported.stderr
    return data_dir


def installed_file(data_dir: Path) -> Path:
    """Where the download lands (the catalog entry above is type llm, version 1.0)."""
    return resolve_paths(data_dir).default_models_dir / "llm" / MODEL_ID / "1.0" / FILE_NAME


def part_file(data_dir: Path) -> Path:
    target = installed_file(data_dir)
    return target.with_name(target.name + PART_SUFFIX)


def download(data_dir: Path, env: dict[str, str] | None = None) -> Run:
    """`clary-models --data-dir DIR download MODEL_ID`, timed as a whole process (in
    `env`, else the clean environment)."""
    return timed(
        [*cli.script("clary-models"), "--data-dir", str(data_dir), "download", MODEL_ID],
        env=env if env is not None else cli.clean_env(),
    )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    buffer = bytearray(4 * 2**20)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as handle:
        while read := handle.readinto(buffer):
            digest.update(view[:read])
    return digest.hexdigest()
