"""Find the `resources/` folder from a source checkout, an installed wheel or a frozen build."""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path

RESOURCES_ENV = "CLARY_RESOURCES_DIR"


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


@cache
def resources_dir() -> Path:
    candidates: list[Path] = []
    # The folder holds the trusted keys and the shipped tiers: a frozen build uses only its own.
    if not is_frozen() and (env := os.environ.get(RESOURCES_ENV)):
        candidates.append(Path(env))
    if is_frozen():
        candidates.append(Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent)) / "resources")
    candidates.append(Path(__file__).resolve().parent.parent / "resources")
    candidates.append(Path(sys.prefix) / "share" / "clary-desktop" / "resources")
    for candidate in candidates:
        if (candidate / "catalog").is_dir():
            return candidate
    tried = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"Clary Desktop's resources folder is missing (looked in {tried}).")


def resource_path(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)
