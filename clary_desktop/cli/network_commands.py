"""`network`: the proxy set-up in force, and the proxy password in the keychain.

What the commands do; their arguments are in `cli/arguments/network.py`.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from clary_desktop.cli.context import CliContext
from clary_desktop.cli.output import print_json
from clary_desktop.errors import ClaryError


def cmd_show(ctx: CliContext, args: argparse.Namespace) -> int:
    registry = ctx.registry
    settings = registry.settings
    shown = {
        "proxy": settings.proxy,
        "proxy_user": settings.proxy_user,
        "proxy_password": registry.proxy_password_source(),
        "no_proxy": settings.no_proxy,
        "ca_bundle": settings.ca_bundle,
    }
    if args.json:
        print_json(shown)
        return 0
    print(f"Proxy:          {settings.proxy or 'none set (HTTPS_PROXY/HTTP_PROXY apply)'}")
    print(f"Proxy user:     {settings.proxy_user or '-'}")
    if shown["proxy_password"]:
        print(f"Proxy password: from {shown['proxy_password']}")
    print(f"No proxy for:   {settings.no_proxy or '-'}")
    print(f"CA bundle:      {settings.ca_bundle or '-'} (on top of the system's trust store)")
    return 0


def cmd_password(ctx: CliContext, args: argparse.Namespace) -> int:
    registry = ctx.registry
    if args.clear:
        print(registry.set_proxy_password(None))
        return 0
    if registry.settings.proxy_user is None:
        raise ClaryError(
            "Set the proxy and the proxy user first (`clary-models settings set proxy URL`, "
            "`clary-models settings set proxy_user USER`); then store the password."
        )
    if sys.stdin.isatty():
        password = getpass.getpass(f"Password of {registry.settings.proxy_user} at the proxy: ")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise ClaryError("No password was given; nothing was stored.")
    print(registry.set_proxy_password(password))
    return 0
