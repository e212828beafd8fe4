"""Window size, splitter positions, column widths and dock layout, kept in a small JSON
file next to settings.json (no QSettings: one place for every file the program writes)."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
FILE_NAME = "window.json"


def load_layout(config_dir: Path) -> dict[str, Any]:
    path = config_dir / FILE_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        log.warning("Ignoring unreadable window layout %s", path)
        return {}
    return data if isinstance(data, dict) else {}


def save_layout(config_dir: Path, data: dict[str, Any]) -> None:
    """Atomic write; a failure only costs the layout, so it is logged, not raised."""
    try:
        config_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".window-", dir=config_dir)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1)
        os.replace(tmp, config_dir / FILE_NAME)
    except OSError:
        log.warning("Could not save the window layout", exc_info=True)
