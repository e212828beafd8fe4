"""Grace after expiry, and a clock set back to stretch a license."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from clary_desktop.domain.access import Tier
from clary_desktop.domain.license_status import LicenseState, LicenseStatus
from clary_desktop.licensing import Ledger, LicenseError, LicenseManager, Reason, evaluate
from clary_desktop.licensing.ledger import load_ledger
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


# ---- a clock that was once far ahead ---------------------------------------------------

FAR_AHEAD = datetime(2035, 1, 1, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def manager(tmp_path: Path, signer: Signer, clock: Clock) -> LicenseManager:
    return LicenseManager(
        tmp_path / "license.json", tmp_path / "license-state.json", signer.verifier(), clock
    )


def install(manager: LicenseManager, data: bytes, name: str = "new.json") -> LicenseStatus:
    source = manager.license_path.with_name(name)
    source.write_bytes(data)
    return manager.install(source)


def one_run_far_ahead(manager: LicenseManager, clock: Clock, signer: Signer) -> bytes:
    """A year's license in use, one run with the clock in 2035, then the clock fixed."""
    current = signer.license(
        issued_at=NOW - timedelta(days=30), expires_at=NOW + timedelta(days=335), serial=1
    )
    install(manager, current)
    clock.now = FAR_AHEAD
    assert manager.status(refresh=True).state is LicenseState.EXPIRED
    clock.now = NOW + timedelta(days=1)
    return current


def test_a_run_far_ahead_then_a_fixed_clock_says_what_to_do(
    manager: LicenseManager, clock: Clock, signer: Signer
) -> None:
    one_run_far_ahead(manager, clock, signer)
    status = manager.status(refresh=True)
    assert (status.state, status.tier, status.clock_set_back) == (
        LicenseState.EXPIRED,
        Tier.LITE,
        True,
    )
    assert "days behind a time Clary Desktop has already seen (2035-01-01" in status.reason
    assert "If the clock is right now, it was ahead" in status.reason
    assert f"new license file (issued after {NOW:%Y-%m-%d %H:%M} UTC) and install it" in (
        status.reason
    )


def test_a_renewal_issued_after_the_leap_restarts_the_clock_check(
    manager: LicenseManager, clock: Clock, signer: Signer
) -> None:
    one_run_far_ahead(manager, clock, signer)
    renewal = signer.license(
        issued_at=NOW + timedelta(hours=20), expires_at=NOW + timedelta(days=400), serial=2
    )
    status = install(manager, renewal)
    assert (status.state, status.tier) == (LicenseState.VALID, Tier.PROFESSIONAL)
    assert status.reason_code == Reason.CLOCK_RESTARTED.value
    assert "restarted the clock check" in status.reason and "2035-01-01" in status.reason
    assert manager.license_path.read_bytes() == renewal

    ledger = load_ledger(manager.ledger_path)
    assert ledger.latest_seen == clock.now and ledger.clock_restarts == 1
    assert ledger.serials == {"lic-test-1": 2}
    # The fixed clock counts again, run after run, and the note is gone.
    clock.now += timedelta(days=2)
    status = manager.status(refresh=True)
    assert (status.state, status.reason, status.clock_set_back) == (LicenseState.VALID, None, False)


def test_a_new_id_issued_after_the_leap_restarts_it_too(
    manager: LicenseManager, clock: Clock, signer: Signer
) -> None:
    one_run_far_ahead(manager, clock, signer)
    other = signer.license(
        license_id="lic-renewed",
        issued_at=NOW + timedelta(hours=1),
        expires_at=NOW + timedelta(days=30),
        tier="standard",
    )
    assert install(manager, other).tier is Tier.STANDARD


def test_reinstalling_the_same_license_does_not_restart_it(
    manager: LicenseManager, clock: Clock, signer: Signer
) -> None:
    current = one_run_far_ahead(manager, clock, signer)
    with pytest.raises(LicenseError) as caught:
        install(manager, current)
    assert caught.value.reason is Reason.EXPIRED
    assert load_ledger(manager.ledger_path).latest_seen == FAR_AHEAD


def test_a_license_issued_before_the_leap_does_not_restart_it(
    manager: LicenseManager, clock: Clock, signer: Signer
) -> None:
    one_run_far_ahead(manager, clock, signer)
    older = signer.license(
        issued_at=NOW - timedelta(hours=1), expires_at=NOW + timedelta(days=30), serial=7
    )
    with pytest.raises(LicenseError, match="issued after"):
        install(manager, older)
    assert load_ledger(manager.ledger_path).clock_restarts == 0


def test_rolling_the_clock_back_still_cannot_revive_an_expired_license(
    manager: LicenseManager, clock: Clock, signer: Signer
) -> None:
    """The guard's purpose: a year of use, expiry, then the clock set back into the year.
    Neither the expired license nor another one the user kept (never used here, issued
    before the last break between runs) is accepted."""
    year = signer.license(
        issued_at=NOW - timedelta(days=400), expires_at=NOW - timedelta(days=35), serial=1
    )
    clock.now = NOW - timedelta(days=399)
    install(manager, year)
    for day in range(398, -1, -1):  # daily use, with a long break in the middle
        if not 200 < day < 260:
            clock.now = NOW - timedelta(days=day)
            manager.status(refresh=True)
    assert manager.status(refresh=True).state is LicenseState.EXPIRED

    clock.now = NOW - timedelta(days=100)
    status = manager.status(refresh=True)
    assert (status.state, status.tier, status.clock_set_back) == (
        LicenseState.EXPIRED,
        Tier.LITE,
        True,
    )
    spare = signer.license(
        license_id="lic-spare",
        issued_at=NOW - timedelta(days=300),
        expires_at=NOW - timedelta(days=30),
    )
    for data in (year, spare):
        with pytest.raises(LicenseError) as caught:
            install(manager, data)
        assert caught.value.reason is Reason.EXPIRED
    ledger = load_ledger(manager.ledger_path)
    assert ledger.clock_restarts == 0 and ledger.latest_seen == NOW


def test_without_a_leap_on_record_nothing_restarts_it(signer: Signer) -> None:
    """A state file from before leaps were recorded (or a first run already far ahead)."""
    ledger = Ledger(latest_seen=FAR_AHEAD, serials={"lic-test-1": 1})
    renewal = signer.license(serial=2)
    status = evaluate(renewal, signer.verifier(), ledger, NOW).status
    assert (status.state, status.clock_set_back) == (LicenseState.EXPIRED, True)
    assert "contact Clary support" in status.reason


def test_a_long_break_while_the_clock_was_wrong_still_points_at_the_first_leap(
    manager: LicenseManager, clock: Clock, signer: Signer
) -> None:
    one_run_far_ahead(manager, clock, signer)
    clock.now = FAR_AHEAD + timedelta(days=20)  # still wrong, after a long break
    manager.status(refresh=True)
    clock.now = NOW + timedelta(days=1)
    status = manager.status(refresh=True)
    assert f"(issued after {NOW:%Y-%m-%d %H:%M} UTC)" in status.reason
    renewal = signer.license(
        issued_at=NOW + timedelta(hours=2), expires_at=NOW + timedelta(days=400), serial=2
    )
    assert install(manager, renewal).state is LicenseState.VALID


def test_leaps_are_remembered_and_a_restart_survives_a_concurrent_writer() -> None:
    ledger = Ledger().saw(NOW).saw(NOW + timedelta(hours=47))
    assert ledger.leaps == ()
    ledger = ledger.saw(FAR_AHEAD)
    assert ledger.leaps == ((NOW + timedelta(hours=47), FAR_AHEAD),)
    assert ledger.seen_before_leap_over(NOW + timedelta(days=30)) == NOW + timedelta(hours=47)
    assert ledger.seen_before_leap_over(NOW) is None
    assert Ledger.from_json(json.loads(json.dumps(ledger.to_json()))) == ledger

    restarted = ledger.accepted("lic", 2).clock_restarted(NOW + timedelta(days=3))
    assert restarted.leaps == ()
    # Another process still holding the old times writes after the restart: they lose.
    for merged in (restarted.merged(ledger), ledger.merged(restarted)):
        assert merged.latest_seen == NOW + timedelta(days=3) and merged.clock_restarts == 1
        assert merged.serials == {"lic": 2}
    # An older state file (no leaps) still loads; a damaged leap starts afresh.
    old = Ledger.from_json({"version": 1, "latest_seen": "2030-01-01T00:00:00+00:00"})
    assert (old.leaps, old.clock_restarts) == ((), 0)
    with pytest.raises(ValueError):
        Ledger.from_json({"leaps": [["2031-01-01T00:00:00+00:00", "2030-01-01T00:00:00+00:00"]]})
