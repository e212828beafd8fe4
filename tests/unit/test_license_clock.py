"""Grace after expiry, and a clock set back to stretch a license."""

from __future__ import annotations

from datetime import timedelta

import pytest

from clary_desktop.licensing import Ledger, LicenseState, Reason, evaluate
from clary_desktop.registry.access import Tier
from tests.support.licenses import NOW, Signer


@pytest.fixture
def signer() -> Signer:
    return Signer()


def expiring(signer: Signer, *, expired_days_ago: float, grace_days: int = 14) -> bytes:
    return signer.license(
        issued_at=NOW - timedelta(days=365),
        expires_at=NOW - timedelta(days=expired_days_ago),
        grace_days=grace_days,
    )


def test_in_grace_the_tier_is_kept_with_a_warning(signer: Signer) -> None:
    status = evaluate(expiring(signer, expired_days_ago=3), signer.verifier(), Ledger(), NOW).status
    assert status.state is LicenseState.GRACE
    assert status.tier is Tier.PROFESSIONAL
    assert status.reason_code == Reason.EXPIRED.value
    assert "keeps working until" in status.reason and "Renew" in status.reason
    assert status.grace_ends_at == NOW + timedelta(days=11)
    assert status.summary == "in grace: Professional"


def test_grace_ends_exactly_at_grace_days(signer: Signer) -> None:
    data = expiring(signer, expired_days_ago=14)
    assert evaluate(data, signer.verifier(), Ledger(), NOW).status.state is LicenseState.GRACE
    later = NOW + timedelta(seconds=1)
    status = evaluate(data, signer.verifier(), Ledger(), later).status
    assert status.state is LicenseState.EXPIRED
    assert status.tier is Tier.LITE


def test_clock_set_back_a_little_is_ignored(signer: Signer) -> None:
    ledger = Ledger(latest_seen=NOW + timedelta(hours=47))
    status = evaluate(expiring(signer, expired_days_ago=3), signer.verifier(), ledger, NOW).status
    assert status.state is LicenseState.GRACE
    assert not status.clock_set_back


def test_clock_set_back_gives_no_grace(signer: Signer) -> None:
    ledger = Ledger(latest_seen=NOW + timedelta(hours=49))
    status = evaluate(expiring(signer, expired_days_ago=3), signer.verifier(), ledger, NOW).status
    assert status.state is LicenseState.EXPIRED
    assert status.tier is Tier.LITE
    assert status.clock_set_back
    assert "No grace period" in status.reason
    assert "49 hours behind" in status.reason and "Set the correct date and time" in status.reason


def test_clock_set_back_cannot_revive_an_expired_license(signer: Signer) -> None:
    """Expiry is judged by the latest time already seen, not by the rewound clock."""
    data = signer.license(
        issued_at=NOW - timedelta(days=60), expires_at=NOW + timedelta(days=1), grace_days=0
    )
    ledger = Ledger(latest_seen=NOW + timedelta(days=10))
    status = evaluate(data, signer.verifier(), ledger, NOW).status
    assert status.state is LicenseState.EXPIRED
    assert status.tier is Tier.LITE
    assert status.clock_set_back


def test_clock_set_back_on_a_valid_license_is_reported_but_keeps_the_tier(signer: Signer) -> None:
    ledger = Ledger(latest_seen=NOW + timedelta(days=3))
    status = evaluate(signer.license(), signer.verifier(), ledger, NOW).status
    assert status.state is LicenseState.VALID
    assert status.tier is Tier.PROFESSIONAL
    assert status.clock_set_back
    assert status.reason_code == Reason.CLOCK_SET_BACK.value
    assert "behind" in status.reason


def test_latest_seen_only_moves_forward(signer: Signer) -> None:
    later = NOW + timedelta(days=1)
    ledger = evaluate(signer.license(), signer.verifier(), Ledger(latest_seen=later), NOW).ledger
    assert ledger.latest_seen == later
    ledger = evaluate(signer.license(), signer.verifier(), Ledger(latest_seen=NOW), later).ledger
    assert ledger.latest_seen == later


def test_time_is_remembered_even_for_an_invalid_file(signer: Signer) -> None:
    ledger = evaluate(b"junk", signer.verifier(), Ledger(), NOW).ledger
    assert ledger.latest_seen == NOW


def test_expired_license_serial_is_not_recorded(signer: Signer) -> None:
    result = evaluate(expiring(signer, expired_days_ago=30), signer.verifier(), Ledger(), NOW)
    assert result.status.state is LicenseState.EXPIRED
    assert result.ledger.serials == {}
