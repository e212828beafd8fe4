"""Who sets the tier of a catalog entry.

The tier decides who may use a model, so it is not an ordinary descriptive field.
The tier of a Clary model (one the shipped default catalog or the remote catalog
brought) comes only from Clary's own catalogs: the shipped default and a signed
remote catalog. A local source (a manifest import, an unsigned sync, an edit, a
bundle) may add models of its own at any tier and may make a Clary model stricter,
never more open. Every write of a tier goes through `tier_from_source`.
"""

from __future__ import annotations

from dataclasses import dataclass

from clary_desktop.domain.access import Tier
from clary_desktop.errors import AccessDeniedError

#: Origins of entries Clary's catalogs brought.
VENDOR_ORIGINS = frozenset({"default", "remote"})


@dataclass(frozen=True)
class KnownEntry:
    """What the catalog already holds about an id."""

    origin: str
    tier: str
    user_modified: bool


class TierLoweredError(AccessDeniedError):
    """A local source tried to open a Clary model to a lower tier."""


def tier_from_source(
    model_id: str,
    incoming: str,
    existing: KnownEntry | None,
    *,
    vendor_source: bool,
    where: str = "",
) -> str:
    """The tier `model_id` gets when a source says `incoming`.

    A vendor source sets it; on an entry the user changed it never opens it wider
    than the user left it. A local source may not lower a Clary model's tier
    (TierLoweredError, naming `where`: the entry and field, when known)."""
    wanted = Tier.parse(incoming)
    if existing is None:
        return wanted.key
    current = Tier.parse(existing.tier)
    if vendor_source:
        return max(wanted, current).key if existing.user_modified else wanted.key
    if existing.origin in VENDOR_ORIGINS and wanted < current:
        prefix = f"{where}: " if where else f"{model_id}: "
        raise TierLoweredError(
            f"{prefix}tier {wanted.key!r} is below {current.key!r}, the tier Clary's catalog "
            f"gives {model_id!r}. A local catalog may add models and change descriptions, but "
            "never lower the tier of a Clary model; nothing was changed."
        )
    return wanted.key
