"""Find the `resources/` folder from a source checkout, an installed wheel or a frozen build.

The repository's top-level `resources/` is the one source. Wheels and sdists carry it as
the package data of `clary_desktop._resources` (see setup.py); PyInstaller copies it to
`sys._MEIPASS/resources` (see packaging/clary-desktop.spec).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from functools import cache
from pathlib import Path

from clary_desktop.errors import ClaryError

RESOURCES_ENV = "CLARY_RESOURCES_DIR"
PACKAGE = "clary_desktop._resources"
# What every complete resources folder holds; a folder without it is not ours.
MARKER = Path("catalog") / "default.json"


class ResourcesMissingError(ClaryError):
    """The installation lacks the files it ships with (catalog, keys, icons)."""


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def _checkout_folder() -> Path | None:
    """`resources/` beside the package in a source checkout (and editable installs)."""
    root = Path(__file__).resolve().parent.parent
    return root / "resources" if (root / "pyproject.toml").is_file() else None


def _package_folders() -> list[Path]:
    """Where an installed wheel put `clary_desktop._resources`."""
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        return []
    if spec is None or spec.submodule_search_locations is None:
        return []
    return [Path(location) for location in spec.submodule_search_locations]


def _candidates() -> list[Path]:
    if is_frozen():
        # A frozen build trusts only what it was built with: the variable would let anyone
        # swap the license keys.
        return [Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent)) / "resources"]
    candidates: list[Path] = []
    if env := os.environ.get(RESOURCES_ENV):
        candidates.append(Path(env))
    if checkout := _checkout_folder():
        candidates.append(checkout)
    candidates.extend(_package_folders())
    return candidates


@cache
def resources_dir() -> Path:
    candidates = _candidates()
    for candidate in candidates:
        if (candidate / MARKER).is_file():
            return candidate
    tried = ", ".join(str(c) for c in candidates) or "nowhere"
    raise ResourcesMissingError(
        "Clary Desktop's installation is incomplete: the folder with its default catalog, "
        f"license keys and icons is missing (looked in {tried}). Reinstall Clary Desktop "
        "(run the installer again, or `pip install --force-reinstall clary-desktop`)."
    )


def resource_path(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)
