"""The arguments of `list`, `show`, `versions` and `catalog import|sync`."""

from __future__ import annotations

import argparse
from pathlib import Path

from clary_desktop.cli.arguments import Handler, Subparsers
from clary_desktop.domain.access import Tier
from clary_desktop.domain.sizes import parse_memory_size

RUN = "clary_desktop.cli.catalog_commands"


def _tier_arg(value: str) -> Tier:
    try:
        return Tier.parse(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _size_arg(value: str) -> int:
    try:
        return parse_memory_size(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _context_arg(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 10_000_000:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a context length; give a number of tokens from 1 to 10000000"
        )
    return int(value)


def _machine_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--ram",
        type=_size_arg,
        metavar="SIZE",
        help="plan for this much RAM instead of this computer's (e.g. 16GB)",
    )
    p.add_argument(
        "--vram",
        type=_size_arg,
        metavar="SIZE",
        help="plan for this much GPU memory instead of this computer's (e.g. 8GB; 0: no GPU)",
    )


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser("list", help="list the catalog's models")
    p.add_argument(
        "--type", dest="model_type", metavar="TYPE", help="only this type (llm, layout, ocr, ...)"
    )
    p.add_argument(
        "--tier",
        type=_tier_arg,
        metavar="TIER",
        help="list the models this tier may use (default: your license's tier)",
    )
    p.add_argument("--search", metavar="TEXT", help="words to find in id, name, tags, description")
    p.add_argument(
        "--updates", action="store_true", help="only installed models with a newer version"
    )
    p.add_argument(
        "--fits",
        action="store_true",
        help="add whether each model fits this computer's memory (from stored facts only)",
    )
    _machine_args(p)
    p.add_argument("--json", action="store_true", help="machine-readable output (see README)")
    p.set_defaults(handler=Handler(RUN, "cmd_list"))

    p = subparsers.add_parser("show", help="show one model in full")
    p.add_argument("model_id", metavar="ID")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=Handler(RUN, "cmd_show"))

    p = subparsers.add_parser(
        "fit",
        help="will a model run here: its memory needs against this computer",
        description="Read the model's facts (from the catalog, the installed files, or the "
        "header of its file on the server, without downloading it) and weigh its memory "
        "needs at a context length against this computer's RAM and GPU memory.",
    )
    p.add_argument("model_id", metavar="ID")
    p.add_argument(
        "--context",
        type=_context_arg,
        metavar="N",
        help="context length in tokens (default: the model's context_length parameter, "
        "else its own)",
    )
    p.add_argument("--version", dest="model_version", metavar="VERSION", help="another version")
    _machine_args(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=Handler("clary_desktop.cli.fit_commands", "cmd_fit"))

    p = subparsers.add_parser("versions", help="a model's version history")
    p.add_argument("model_id", metavar="ID")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=Handler(RUN, "cmd_versions"))

    p = subparsers.add_parser("catalog", help="manage the catalog itself")
    catalog_sub = p.add_subparsers(dest="catalog_command", metavar="ACTION", parser_class=type(p))
    catalog_sub.required = True
    imp = catalog_sub.add_parser("import", help="add or update entries from a manifest file")
    imp.add_argument("file", type=Path, metavar="FILE")
    imp.set_defaults(handler=Handler(RUN, "cmd_catalog_import"))
    sync = catalog_sub.add_parser(
        "sync", help="bring in the published catalog (signed; see README)"
    )
    sync.add_argument(
        "--from",
        dest="source",
        metavar="URL|FILE",
        help="where to read it (default: the catalog_url setting, else CLARY_CATALOG_URL)",
    )
    sync.add_argument(
        "--allow-unsigned",
        action="store_true",
        help="accept an unsigned local file you trust (never a URL)",
    )
    sync.set_defaults(handler=Handler(RUN, "cmd_catalog_sync"))
