"""The license file: the shared signed envelope (domain/signing.py) read strictly.

The Ed25519 signature covers DOMAIN + the exact payload bytes. The domain prefix
keeps a Clary license signature from being valid for any other use of the key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from clary_desktop.domain.signing import FORMAT_VERSION, KID_PATTERN, b64url_decode
from clary_desktop.errors import Action, Hint
from clary_desktop.licensing.errors import LicenseError, Reason
from clary_desktop.licensing.payload import first_problem

DOMAIN = b"clary-license-v1\x00"
MAX_LICENSE_BYTES = 16 * 1024
_AS_RECEIVED = "Install the license file exactly as you received it from Clary."
_INSTALL = Hint(Action.INSTALL_LICENSE)


class _EnvelopeFields(BaseModel):
    # defer_build: the schema is built on first use, not at import (start-up time);
    # most commands never use a license.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, defer_build=True)

    v: int = Field(ge=FORMAT_VERSION, le=FORMAT_VERSION)  # not Literal[1]: that accepts true
    alg: Literal["ed25519"]
    kid: str = Field(pattern=KID_PATTERN)
    payload: str = Field(min_length=1, max_length=MAX_LICENSE_BYTES)
    sig: str = Field(min_length=1, max_length=256)


@dataclass(frozen=True)
class Envelope:
    kid: str
    payload: bytes
    sig: bytes

    @property
    def signed_message(self) -> bytes:
        return signed_message(self.payload)


def signed_message(payload: bytes) -> bytes:
    return DOMAIN + payload


def parse_envelope(data: bytes) -> Envelope:
    """Check size, JSON shape, version and algorithm; decode payload and signature."""
    if len(data) > MAX_LICENSE_BYTES:
        raise LicenseError(
            Reason.TOO_LARGE,
            f"The license file is too large ({len(data)} bytes; a license is at most "
            f"{MAX_LICENSE_BYTES // 1024} KiB), so it is not a Clary license. {_AS_RECEIVED}",
            hint=_INSTALL,
        )
    try:
        fields = _EnvelopeFields.model_validate_json(data, strict=True)
    except ValidationError as error:
        raise LicenseError(
            Reason.MALFORMED,
            f"The license file is malformed ({first_problem(error)}). {_AS_RECEIVED}",
            hint=_INSTALL,
        ) from None
    return Envelope(
        kid=fields.kid,
        payload=_decode(fields.payload, "payload"),
        sig=_decode(fields.sig, "sig"),
    )


def _decode(text: str, field: str) -> bytes:
    try:
        return b64url_decode(text)
    except ValueError as error:
        raise LicenseError(
            Reason.MALFORMED,
            f"The license file is malformed ({field}: {error}). {_AS_RECEIVED}",
            hint=_INSTALL,
        ) from None
