"""The vendor's side: build and sign a license (used by `clary-license` and tests)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from clary_desktop.domain.access import Tier
from clary_desktop.domain.signing import encode_envelope
from clary_desktop.licensing.envelope import signed_message
from clary_desktop.licensing.payload import LicensePayload

DEFAULT_GRACE_DAYS = 14


def new_payload(
    *,
    tier: Tier | str,
    licensee: str,
    email: str,
    days: int,
    serial: int = 1,
    grace_days: int = DEFAULT_GRACE_DAYS,
    license_id: str | None = None,
    issued_at: datetime | None = None,
) -> LicensePayload:
    """A validated payload; raises pydantic's ValidationError on bad values."""
    start = (issued_at or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    return LicensePayload.model_validate(
        {
            "license_id": license_id or f"lic-{uuid.uuid4()}",
            "licensee": licensee,
            "email": email,
            "tier": Tier.parse(tier).key,
            "issued_at": start,
            "expires_at": start + timedelta(days=days),
            "grace_days": grace_days,
            "serial": serial,
        }
    )


def payload_bytes(payload: LicensePayload) -> bytes:
    """Compact JSON with UTC `Z` timestamps; these exact bytes get signed."""
    document = payload.model_dump()
    for name in ("issued_at", "expires_at"):
        document[name] = document[name].astimezone(UTC).isoformat().replace("+00:00", "Z")
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign_bytes(private_key: Ed25519PrivateKey, kid: str, payload: bytes) -> bytes:
    """A license file for these exact payload bytes (tests sign odd payloads with it)."""
    return encode_envelope(kid, payload, private_key.sign(signed_message(payload)))


def sign_license(private_key: Ed25519PrivateKey, kid: str, payload: LicensePayload) -> bytes:
    return sign_bytes(private_key, kid, payload_bytes(payload))
