"""`clary-models`: the catalog, downloads and storage from a terminal.

Global options come before the command: `clary-models --data-dir DIR list`.
Every module of `cli.arguments` adds its subcommands with `register(subparsers)`;
each subcommand names its handler, which takes (context, args) and returns the exit
code and loads only when its command runs.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import logging
import os
from collections.abc import Sequence

from clary_desktop import __version__
from clary_desktop.cli.arguments import (
    api,
    catalog,
    downloads,
    licenses,
    network,
    settings,
    sources,
    storage,
    updates,
)
from clary_desktop.cli.context import CliContext
from clary_desktop.cli.hints import error_text
from clary_desktop.cli.parsing import Parser, run_handler
from clary_desktop.logging_setup import setup_logging

PROG = "clary-models"
COMMAND_MODULES = [catalog, licenses, downloads, updates, storage, api, settings, sources, network]
log = logging.getLogger(__name__)
PYDANTIC_PLUGINS_ENV = "PYDANTIC_DISABLE_PLUGINS"
KEPT_COMMANDS = frozenset({"list", "show"})
#: Allocations between collections of the youngest generation (Python's default: 700).
GC_YOUNG_THRESHOLD = 50_000


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
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
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    subparsers.required = True
    for module in COMMAND_MODULES:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # When the process ends, its last garbage collections would walk every object the
    # catalog's libraries made (a tenth of a second and more): they are all freed with the
    # process anyway. Frozen objects are skipped; nothing else about the exit changes.
    atexit.register(gc.freeze)
    # Loading the catalog's libraries creates some 300,000 objects that live as long as
    # the process; at the default threshold the collector walks them over and over (an
    # eighth of the start-up time). Commands make few short-lived cycles, so collecting
    # less often costs little memory.
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
    # pydantic reads the entry points of every installed package for plugins when it
    # builds its first model (tens of milliseconds); this program uses no plugins.
    os.environ.setdefault(PYDANTIC_PLUGINS_ENV, "__all__")
    args = build_parser().parse_args(argv)
    context = CliContext.from_args(args)
    setup_logging(context.paths.log_file, verbose=args.verbose)
    if args.command in KEPT_COMMANDS:
        # `list` and `show` print a kept answer when nothing changed since it was made.
        from clary_desktop.cli.answer_cache import print_kept_answer

        if print_kept_answer(context.paths, args):
            return 0
    try:
        return run_handler(
            PROG,
            lambda: args.handler.load()(context, args),
            label=args.command,
            details=str(context.paths.log_file),
            render=error_text,
        )
    finally:
        context.close()


if __name__ == "__main__":
    raise SystemExit(main())
