"""The one error type of the licensing core, with a reason a user can act on."""

from __future__ import annotations

from enum import StrEnum

from clary_desktop.errors import ClaryError, Hint


class Reason(StrEnum):
    """Why a license file gives no tier (or only a note: CLOCK_SET_BACK, CLOCK_RESTARTED)."""

    UNREADABLE = "unreadable"
    TOO_LARGE = "too_large"
    MALFORMED = "malformed"
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    REPLAYED = "replayed"
    CLOCK_SET_BACK = "clock_set_back"
    CLOCK_RESTARTED = "clock_restarted"
    CANNOT_INSTALL = "cannot_install"


class LicenseError(ClaryError):
    """A license file that cannot be trusted; `str(error)` is the user-facing reason."""

    def __init__(self, reason: Reason, message: str, *, hint: Hint | None = None) -> None:
        super().__init__(message, hint=hint)
        self.reason = reason
