"""The arguments of `license show` and `license install`."""

from __future__ import annotations

from pathlib import Path

from clary_desktop.cli.arguments import Handler, Subparsers

RUN = "clary_desktop.cli.license_commands"


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser("license", help="show or install your license (default: show)")
    p.set_defaults(handler=Handler(RUN, "cmd_show"), json=False)
    actions = p.add_subparsers(dest="license_command", metavar="ACTION", parser_class=type(p))

    show = actions.add_parser("show", help="licensee, tier, expiry and state of the license")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.set_defaults(handler=Handler(RUN, "cmd_show"))

    install = actions.add_parser("install", help="verify a license file, then copy it into place")
    install.add_argument("file", type=Path, metavar="FILE")
    install.set_defaults(handler=Handler(RUN, "cmd_install"))
