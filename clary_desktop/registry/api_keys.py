"""Keys for the local API. A key is 32 random bytes shown once at creation; the
database keeps only its sha256 (a fast hash is enough for a random secret of
that length), so a copied database file does not leak usable keys."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from clary_desktop.db import Database
from clary_desktop.db.tables import ApiKey
from clary_desktop.db.timestamps import as_utc
from clary_desktop.domain.pipeline_values import ApiKeyInfo
from clary_desktop.errors import Action, ClaryError, Hint, NotFoundError

log = logging.getLogger(__name__)
KEY_PREFIX = "clary_"
LAST_USED_RESOLUTION = timedelta(seconds=10)
"""A key's "last used" is at most this old (lists show it to the minute)."""
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _info(row: ApiKey) -> ApiKeyInfo:
    return ApiKeyInfo(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        created_at=as_utc(row.created_at),
        last_used_at=as_utc(row.last_used_at),
        revoked_at=as_utc(row.revoked_at),
    )


class ApiKeyStore:
    def __init__(self, database: Database) -> None:
        self.db = database

    def create(self, name: str) -> tuple[ApiKeyInfo, str]:
        """A new key; the returned secret is the only copy that will ever exist."""
        if not _NAME_RE.match(name):
            raise ClaryError(
                f"API key name {name!r} must start with a letter or digit and use only letters, "
                "digits, '.', '_' and '-' (at most 64 characters)."
            )
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        with self.db.write() as session:
            if session.scalar(select(ApiKey).where(ApiKey.name == name)) is not None:
                raise ClaryError(
                    f"An API key named {name!r} already exists. Choose another name, or revoke "
                    "the old key first."
                )
            row = ApiKey(
                name=name,
                key_hash=_hash(secret),
                prefix=secret[: len(KEY_PREFIX) + 4],
                created_at=datetime.now(UTC),
            )
            session.add(row)
            session.flush()
            info = _info(row)
        return info, secret

    def list(self) -> list[ApiKeyInfo]:
        with self.db.read() as session:
            return [_info(r) for r in session.scalars(select(ApiKey).order_by(ApiKey.name))]

    def revoke(self, name: str) -> ApiKeyInfo:
        with self.db.write() as session:
            row = session.scalar(select(ApiKey).where(ApiKey.name == name))
            if row is None:
                raise NotFoundError(
                    f"No API key named {name!r}; check the name.",
                    hint=Hint(Action.LIST_API_KEYS),
                )
            if row.revoked_at is None:
                row.revoked_at = datetime.now(UTC)
            session.flush()
            return _info(row)

    def authenticate(self, secret: str | None) -> ApiKeyInfo | None:
        """The active key matching `secret`, or None (missing, wrong or revoked)."""
        if not secret or len(secret) > 200:
            return None
        digest = _hash(secret)
        with self.db.read() as session:
            row = session.scalar(select(ApiKey).where(ApiKey.key_hash == digest))
            if row is None or row.revoked_at is not None:
                return None
            if not hmac.compare_digest(row.key_hash, digest):
                return None
            return _info(row)

    def use(self, secret: str | None) -> ApiKeyInfo | None:
        """`authenticate`, and record the use (last used) of the key it finds.

        At most one write per key every LAST_USED_RESOLUTION (a pipeline may call many
        times a second; each write is a synced transaction). Recording is best effort:
        a database that cannot be written (read-only, busy) does not turn a key away."""
        key = self.authenticate(secret)
        if key is None:
            return None
        last = key.last_used_at
        if last is not None and datetime.now(UTC) - last < LAST_USED_RESOLUTION:
            return key
        try:
            with self.db.write() as session:
                row = session.get(ApiKey, key.id)
                if row is None or row.revoked_at is not None:  # revoked meanwhile
                    return None
                row.last_used_at = datetime.now(UTC)
                session.flush()
                return _info(row)
        except ClaryError as error:
            log.warning("Could not record the use of API key %r: %s", key.name, error)
            return key
