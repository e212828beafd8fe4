"""What every Clary command-line tool shares: argument errors as one clean line,
and user-facing errors turned into `prog: error: ...` with a non-zero exit."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from typing import NoReturn

from clary_desktop.errors import ClaryError

log = logging.getLogger(__name__)


def whole_number(what: str, low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number in [low, high], or a one-line error naming `what`."""

    def parse(text: str) -> int:
        digits = text.strip().lstrip("+-")
        if not digits.isdigit() or not digits.isascii() or len(digits) > 40:
            shown = text if len(text) <= 24 else text[:20] + "..."
            raise argparse.ArgumentTypeError(f"{what} must be a whole number, not {shown!r}")
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{what} must be between {low} and {high}, not {value}"
            )
        return value

    parse.__name__ = what  # argparse names the type in some messages
    return parse


#: Ids the database hands out are positive signed 64-bit integers.
job_id_arg = whole_number("a job id", 1, 2**63 - 1)
port_arg = whole_number("a port", 0, 65535)


def print_error(prog: str, message: str) -> None:
    sys.stderr.write(f"{prog}: error: {message}\n")


class Parser(argparse.ArgumentParser):
    """argparse with errors printed as `prog: error: message` and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        print_error(self.prog, message)
        raise SystemExit(2)


def run_handler(
    prog: str,
    call: Callable[[], int | None],
    *,
    label: str = "",
    details: str | None = None,
    render: Callable[[ClaryError], str] = str,
) -> int:
    """Run a command; errors the user can act on become one line, never a traceback.
    `label` names the command in the log; `details` is where the log is; `render` words
    a core error (`clary-models` adds the command its hint names)."""
    try:
        return int(call() or 0)
    except ClaryError as error:
        log.info("%s %s failed: %s", prog, label, error)
        print_error(prog, render(error))
    except KeyboardInterrupt:
        print_error(prog, "interrupted")
        return 130
    except BrokenPipeError:
        return 0
    except FileExistsError as error:
        print_error(prog, f"{error.filename} already exists; choose another name or folder.")
    except OSError as error:
        reason = error.strerror or str(error)
        print_error(prog, f"{error.filename}: {reason}" if error.filename else reason)
    except Exception as error:
        log.exception("Unexpected error in %s %s", prog, label)
        where = f" Details are in {details}." if details else ""
        print_error(prog, f"unexpected problem ({type(error).__name__}: {error}).{where}")
    return 1
