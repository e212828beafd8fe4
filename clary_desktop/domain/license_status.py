"""The one value every front shows: what the license grants right now, and why."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from clary_desktop.domain.access import Tier
from clary_desktop.errors import Hint

NO_LICENSE_TEXT = "Lite (free)"


class LicenseState(StrEnum):
    NONE = "none"
    VALID = "valid"
    GRACE = "grace"
    EXPIRED = "expired"
    INVALID = "invalid"


class LicenseStatus(BaseModel):
    """`tier` is LITE unless the state is VALID or GRACE."""

    model_config = ConfigDict(frozen=True)

    state: LicenseState
    tier: Tier = Tier.LITE
    reason: str | None = None
    reason_code: str | None = None
    #: What to do about `reason`; each front words it (not part of the JSON form).
    hint: Hint | None = Field(default=None, exclude=True)
    licensee: str | None = None
    email: str | None = None
    license_id: str | None = None
    serial: int | None = None
    issued_at: datetime | None = None
    expires_at: datetime | None = None
    grace_ends_at: datetime | None = None
    clock_set_back: bool = False
    path: str | None = None

    @field_serializer("tier")
    def _tier_key(self, tier: Tier) -> str:
        return tier.key

    @property
    def grants_tier(self) -> bool:
        return self.state in (LicenseState.VALID, LicenseState.GRACE)

    @property
    def summary(self) -> str:
        """One line, e.g. "valid: Professional" or "none: Lite (free)"."""
        if self.state is LicenseState.NONE:
            return f"none: {NO_LICENSE_TEXT}"
        if self.state is LicenseState.GRACE:
            return f"in grace: {self.tier.label}"
        return f"{self.state.value}: {self.tier.label}"

    @classmethod
    def fixed(cls, tier: Tier) -> LicenseStatus:
        """For a Registry whose tier is set by code (tests, tools), not by a file."""
        return cls(state=LicenseState.VALID, tier=tier, reason="tier set by the program")
