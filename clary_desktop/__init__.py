"""Clary Desktop: Clary AI's local model registry (catalog, tiers, downloads, offline use)."""

__version__ = "0.1.0"
APP_NAME = "Clary Desktop"
APP_SLUG = "clary-desktop"
