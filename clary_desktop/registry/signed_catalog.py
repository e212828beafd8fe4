"""Signed catalog manifests: the license envelope format with its own domain.

    {"v": 1, "alg": "ed25519", "kid": KEY_ID, "payload": BASE64URL, "sig": BASE64URL}

The signature covers CATALOG_DOMAIN + the exact manifest bytes, so a license can
never pass as a catalog or a catalog as a license, even under the same key. The
trusted keys are the license keys (`resources/keys/`, plus development keys in a
source checkout).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from clary_desktop.domain.signing import KID_PATTERN, b64url_decode, encode_envelope
from clary_desktop.errors import InvalidManifestError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from clary_desktop.domain.signing_keys import TrustedKeys

CATALOG_DOMAIN = b"clary-catalog-v1\x00"
_ENVELOPE_KEYS = {"v", "alg", "kid", "payload", "sig"}


class _CatalogEnvelope(BaseModel):
    # defer_build: the schema is built on first use, not at import (start-up time);
    # most commands never use a signed catalog.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, defer_build=True)

    v: int = Field(ge=1, le=1)
    alg: str = Field(pattern=r"^ed25519$")
    kid: str = Field(pattern=KID_PATTERN)
    payload: str = Field(min_length=1)
    sig: str = Field(min_length=1, max_length=256)


@dataclass(frozen=True)
class VerifiedCatalog:
    kid: str
    manifest_bytes: bytes


def looks_signed(raw: object) -> bool:
    """True for a parsed JSON document shaped like a signed envelope."""
    return isinstance(raw, dict) and set(raw) == _ENVELOPE_KEYS


def sign_catalog(private_key: Ed25519PrivateKey, kid: str, manifest_bytes: bytes) -> bytes:
    return encode_envelope(kid, manifest_bytes, private_key.sign(CATALOG_DOMAIN + manifest_bytes))


def verify_catalog(raw: object, source: str, keys: TrustedKeys) -> VerifiedCatalog:
    """The manifest bytes of a signed catalog, or InvalidManifestError saying why not."""
    try:
        envelope = _CatalogEnvelope.model_validate(raw)
        payload = b64url_decode(envelope.payload)
        signature = b64url_decode(envelope.sig)
    except (ValidationError, ValueError):
        raise InvalidManifestError(
            f"{source}: the signed catalog is malformed. Download it again from its publisher."
        ) from None
    key = keys.get(envelope.kid)
    if key is None:
        raise InvalidManifestError(
            f"{source}: the catalog is signed with a key this Clary Desktop does not trust "
            f"(key id {envelope.kid!r}). Update Clary Desktop or check the catalog source."
        )
    # cryptography loads when a signature is checked, not with every catalog read.
    from cryptography.exceptions import InvalidSignature

    try:
        key.verify(signature, CATALOG_DOMAIN + payload)
    except InvalidSignature:
        raise InvalidManifestError(
            f"{source}: the catalog's signature does not match its contents (changed, damaged, "
            "or not a catalog). Nothing was changed; get the catalog again from its publisher."
        ) from None
    return VerifiedCatalog(kid=envelope.kid, manifest_bytes=payload)
