"""The QApplication, started so that a Qt that cannot load its platform says so in one
plain message instead of aborting."""

from __future__ import annotations

import logging
import os
import sys

from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

from clary_desktop.gui.platform_check import qt_failed_message

log = logging.getLogger(__name__)


def start_qt_application() -> QApplication:
    """The QApplication; should Qt still fail to load its platform plugin (the checks cannot
    foresee everything), one plain message and exit status 1 instead of Qt's abort()."""
    qt_lines: list[str] = []

    def on_qt_message(kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
        if kind == QtMsgType.QtFatalMsg:
            for line in qt_lines:
                log.error("Qt: %s", line)
            print(
                qt_failed_message(message.splitlines()[0] if message else ""),
                file=sys.stderr,
                flush=True,
            )
            logging.shutdown()
            os._exit(1)
        qt_lines.append(message)
        print(message, file=sys.stderr)

    previous = qInstallMessageHandler(on_qt_message)
    try:
        app = QApplication.instance() or QApplication([sys.argv[0]])
    finally:
        qInstallMessageHandler(previous)
    assert isinstance(app, QApplication)
    return app
