"""Clary Desktop: Clary AI's local model registry (catalog, tiers, downloads, offline use)."""

__version__ = "0.1.0"
APP_NAME = "Clary Desktop"
APP_SLUG = "clary-desktop"
#: Where "Get a license" in the window leads: the publisher's site, the same address the
#: installer names (packaging/windows/clary-desktop.iss), until a licenses page exists.
GET_LICENSE_URL = "https://clary.ai/"
