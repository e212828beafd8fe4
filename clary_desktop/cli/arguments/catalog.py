"""The arguments of `list`, `show`, `versions` and `catalog import|sync`."""

from __future__ import annotations

import argparse
from pathlib import Path

from clary_desktop.cli.arguments import Handler, Subparsers
from clary_desktop.domain.access import Tier

RUN = "clary_desktop.cli.catalog_commands"


def _tier_arg(value: str) -> Tier:
    try:
        return Tier.parse(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


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
    p.add_argument("--json", action="store_true", help="machine-readable output (see README)")
    p.set_defaults(handler=Handler(RUN, "cmd_list"))

    p = subparsers.add_parser("show", help="show one model in full")
    p.add_argument("model_id", metavar="ID")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=Handler(RUN, "cmd_show"))

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
