"""`clary-desktop`: start the window (filled in by the GUI work)."""

from __future__ import annotations

import sys


def main() -> int:
    sys.stderr.write("clary-desktop: the window is not built yet; use clary-models.\n")
    return 1
