"""`clary-models`: the catalog, downloads and storage from a terminal.

Global options come before the command: `clary-models --data-dir DIR list`.
Every command module adds its subcommands with `register(subparsers)`; each
subcommand's handler takes (context, args) and returns the exit code.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from clary_desktop import __version__
from clary_desktop.cli import (
    api_commands,
    catalog_commands,
    download_commands,
    license_commands,
    update_commands,
)
from clary_desktop.cli.context import CliContext
from clary_desktop.cli.output import print_error
from clary_desktop.errors import ClaryError
from clary_desktop.logging_setup import setup_logging

PROG = "clary-models"
COMMAND_MODULES = [
    catalog_commands,
    license_commands,
    download_commands,
    update_commands,
    api_commands,
]
log = logging.getLogger(__name__)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print_error(self.prog, message)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Clary Desktop's model registry on the command line.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="keep the database, models, settings and logs under DIR "
        "(default: CLARY_DATA_DIR, else the per-user folders)",
    )
    parser.add_argument(
        "--license",
        metavar="FILE",
        help="read the license from FILE (default: CLARY_LICENSE_FILE, else license.json "
        "in the config folder)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="also print the log")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for module in COMMAND_MODULES:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    context = CliContext.from_args(args)
    setup_logging(context.paths.log_file, verbose=args.verbose)
    try:
        return int(args.handler(context, args) or 0)
    except ClaryError as error:
        log.info("%s failed: %s", args.command, error)
        print_error(PROG, str(error))
        return 1
    except KeyboardInterrupt:
        print_error(PROG, "interrupted")
        return 130
    except BrokenPipeError:
        return 0
    except Exception as error:
        log.exception("Unexpected error in %s", args.command)
        print_error(
            PROG,
            f"unexpected problem ({type(error).__name__}: {error}). "
            f"Details are in {context.paths.log_file}.",
        )
        return 1
    finally:
        context.close()


if __name__ == "__main__":
    raise SystemExit(main())
