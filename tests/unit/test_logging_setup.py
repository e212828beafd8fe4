"""setup_logging replaces the handlers it installed before, and only those."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from clary_desktop.logging_setup import setup_logging


def test_setting_up_again_replaces_our_handlers_and_keeps_others(tmp_path: Path) -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    level = root.level
    other = logging.NullHandler()
    root.addHandler(other)
    try:
        setup_logging(tmp_path / "first.log", verbose=True)
        first = [h for h in root.handlers if h not in before and h is not other]
        setup_logging(tmp_path / "second.log", verbose=False)
        second = [h for h in root.handlers if h not in before and h is not other]

        assert len(first) == 2  # the file and, with -v, stderr
        assert len(second) == 1 and second[0] not in first
        assert isinstance(second[0], logging.handlers.RotatingFileHandler)
        assert Path(second[0].baseFilename) == tmp_path / "second.log"
        assert other in root.handlers
    finally:
        for handler in list(root.handlers):
            if handler not in before:
                root.removeHandler(handler)
                handler.close()
        root.setLevel(level)
