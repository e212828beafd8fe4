"""The arguments of `network`: what the proxy set-up is, and the proxy password (kept in
the keychain: the other proxy and certificate settings change with `settings set`)."""

from __future__ import annotations

from clary_desktop.cli.arguments import Handler, Subparsers

RUN = "clary_desktop.cli.network_commands"


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "network", help="the proxy and the certificates downloads and catalog syncs use"
    )
    commands = p.add_subparsers(dest="network_command", metavar="ACTION")
    commands.required = True

    show = commands.add_parser("show", help="the proxy, its user, and the trusted certificates")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.set_defaults(handler=Handler(RUN, "cmd_show"))

    password = commands.add_parser(
        "password",
        help="keep the proxy user's password in the system keychain (read from the "
        "terminal, or one line of standard input)",
    )
    password.add_argument("--clear", action="store_true", help="remove it from the keychain")
    password.set_defaults(handler=Handler(RUN, "cmd_password"))
