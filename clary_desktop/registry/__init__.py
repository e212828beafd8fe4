"""The registry core: catalog, tiers, manifests, and the Registry facade."""

from clary_desktop.registry.access import ModelAccessControl, Tier
from clary_desktop.registry.facade import Registry

__all__ = ["ModelAccessControl", "Registry", "Tier"]
