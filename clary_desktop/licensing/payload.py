"""What a license says, once its signature has been checked."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from clary_desktop.domain.access import Tier
from clary_desktop.licensing.errors import LicenseError, Reason

# Far enough for any real license, near enough that `expires_at + grace` never overflows.
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_LATEST = datetime(9000, 1, 1, tzinfo=UTC)


class LicensePayload(BaseModel):
    """The signed payload. Strict: no type coercion, no unknown fields."""

    # defer_build: the schema is built on first use, not at import (start-up time);
    # most commands never use a license.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, defer_build=True)

    license_id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
    licensee: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    tier: Literal["lite", "standard", "professional"]
    issued_at: AwareDatetime
    expires_at: AwareDatetime
    grace_days: int = Field(ge=0, le=365)
    serial: int = Field(ge=1, le=2**53)

    @model_validator(mode="after")
    def _check_dates(self) -> LicensePayload:
        for name in ("issued_at", "expires_at"):
            try:
                value = getattr(self, name).astimezone(UTC)
            except (OverflowError, ValueError):
                raise ValueError(f"{name} is out of range") from None
            if not _EARLIEST <= value < _LATEST:
                raise ValueError(f"{name} is out of range")
        if self.expires_at <= self.issued_at:
            raise ValueError("expires_at must be after issued_at")
        return self

    @property
    def tier_value(self) -> Tier:
        return Tier.parse(self.tier)


def parse_payload(data: bytes) -> LicensePayload:
    """Parse the exact bytes that were verified (never a re-serialised copy)."""
    try:
        return LicensePayload.model_validate_json(data, strict=True)
    except ValidationError as error:
        raise LicenseError(
            Reason.MALFORMED,
            f"The license's contents are not valid ({first_problem(error)}). "
            "Ask Clary support for a new license file.",
        ) from None


def first_problem(error: ValidationError) -> str:
    """One short line from a pydantic error: where and what."""
    details = error.errors(include_url=False, include_input=False)
    if not details:
        return "invalid"
    first = details[0]
    where = ".".join(str(part) for part in first.get("loc", ()))
    message = str(first.get("msg", "invalid"))
    return f"{where}: {message}" if where else message
