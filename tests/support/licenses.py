"""Test key pairs and license files: each test signs with its own key, never the vendor's."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from clary_desktop.domain.signing_keys import private_pem, public_pem
from clary_desktop.licensing import LicenseVerifier
from clary_desktop.licensing.issue import sign_bytes

NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)


def _iso(value: Any) -> Any:
    return value.isoformat().replace("+00:00", "Z") if isinstance(value, datetime) else value


@dataclass
class Signer:
    kid: str = "test-key"
    private_key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)

    def verifier(self) -> LicenseVerifier:
        return LicenseVerifier({self.kid: self.private_key.public_key()})

    def payload(self, **overrides: Any) -> dict[str, Any]:
        document: dict[str, Any] = {
            "license_id": "lic-test-1",
            "licensee": "Test User",
            "email": "test@example.com",
            "tier": "professional",
            "issued_at": NOW - timedelta(days=1),
            "expires_at": NOW + timedelta(days=30),
            "grace_days": 14,
            "serial": 1,
        }
        document.update(overrides)
        return {k: _iso(v) for k, v in document.items() if v is not ...}

    def license(self, **overrides: Any) -> bytes:
        """A signed license; `field=...` (Ellipsis) leaves a field out."""
        return self.sign(json.dumps(self.payload(**overrides)).encode())

    def sign(self, payload: bytes) -> bytes:
        return sign_bytes(self.private_key, self.kid, payload)

    def write_public(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.kid}.pub"
        path.write_bytes(public_pem(self.private_key.public_key()))
        return path

    def write_private(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.kid}.key"
        path.write_bytes(private_pem(self.private_key))
        return path


def envelope(data: bytes) -> dict[str, Any]:
    return json.loads(data)


def reencode(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode()
