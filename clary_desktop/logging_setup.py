"""Logs go to a rotating file in the log dir; `-v` also prints them on stderr."""

from __future__ import annotations

import logging
import logging.handlers
import sys
import weakref
from pathlib import Path

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# The handlers set up here, replaced when setup_logging runs again.
_OURS: weakref.WeakSet[logging.Handler] = weakref.WeakSet()


def setup_logging(log_file: Path, verbose: bool = False) -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler in _OURS:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        file_handler: logging.Handler = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:
        # A read-only home must not stop the program; logs then only go to stderr with -v.
        file_handler = logging.NullHandler()
    file_handler.setFormatter(logging.Formatter(_FORMAT))
    _OURS.add(file_handler)
    root.addHandler(file_handler)
    if verbose:
        console = logging.StreamHandler(sys.stderr)
        console.setFormatter(logging.Formatter(_FORMAT))
        _OURS.add(console)
        root.addHandler(console)
