"""The arguments of `network`: the proxy, its user and password, and trusted certificates."""

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

    change = commands.add_parser(
        "set", help="change the proxy settings (an empty value clears one)"
    )
    change.add_argument(
        "--proxy", metavar="URL", help="http://host:port; wins over HTTPS_PROXY/HTTP_PROXY"
    )
    change.add_argument(
        "--proxy-user",
        metavar="USER",
        help="the proxy's user name; store its password with `network password`",
    )
    change.add_argument(
        "--no-proxy", metavar="HOSTS", help="comma-separated hosts reached without the proxy"
    )
    change.add_argument(
        "--ca-bundle",
        metavar="FILE",
        help="a PEM file of extra trusted root certificates (the company's)",
    )
    change.set_defaults(handler=Handler(RUN, "cmd_set"))

    password = commands.add_parser(
        "password",
        help="keep the proxy user's password in the system keychain (read from the "
        "terminal, or one line of standard input)",
    )
    password.add_argument("--clear", action="store_true", help="remove it from the keychain")
    password.set_defaults(handler=Handler(RUN, "cmd_password"))
