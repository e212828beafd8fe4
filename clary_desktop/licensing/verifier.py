"""Offline verification: bytes in, a trusted payload or a LicenseError out."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clary_desktop.domain.signing import SIGNATURE_BYTES
from clary_desktop.licensing.envelope import parse_envelope
from clary_desktop.licensing.errors import LicenseError, Reason
from clary_desktop.licensing.payload import LicensePayload, parse_payload

if TYPE_CHECKING:
    from clary_desktop.domain.signing_keys import TrustedKeys

_CHANGED = (
    "The license's signature does not match its contents: the file was changed or damaged. "
    "Install the original file you received from Clary again, or ask Clary support for a copy."
)


class LicenseVerifier:
    """Checks the envelope and signature; knows nothing of time (see evaluate)."""

    def __init__(self, keys: TrustedKeys) -> None:
        self._keys = dict(keys)

    @classmethod
    def default(cls) -> LicenseVerifier:
        # The keys (and cryptography with them) load when a license file is there to
        # check: without one, the tier is known without them.
        from clary_desktop.domain.signing_keys import default_trusted_keys

        return cls(default_trusted_keys())

    @property
    def key_ids(self) -> list[str]:
        return sorted(self._keys)

    def verify(self, data: bytes) -> LicensePayload:
        envelope = parse_envelope(data)
        key = self._keys.get(envelope.kid)
        if key is None:
            raise LicenseError(
                Reason.UNKNOWN_KEY,
                f"The license was signed with a key this copy of Clary Desktop does not know "
                f"(key id {envelope.kid!r}). Update Clary Desktop, or ask Clary support for a "
                "license for this version.",
            )
        if len(envelope.sig) != SIGNATURE_BYTES:
            raise LicenseError(Reason.BAD_SIGNATURE, _CHANGED)
        # cryptography loads with the first signature checked (see `default`).
        from cryptography.exceptions import InvalidSignature

        try:
            key.verify(envelope.sig, envelope.signed_message)
        except InvalidSignature:
            raise LicenseError(Reason.BAD_SIGNATURE, _CHANGED) from None
        return parse_payload(envelope.payload)
