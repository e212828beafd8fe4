"""Command-line fronts: `clary-models` (users) and `clary-license` (the vendor)."""
