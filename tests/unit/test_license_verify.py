"""Every reason a license file is refused: the reason text, and the tier stays lite."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from clary_desktop.domain.access import Tier
from clary_desktop.domain.license_status import LicenseState, LicenseStatus
from clary_desktop.domain.signing import b64url_encode
from clary_desktop.errors import Action, Hint
from clary_desktop.licensing import Ledger, LicenseError, LicenseVerifier, Reason, evaluate
from clary_desktop.licensing.envelope import DOMAIN, MAX_LICENSE_BYTES
from tests.support.licenses import NOW, Signer, envelope, reencode


@pytest.fixture
def signer() -> Signer:
    return Signer()


def check(signer: Signer, data: bytes, ledger: Ledger | None = None) -> LicenseStatus:
    return evaluate(data, signer.verifier(), ledger or Ledger(), NOW).status


def assert_refused(status: LicenseStatus, reason: Reason, *words: str) -> None:
    assert status.state is LicenseState.INVALID
    assert status.tier is Tier.LITE
    assert status.reason_code == reason.value
    for word in words:
        assert word in (status.reason or ""), status.reason


def test_a_good_license_grants_its_tier(signer: Signer) -> None:
    status = check(signer, signer.license(tier="standard"))
    assert status.state is LicenseState.VALID
    assert status.tier is Tier.STANDARD
    assert status.licensee == "Test User"
    assert status.email == "test@example.com"
    assert status.reason is None


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", ["malformed"]),
        (b"not json at all", ["malformed", "Invalid JSON"]),
        (b'{"v":1}', ["malformed", "alg"]),
        (b"[" * 5000, ["malformed"]),
        (b"\xff\xfe\x00garbage", ["malformed"]),
    ],
)
def test_malformed_files(signer: Signer, data: bytes, words: list[str]) -> None:
    status = check(signer, data)
    assert_refused(status, Reason.MALFORMED, *words, "exactly as you received it from Clary")
    assert status.hint == Hint(Action.INSTALL_LICENSE)  # each front says how to install


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("v", 2, ["malformed", "v"]),
        ("v", True, ["malformed", "v"]),
        ("v", "1", ["malformed", "v"]),
        ("alg", "rsa", ["malformed", "alg"]),
        ("kid", "../../etc/passwd", ["malformed", "kid"]),
        ("payload", "not base64!", ["malformed", "payload"]),
        ("sig", "abc=", ["malformed", "sig"]),
        ("extra", "field", ["malformed", "extra"]),
    ],
)
def test_malformed_envelope_fields(
    signer: Signer, field: str, value: object, words: list[str]
) -> None:
    document = envelope(signer.license())
    document[field] = value
    assert_refused(check(signer, reencode(document)), Reason.MALFORMED, *words)


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        json.dumps({"tier": "professional"}).encode(),
    ],
)
def test_malformed_signed_payload(signer: Signer, payload: bytes) -> None:
    assert_refused(
        check(signer, signer.sign(payload)),
        Reason.MALFORMED,
        "contents are not valid",
        "Clary support",
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"tier": "enterprise"},
        {"tier": "PROFESSIONAL"},
        {"serial": "7"},
        {"serial": 0},
        {"grace_days": 1.5},
        {"email": "no-at-sign"},
        {"issued_at": "2030-05-31T12:00:00"},  # no time zone
        {"expires_at": "2020-01-01T00:00:00Z"},  # before issued_at
        {"expires_at": "9999-12-31T23:59:59Z"},
        {"licensee": ...},
        {"unexpected": "field"},
    ],
)
def test_signed_payload_is_validated_strictly(signer: Signer, overrides: dict) -> None:
    assert_refused(
        check(signer, signer.license(**overrides)), Reason.MALFORMED, "contents are not valid"
    )


def test_too_large(signer: Signer) -> None:
    data = signer.license() + b" " * MAX_LICENSE_BYTES
    assert_refused(check(signer, data), Reason.TOO_LARGE, "too large", "16 KiB")


def test_unknown_key_id(signer: Signer) -> None:
    other = Signer(kid="someone-else")
    assert_refused(
        check(signer, other.license()),
        Reason.UNKNOWN_KEY,
        "does not know",
        "someone-else",
        "Update Clary Desktop",
    )


def test_right_key_id_wrong_key_is_a_bad_signature(signer: Signer) -> None:
    impostor = Signer(kid=signer.kid)
    assert_refused(
        check(signer, impostor.license()),
        Reason.BAD_SIGNATURE,
        "signature does not match",
        "changed or damaged",
    )


def test_edited_payload_is_a_bad_signature(signer: Signer) -> None:
    document = envelope(signer.license(tier="lite"))
    forged = signer.payload(tier="professional")
    document["payload"] = b64url_encode(json.dumps(forged).encode())
    assert_refused(check(signer, reencode(document)), Reason.BAD_SIGNATURE, "changed or damaged")


def test_flipped_signature_byte_is_a_bad_signature(signer: Signer) -> None:
    document = envelope(signer.license())
    sig = bytearray(signer.private_key.sign(DOMAIN + b"x"))
    sig[10] ^= 0x01
    document["sig"] = b64url_encode(bytes(sig))
    assert_refused(check(signer, reencode(document)), Reason.BAD_SIGNATURE)


def test_short_signature_is_a_bad_signature(signer: Signer) -> None:
    document = envelope(signer.license())
    document["sig"] = b64url_encode(b"\x00" * 32)
    assert_refused(check(signer, reencode(document)), Reason.BAD_SIGNATURE)


def test_signature_without_the_domain_prefix_is_refused(signer: Signer) -> None:
    """A signature over the bare payload (another use of the key) is not a license."""
    payload = json.dumps(signer.payload()).encode()
    document = envelope(signer.license())
    document["sig"] = b64url_encode(signer.private_key.sign(payload))
    assert_refused(check(signer, reencode(document)), Reason.BAD_SIGNATURE)


def test_not_yet_valid(signer: Signer) -> None:
    data = signer.license(issued_at=NOW + timedelta(minutes=6))
    assert_refused(
        check(signer, data),
        Reason.NOT_YET_VALID,
        "not valid yet",
        "in the future",
        "Check the computer's date and time",
    )


def test_small_clock_skew_is_tolerated(signer: Signer) -> None:
    status = check(signer, signer.license(issued_at=NOW + timedelta(minutes=4)))
    assert status.state is LicenseState.VALID


def test_expired_after_grace(signer: Signer) -> None:
    data = signer.license(
        issued_at=NOW - timedelta(days=60), expires_at=NOW - timedelta(days=15), grace_days=14
    )
    status = check(signer, data)
    assert status.state is LicenseState.EXPIRED
    assert status.tier is Tier.LITE
    assert status.reason_code == Reason.EXPIRED.value
    assert "expired" in status.reason and "grace period ended" in status.reason
    assert "Renew" in status.reason


def test_expired_without_grace_days(signer: Signer) -> None:
    data = signer.license(
        issued_at=NOW - timedelta(days=60), expires_at=NOW - timedelta(seconds=1), grace_days=0
    )
    status = check(signer, data)
    assert status.state is LicenseState.EXPIRED
    assert status.tier is Tier.LITE


def test_replayed_older_serial(signer: Signer) -> None:
    ledger = Ledger(serials={"lic-test-1": 3})
    assert_refused(
        check(signer, signer.license(serial=2), ledger),
        Reason.REPLAYED,
        "serial 2",
        "serial 3",
        "newest license file",
    )


def test_same_or_newer_serial_is_accepted_and_remembered(signer: Signer) -> None:
    ledger = Ledger(serials={"lic-test-1": 3})
    for serial in (3, 4):
        result = evaluate(signer.license(serial=serial), signer.verifier(), ledger, NOW)
        assert result.status.state is LicenseState.VALID
        assert result.ledger.serials["lic-test-1"] == serial


def test_other_license_ids_are_not_replays(signer: Signer) -> None:
    ledger = Ledger(serials={"lic-other": 9})
    assert check(signer, signer.license(serial=1), ledger).state is LicenseState.VALID


def test_verifier_raises_only_license_error(signer: Signer) -> None:
    with pytest.raises(LicenseError) as caught:
        signer.verifier().verify(b"{}")
    assert caught.value.reason is Reason.MALFORMED


def test_verifier_without_keys_knows_no_key(signer: Signer) -> None:
    with pytest.raises(LicenseError) as caught:
        LicenseVerifier({}).verify(signer.license())
    assert caught.value.reason is Reason.UNKNOWN_KEY
