"""Helpers of the offline-storage tests: registries with a fixed tier, catalog
entries whose sha256 match files made in the test, and a snapshot of the catalog."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import select

from clary_desktop.app import Registry
from clary_desktop.db.tables import Installation, ModelMetadata, ModelVersion, VersionFile
from clary_desktop.domain.access import Tier
from clary_desktop.paths import resolve_paths
from tests.support.download_env import import_entries, sha


@contextmanager
def open_registry(data_dir: Path, tier: Tier = Tier.LITE) -> Iterator[Registry]:
    registry = Registry.open(resolve_paths(data_dir), tier_source=lambda: tier)
    try:
        yield registry
    finally:
        registry.close()


def file_entry(
    model_id: str, files: dict[str, bytes], *, tier: str = "lite", model_type: str = "llm"
) -> dict[str, Any]:
    """A catalog entry (plain URLs, never fetched) whose files have these contents."""
    return {
        "id": model_id,
        "name": f"Model {model_id}",
        "type": model_type,
        "tier": tier,
        "versions": [
            {
                "version": "1.0",
                "files": [
                    {
                        "path": path,
                        "url": f"https://models.example/{model_id}/{path}",
                        "size_bytes": len(data),
                        "sha256": sha(data),
                    }
                    for path, data in files.items()
                ],
            }
        ],
    }


def add_entries(registry: Registry, *entries: dict[str, Any]) -> None:
    import_entries(registry, *entries)


def catalog_state(registry: Registry) -> dict[str, Any]:
    """Everything an import may change: models, versions, files and installations."""
    with registry.db.read() as session:
        return {
            "models": sorted(
                session.execute(
                    select(ModelMetadata.id, ModelMetadata.tier, ModelMetadata.origin)
                ).all()
            ),
            "versions": sorted(
                session.execute(select(ModelVersion.model_id, ModelVersion.version)).all()
            ),
            "files": sorted(
                session.execute(
                    select(VersionFile.version_id, VersionFile.path, VersionFile.sha256)
                ).all()
            ),
            "installs": sorted(
                session.execute(
                    select(
                        Installation.model_id,
                        Installation.version,
                        Installation.path,
                        Installation.active,
                    )
                ).all()
            ),
        }


def hand_made_bundle(target: Path, entry: dict[str, Any], files: dict[str, bytes]) -> Path:
    """A bundle folder as anyone could write it: its own bytes, digests and description
    for the first version of `entry`."""
    import json

    version = entry["versions"][0]["version"]
    for path, data in files.items():
        member = target / "files" / entry["id"] / version / path
        member.parent.mkdir(parents=True, exist_ok=True)
        member.write_bytes(data)
    listed = [{"path": p, "size_bytes": len(d), "sha256": sha(d)} for p, d in files.items()]
    catalog = {
        **entry,
        "description": "Whatever the bundle's maker wrote.",
        "versions": [{**entry["versions"][0], "files": listed}],
    }
    manifest = {
        "format": "clary-bundle",
        "schema": 1,
        "created_at": "2026-11-29T00:00:00+00:00",
        "models": [{"id": entry["id"], "version": version, "catalog": catalog, "files": listed}],
    }
    (target / "clary-bundle.json").write_text(json.dumps(manifest))
    return target


def tree(root: Path) -> dict[str, bytes]:
    """Every file under `root` with its bytes (symlinks followed), for before/after checks."""
    if not root.exists():
        return {}
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


NO_NETWORK_DIR = Path(__file__).parent / "no_network"


def no_network_env(log: Path, **extra: str) -> dict[str, str]:
    """A CLI environment with offline mode on, HF_HUB_OFFLINE=1, and every internet
    connection failing and logged to `log` (see no_network/sitecustomize.py)."""
    from tests.support.cli import clean_env

    return clean_env(
        CLARY_OFFLINE="1",
        HF_HUB_OFFLINE="1",
        # Keep the caller's PYTHONPATH after ours, so a checkout under test stays in use.
        PYTHONPATH=os.pathsep.join(
            filter(None, [str(NO_NETWORK_DIR), os.environ.get("PYTHONPATH")])
        ),
        CLARY_TEST_NETWORK_LOG=str(log),
        **extra,
    )
