"""The arguments of `settings`: show, set and reset the user's settings."""

from __future__ import annotations

from clary_desktop.cli.arguments import Handler, Subparsers

RUN = "clary_desktop.cli.settings_commands"


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "settings", help="show or change the settings (some may be set by your administrator)"
    )
    sub = p.add_subparsers(dest="settings_command", metavar="ACTION", parser_class=type(p))
    sub.required = True
    show = sub.add_parser("show", help="the settings in force, locked ones marked")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=Handler(RUN, "cmd_settings_show"))
    change = sub.add_parser("set", help="change one setting, e.g. `settings set offline true`")
    change.add_argument("name", metavar="NAME")
    change.add_argument(
        "value", metavar="VALUE", help="as you would type it: 3, true, a URL; JSON for a list"
    )
    change.set_defaults(handler=Handler(RUN, "cmd_settings_set"))
    reset = sub.add_parser("reset", help="put settings back to their defaults")
    reset.add_argument("names", metavar="NAME", nargs="+")
    reset.set_defaults(handler=Handler(RUN, "cmd_settings_reset"))
