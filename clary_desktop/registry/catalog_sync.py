"""Catalog sync: new entries and versions from a published manifest.

A manifest from the network must be signed by a trusted catalog key; a local file
may be unsigned only when the user says so. Signed manifests carry a sequence
number: an older one than the last accepted is refused, so nobody can roll the
catalog back to hide an update. Entries the published catalog dropped are marked
retired, never deleted. Everything happens in one transaction.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import update
from sqlalchemy.orm import Session

from clary_desktop.db import Database
from clary_desktop.db.tables import MetaEntry, ModelMetadata, table_of
from clary_desktop.errors import Action, ClaryError, Hint, InvalidManifestError
from clary_desktop.network.config import NetworkConfig
from clary_desktop.network.problems import ProxyUnreachable
from clary_desktop.registry.catalog_upsert import upsert_models
from clary_desktop.registry.manifest import (
    MAX_MANIFEST_BYTES,
    decode_json,
    parse_manifest,
    read_manifest_bytes,
)
from clary_desktop.registry.signed_catalog import looks_signed, verify_catalog

if TYPE_CHECKING:
    from clary_desktop.domain.signing_keys import TrustedKeys

CATALOG_URL_ENV = "CLARY_CATALOG_URL"
_CHECK_ADDRESS = f"Check the catalog address (catalog_url in settings.json, or {CATALOG_URL_ENV})."
_SET_ADDRESS = Hint(Action.SET_CATALOG_ADDRESS)
SEQUENCE_KEY = "catalog_sequence"
DIGEST_KEY = "catalog_sha256"
_CHUNK = 2000


@dataclass(frozen=True)
class SyncSummary:
    source: str
    signed: bool
    sequence: int | None
    added: int
    updated: int
    retired: int
    unchanged: bool = False


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def read_catalog_source(
    source: str, offline: bool, timeout: float = 30, network: NetworkConfig | None = None
) -> bytes:
    """The catalog's bytes from a file or a URL (through `network`'s proxy and trust)."""
    if is_url(source):
        import requests

        # Loads requests: only when a catalog is fetched from the network.
        from clary_desktop.network.http import new_session

        if offline:
            raise ClaryError(
                f"Offline mode is on, so the catalog at {source} was not fetched. Turn offline "
                "mode off, or sync from a catalog file.",
                hint=Hint(Action.SYNC_FROM_FILE),
            )
        try:
            with (
                new_session(network or NetworkConfig()) as session,
                session.get(
                    source, timeout=timeout, stream=True, headers={"Accept-Encoding": "identity"}
                ) as response,
            ):
                if response.status_code != 200:
                    raise ClaryError(
                        f"The catalog server answered {response.status_code} for {source}. "
                        f"{_CHECK_ADDRESS}",
                        hint=_SET_ADDRESS,
                    )
                body = bytearray()
                for chunk in response.iter_content(1 << 20):
                    body += chunk
                    if len(body) > MAX_MANIFEST_BYTES:
                        raise ClaryError(f"The catalog at {source} is larger than allowed.")
                return bytes(body)
        except requests.TooManyRedirects:
            raise ClaryError(
                f"The catalog server at {source} sent too many redirects (a redirect loop). "
                f"{_CHECK_ADDRESS}",
                hint=_SET_ADDRESS,
            ) from None
        except (
            requests.exceptions.InvalidSchema,
            requests.exceptions.InvalidURL,
            requests.exceptions.InvalidHeader,
        ) as error:
            # The server's mistake (a redirect to file://, a broken header), not the network's.
            raise ClaryError(
                f"The catalog server at {source} sent an answer Clary cannot use ({error}). "
                f"{_CHECK_ADDRESS}",
                hint=_SET_ADDRESS,
            ) from None
        except requests.RequestException as error:
            why = str(error) if isinstance(error, ProxyUnreachable) else type(error).__name__
            raise ClaryError(
                f"Cannot download the catalog from {source} ({why}). "
                "Check your network connection and the catalog address."
            ) from None
    return read_manifest_bytes(Path(source.removeprefix("file://")).expanduser())


def default_source(configured: str | None) -> str:
    source = configured or os.environ.get(CATALOG_URL_ENV)
    if not source:
        raise ClaryError(
            f"No catalog source is set. Name a catalog address or file, or set {CATALOG_URL_ENV}.",
            hint=_SET_ADDRESS,
        )
    return source


def sync_catalog(
    database: Database,
    source: str,
    *,
    keys: TrustedKeys,
    allow_unsigned: bool = False,
    offline: bool = False,
    network: NetworkConfig | None = None,
) -> SyncSummary:
    data = read_catalog_source(source, offline, network=network)
    raw = decode_json(data, source)
    signed = looks_signed(raw)
    if signed:
        manifest_bytes = verify_catalog(raw, source, keys).manifest_bytes
        raw = decode_json(manifest_bytes, source)
    elif is_url(source):
        raise InvalidManifestError(
            f"{source}: the catalog is not signed. A catalog from the network must be signed "
            "by Clary; nothing was changed."
        )
    elif not allow_unsigned:
        raise InvalidManifestError(
            f"{source}: the catalog is not signed. If you trust this file, accept it as unsigned.",
            hint=Hint(Action.ALLOW_UNSIGNED, source=source),
        )
    manifest = parse_manifest(raw, source)
    if signed and manifest.sequence is None:
        raise InvalidManifestError(
            f"{source}: a signed catalog must carry a sequence number; nothing was changed"
        )
    digest = hashlib.sha256(data).hexdigest()

    with database.write() as session:
        if signed:
            last = session.get(MetaEntry, SEQUENCE_KEY)
            last_sequence = int(last.value) if last else 0
            assert manifest.sequence is not None
            if manifest.sequence < last_sequence:
                raise InvalidManifestError(
                    f"{source}: this catalog (sequence {manifest.sequence}) is older than the one "
                    f"already accepted (sequence {last_sequence}). Older catalogs are refused so "
                    "updates cannot be rolled back; nothing was changed."
                )
            if manifest.sequence == last_sequence:
                seen = session.get(MetaEntry, DIGEST_KEY)
                if seen is not None and seen.value != digest:
                    raise InvalidManifestError(
                        f"{source}: this catalog reuses sequence {last_sequence} with different "
                        "contents; nothing was changed. Ask the publisher for a new sequence."
                    )
                return SyncSummary(source, True, manifest.sequence, 0, 0, 0, unchanged=True)
        # Only a signed catalog is Clary's word on tiers; an unsigned file is the user's.
        summary = upsert_models(
            session,
            manifest.models,
            origin="remote",
            keep_user_changes=True,
            vendor_source=signed,
            source=source,
        )
        retired = _retire_missing(session, [m.id for m in manifest.models])
        if signed:
            session.merge(MetaEntry(key=SEQUENCE_KEY, value=str(manifest.sequence)))
            session.merge(MetaEntry(key=DIGEST_KEY, value=digest))
    return SyncSummary(source, signed, manifest.sequence, summary.added, summary.updated, retired)


def _retire_missing(session: Session, present: list[str]) -> int:
    """Mark remote entries missing from `present` retired; un-retire the present ones."""
    conn = session.connection()
    table = table_of(ModelMetadata)
    before = (
        conn.execute(table.select().with_only_columns(table.c.id).where(table.c.retired.is_(True)))
        .scalars()
        .all()
    )
    conn.execute(update(table).where(table.c.origin == "remote").values(retired=True))
    for start in range(0, len(present), _CHUNK):
        chunk = present[start : start + _CHUNK]
        conn.execute(update(table).where(table.c.id.in_(chunk)).values(retired=False))
    after = (
        conn.execute(table.select().with_only_columns(table.c.id).where(table.c.retired.is_(True)))
        .scalars()
        .all()
    )
    return len(set(after) - set(before))
