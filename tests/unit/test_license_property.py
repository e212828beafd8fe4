"""Any change to a valid license file's bytes: the same tier or refused, never more, and
never an exception other than LicenseError."""

from __future__ import annotations

import base64
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clary_desktop.domain.access import Tier
from clary_desktop.domain.license_status import LicenseState
from clary_desktop.licensing import Ledger, LicenseError, evaluate
from clary_desktop.licensing.payload import LicensePayload
from tests.support.licenses import NOW, Signer

SIGNER = Signer()
VERIFIER = SIGNER.verifier()
ORIGINAL_TIER = Tier.STANDARD
ORIGINAL = SIGNER.license(tier="standard")


def _mutate(data: bytes, draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate", "splice"]))
    buffer = bytearray(data)
    at = draw(st.integers(0, len(buffer) - 1))
    if kind == "flip":
        buffer[at] ^= 1 << draw(st.integers(0, 7))
    elif kind == "set":
        buffer[at] = draw(st.integers(0, 255))
    elif kind == "insert":
        buffer[at:at] = draw(st.binary(min_size=1, max_size=8))
    elif kind == "delete":
        del buffer[at : at + draw(st.integers(1, 8))]
    elif kind == "truncate":
        del buffer[at:]
    else:
        end = draw(st.integers(at, len(buffer)))
        buffer[at:end] = draw(st.binary(max_size=32))
    return bytes(buffer)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = ORIGINAL
    for _ in range(draw(st.integers(1, 3))):
        data = _mutate(data, draw) if data else data
    return data


@st.composite
def payload_edits(draw: st.DrawFn) -> bytes:
    """A well-formed envelope whose payload was edited (e.g. tier raised): a forgery."""
    document = json.loads(ORIGINAL)
    payload = json.loads(base64.urlsafe_b64decode(document["payload"] + "=="))
    payload["tier"] = draw(st.sampled_from(["lite", "standard", "professional", "PRO", 1]))
    payload["serial"] = draw(st.integers(1, 100))
    encoded = json.dumps(payload, separators=draw(st.sampled_from([(",", ":"), (", ", ": ")])))
    document["payload"] = base64.urlsafe_b64encode(encoded.encode()).rstrip(b"=").decode()
    return json.dumps(document).encode()


def _assert_never_higher(data: bytes) -> None:
    try:
        payload = VERIFIER.verify(data)
    except LicenseError:
        pass
    else:
        assert isinstance(payload, LicensePayload)
        assert payload.tier_value == ORIGINAL_TIER
    status = evaluate(data, VERIFIER, Ledger(), NOW).status
    assert status.tier in (ORIGINAL_TIER, Tier.LITE)
    if status.tier is not ORIGINAL_TIER:
        assert status.state is LicenseState.INVALID
        assert status.reason


def test_the_original_verifies() -> None:
    assert VERIFIER.verify(ORIGINAL).tier_value == ORIGINAL_TIER


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_bytes_never_grant_more(data: bytes) -> None:
    _assert_never_higher(data)


@settings(max_examples=100, deadline=None)
@given(payload_edits())
def test_edited_payloads_never_grant_more(data: bytes) -> None:
    _assert_never_higher(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_are_refused_cleanly(data: bytes) -> None:
    try:
        VERIFIER.verify(data)
    except LicenseError:
        return
    raise AssertionError("random bytes verified")
