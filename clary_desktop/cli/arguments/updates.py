"""The arguments of `update` and `rollback`."""

from __future__ import annotations

from clary_desktop.cli.arguments import Handler, Subparsers

RUN = "clary_desktop.cli.update_commands"


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser("update", help="install the newest version of installed models")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("model_id", nargs="?", metavar="ID")
    target.add_argument("--all", action="store_true", help="every model with an update")
    p.set_defaults(handler=Handler(RUN, "cmd_update"))

    p = subparsers.add_parser("rollback", help="go back to the kept previous version")
    p.add_argument("model_id", metavar="ID")
    p.set_defaults(handler=Handler(RUN, "cmd_rollback"))
