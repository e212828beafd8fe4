"""Signing primitives shared by licenses and signed catalogs.

Both are the same small JSON envelope around signed payload bytes:

    {"v": 1, "alg": "ed25519", "kid": KEY_ID, "payload": BASE64URL, "sig": BASE64URL}

Each use signs a domain prefix + the payload, so a signature made for one use is
never valid for another. What a payload means lives with its use (licensing/,
registry/signed_catalog.py).
"""

from __future__ import annotations

import base64
import binascii
import json
import re

FORMAT_VERSION = 1
ALGORITHM = "ed25519"
SIGNATURE_BYTES = 64
KID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"

_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")


def encode_envelope(kid: str, payload: bytes, sig: bytes) -> bytes:
    document = {
        "v": FORMAT_VERSION,
        "alg": ALGORITHM,
        "kid": kid,
        "payload": b64url_encode(payload),
        "sig": b64url_encode(sig),
    }
    return (json.dumps(document, indent=2) + "\n").encode("ascii")


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Unpadded base64url only; any other character, or non-canonical bits, is an error."""
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not base64url") from None
    if b64url_encode(data) != text:
        raise ValueError("not canonical base64url")
    return data
