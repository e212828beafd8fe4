"""Time and replay rules on top of the signature: bytes + memory + now -> status.

Pure: the caller persists the returned ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from clary_desktop.domain.access import Tier
from clary_desktop.domain.license_status import LicenseState, LicenseStatus
from clary_desktop.licensing.errors import LicenseError, Reason
from clary_desktop.licensing.ledger import CLOCK_SET_BACK_LIMIT, Ledger
from clary_desktop.licensing.payload import LicensePayload
from clary_desktop.licensing.verifier import LicenseVerifier

FUTURE_TOLERANCE = timedelta(minutes=5)
_DATE = "%Y-%m-%d %H:%M UTC"


@dataclass(frozen=True)
class Evaluation:
    status: LicenseStatus
    ledger: Ledger


def evaluate(
    data: bytes, verifier: LicenseVerifier, ledger: Ledger, now: datetime, path: str | None = None
) -> Evaluation:
    seen = ledger.latest_seen
    clock_back = seen is not None and now < seen - CLOCK_SET_BACK_LIMIT
    ledger = ledger.saw(now)
    try:
        payload = verifier.verify(data)
    except LicenseError as refused:
        return Evaluation(invalid(refused, path), ledger)

    if payload.issued_at > now + FUTURE_TOLERANCE:
        error = LicenseError(
            Reason.NOT_YET_VALID,
            f"The license is not valid yet: it was issued {_fmt(payload.issued_at)}, which is "
            f"in the future for this computer (its clock says {_fmt(now)}). "
            "Check the computer's date and time.",
        )
        return Evaluation(invalid(error, path, payload), ledger)

    accepted = ledger.serials.get(payload.license_id)
    if accepted is not None and payload.serial < accepted:
        error = LicenseError(
            Reason.REPLAYED,
            f"This license (serial {payload.serial}) is older than one already used on this "
            f"computer for the same license (serial {accepted}). "
            "Install the newest license file you received from Clary.",
        )
        return Evaluation(invalid(error, path, payload), ledger)

    grace_end = payload.expires_at + timedelta(days=payload.grace_days)
    restart_note = None
    if clock_back and seen is not None and restarts_clock(payload, ledger, seen, now):
        ledger = ledger.clock_restarted(now)
        restart_note = _restart_note(now, seen, payload)
        clock_back = False
    # With the clock set back, judge expiry by the latest time we know has passed.
    effective = seen if clock_back and seen is not None else now
    clock_note = _clock_note(now, seen) if clock_back and seen is not None else None
    if effective <= payload.expires_at:
        state, reason_code, reason = LicenseState.VALID, None, None
        if clock_note:
            reason_code, reason = Reason.CLOCK_SET_BACK.value, clock_note
    elif effective <= grace_end and not clock_back:
        state, reason_code = LicenseState.GRACE, Reason.EXPIRED.value
        reason = (
            f"The license expired {_fmt(payload.expires_at)}; it keeps working until "
            f"{_fmt(grace_end)} (grace period). Renew it with Clary before then."
        )
    else:
        state, reason_code = LicenseState.EXPIRED, Reason.EXPIRED.value
        if clock_back:
            reason = (
                f"The license expired {_fmt(payload.expires_at)}. No grace period is given: "
                f"{clock_note} {_way_out(ledger, now)}"
            )
        else:
            reason = (
                f"The license expired {_fmt(payload.expires_at)} and its grace period ended "
                f"{_fmt(grace_end)}. Renew it with Clary, then install the new file."
            )

    if restart_note:
        reason_code = reason_code or Reason.CLOCK_RESTARTED.value
        reason = f"{reason} {restart_note}" if reason else restart_note
    if state is not LicenseState.EXPIRED:
        ledger = ledger.accepted(payload.license_id, payload.serial)
    status = _from_payload(
        payload,
        path,
        state=state,
        tier=payload.tier_value if state is not LicenseState.EXPIRED else Tier.LITE,
        reason=reason,
        reason_code=reason_code,
        grace_ends_at=grace_end,
        clock_set_back=clock_back,
    )
    return Evaluation(status, ledger)


def restarts_clock(payload: LicensePayload, ledger: Ledger, seen: datetime, now: datetime) -> bool:
    """Whether this license shows the time seen earlier was wrong, not the clock now.

    One run with the clock years ahead would otherwise expire every license for good.
    A license restarts the check only when the check is all that stops it (usable now,
    expired by the time seen), it is new here (never accepted on this computer), and it
    was issued after the last time seen before the clock leapt over `now`: Clary signed
    it after the leap. Rolling the clock back makes no old license new or newer, so an
    expired license is not revived this way. Without such a leap on record (the wrong
    time came first, or a state file from an older version) nothing restarts the check.
    """
    before = ledger.seen_before_leap_over(now)
    if before is None or payload.issued_at <= before:
        return False
    grace_end = payload.expires_at + timedelta(days=payload.grace_days)
    if not (seen > payload.expires_at and now <= grace_end):
        return False
    accepted = ledger.serials.get(payload.license_id)
    return accepted is None or payload.serial > accepted


def invalid(
    error: LicenseError, path: str | None, payload: LicensePayload | None = None
) -> LicenseStatus:
    fields = {
        "state": LicenseState.INVALID,
        "tier": Tier.LITE,
        "reason": str(error),
        "reason_code": error.reason.value,
        "hint": error.hint,
    }
    if payload is None:
        return LicenseStatus.model_validate({"path": path, **fields})
    return _from_payload(payload, path, **fields)


def _from_payload(payload: LicensePayload, path: str | None, **fields: object) -> LicenseStatus:
    return LicenseStatus.model_validate(
        {
            "licensee": payload.licensee,
            "email": payload.email,
            "license_id": payload.license_id,
            "serial": payload.serial,
            "issued_at": payload.issued_at,
            "expires_at": payload.expires_at,
            "path": path,
            **fields,
        }
    )


def _clock_note(now: datetime, seen: datetime) -> str:
    return (
        f"The computer's clock is {_behind(now, seen)} behind a time Clary Desktop has "
        f"already seen ({_fmt(seen)}). Set the correct date and time."
    )


def _way_out(ledger: Ledger, now: datetime) -> str:
    before = ledger.seen_before_leap_over(now)
    if before is None:
        return (
            "If the clock is right now, it was ahead when Clary Desktop saw that time: "
            "contact Clary support with this message."
        )
    return (
        "If the clock is right now, it was ahead when Clary Desktop saw that time: ask Clary "
        f"for a new license file (issued after {_fmt(before)}) and install it; that restarts "
        "this check."
    )


def _restart_note(now: datetime, seen: datetime, payload: LicensePayload) -> str:
    return (
        f"Clary Desktop had seen the date {_fmt(seen)}, {_behind(now, seen)} ahead of the "
        f"computer's clock now; this license, issued {_fmt(payload.issued_at)} after that "
        "clock was wrong, restarted the clock check, and the clock counts again."
    )


def _behind(now: datetime, seen: datetime) -> str:
    hours = int((seen - now).total_seconds() // 3600)
    return f"{hours} hours" if hours < 96 else f"{hours // 24} days"


def _fmt(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_DATE)
