"""Entry script of the frozen `clary-desktop` (the window). PyInstaller starts here."""

import os
import sys

# A windowed build (Windows/macOS) has no console: give print() somewhere to go, so
# `--version` and `--self-test` never crash on a missing stream.
if sys.stdout is None:
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115
if sys.stderr is None:
    sys.stderr = open(os.devnull, "w")  # noqa: SIM115
# qasync picks its Qt binding from QT_API; only PySide6 is bundled.
os.environ.setdefault("QT_API", "pyside6")
# The python command coerces a plain "C" locale to UTF-8 (PEP 538); the frozen interpreter
# does not, and Qt would then warn and switch to C.UTF-8 itself. Do what python does.
if sys.platform.startswith("linux") and not os.environ.get("LC_ALL"):
    import locale

    if locale.setlocale(locale.LC_CTYPE) in ("C", "POSIX"):
        os.environ["LC_CTYPE"] = "C.UTF-8"

from clary_desktop.gui.app import main

if __name__ == "__main__":
    raise SystemExit(main())
