"""The application layer: the Registry facade the fronts hold, and the use cases that
cross services (updates and pruning, reclaiming space, applying settings, sideloading
and bundles that reach the download engine)."""

from clary_desktop.app.registry import Registry

__all__ = ["Registry"]
