"""Window size, splitter positions, column widths and dock layout, kept in a small JSON
file next to settings.json (no QSettings: one place for every file the program writes)."""

from __future__ import annotations

import base64
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray
from PySide6.QtWidgets import QMainWindow, QSplitter, QTableView

from clary_desktop.gui.column_fit import column_widths
from clary_desktop.userfiles import FileProblem, UserFileError, read_user_file

log = logging.getLogger(__name__)
FILE_NAME = "window.json"
MAX_LAYOUT_BYTES = 1024 * 1024


def load_layout(config_dir: Path) -> dict[str, Any]:
    path = config_dir / FILE_NAME
    try:
        data = json.loads(read_user_file(path, MAX_LAYOUT_BYTES))
    except UserFileError as error:
        if error.problem is not FileProblem.MISSING:
            log.warning("Ignoring unreadable window layout %s", error)
        return {}
    except (ValueError, RecursionError):
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


# ---- the window's own state, as JSON-friendly values --------------------------------


def _b64(data: QByteArray) -> str:
    return base64.b64encode(bytes(data.data())).decode("ascii")


def _unb64(text: object) -> QByteArray | None:
    if not isinstance(text, str):
        return None
    try:
        return QByteArray(base64.b64decode(text))
    except ValueError:
        return None


def restore_window_layout(
    window: QMainWindow, splitter: QSplitter, table: QTableView, data: dict[str, Any]
) -> None:
    """Geometry, dock state, splitter sizes and column widths from `load_layout`."""
    geometry = _unb64(data.get("geometry"))
    if geometry is not None:
        window.restoreGeometry(geometry)
    state = _unb64(data.get("state"))
    if state is not None:
        window.restoreState(state)
    sizes = data.get("splitter")
    if isinstance(sizes, list) and len(sizes) == 3 and all(isinstance(s, int) for s in sizes):
        splitter.setSizes(sizes)
    columns = data.get("columns")
    if isinstance(columns, list):
        header = table.horizontalHeader()
        for column, width in enumerate(columns[: header.count() - 1]):
            if isinstance(width, int) and 20 <= width <= 2000:
                header.resizeSection(column, width)


def window_layout(window: QMainWindow, splitter: QSplitter, table: QTableView) -> dict[str, Any]:
    return {
        "geometry": _b64(window.saveGeometry()),
        "state": _b64(window.saveState()),
        "splitter": splitter.sizes(),
        "columns": column_widths(table),
    }
