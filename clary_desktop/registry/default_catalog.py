"""The catalog shipped in `resources/catalog/default.json`, loaded on first start
and again whenever the shipped file changes (an upgrade): new entries are added,
entries the user changed are kept as the user left them."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from sqlalchemy import select

from clary_desktop.db import Database
from clary_desktop.db.tables import MetaEntry
from clary_desktop.registry.catalog_upsert import upsert_models
from clary_desktop.registry.manifest import manifest_from_bytes, read_manifest_bytes
from clary_desktop.resources import resource_path

log = logging.getLogger(__name__)
SEEDED_KEY = "default_catalog_sha256"


def default_catalog_file() -> Path:
    return resource_path("catalog", "default.json")


def ensure_default_catalog(database: Database) -> bool:
    """Load the shipped catalog if it changed since the last load; True when it loaded."""
    path = default_catalog_file()
    # One read: the digest recorded is the digest of the bytes loaded.
    data = read_manifest_bytes(path)
    digest = hashlib.sha256(data).hexdigest()
    with database.read() as session:
        seen = session.scalar(select(MetaEntry.value).where(MetaEntry.key == SEEDED_KEY))
    if seen == digest:
        return False
    manifest = manifest_from_bytes(data, str(path))
    with database.write() as session:
        summary = upsert_models(session, manifest.models, origin="default", keep_user_changes=True)
        session.merge(MetaEntry(key=SEEDED_KEY, value=digest))
    log.info("Loaded the default catalog: %s added, %s updated", summary.added, summary.updated)
    return True
