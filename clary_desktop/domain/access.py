"""License tiers and who may use which model (the seed's ModelAccessControl)."""

from __future__ import annotations

from enum import IntEnum


class Tier(IntEnum):
    """Ordered tiers: a tier may use models of its own tier and every tier below."""

    LITE = 0
    STANDARD = 1
    PROFESSIONAL = 2

    @property
    def key(self) -> str:
        return self.name.lower()

    @property
    def label(self) -> str:
        return self.name.capitalize()

    @classmethod
    def parse(cls, value: str | Tier) -> Tier:
        if isinstance(value, Tier):
            return value
        try:
            return cls[str(value).strip().upper()]
        except KeyError:
            names = ", ".join(t.key for t in cls)
            raise ValueError(f"unknown tier {value!r} (expected one of: {names})") from None

    def allowed_keys(self) -> list[str]:
        """Tier names this tier may use, for database filters."""
        return [t.key for t in Tier if t <= self]


class ModelAccessControl:
    """The seed's access rule, kept as one function so every front shares it."""

    @staticmethod
    def can_access_model(user_tier: Tier | str, model_tier: Tier | str) -> bool:
        return Tier.parse(model_tier) <= Tier.parse(user_tier)


def requires_tier_message(model_id: str, model_tier: str, user_tier: Tier) -> str:
    return (
        f"Model {model_id!r} requires {model_tier}; your license is {user_tier.key}. "
        "Install a license of that tier to use it."
    )
