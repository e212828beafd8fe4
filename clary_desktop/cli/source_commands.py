"""`sources`: the ordered list of places model files come from.

What the commands do; their arguments are in `cli/arguments/sources.py`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Literal

from pydantic import ValidationError

from clary_desktop.cli.context import CliContext
from clary_desktop.cli.output import print_json, render_table
from clary_desktop.errors import ClaryError
from clary_desktop.settings import Source

_KINDS = {"hub": "Hub", "url": "URL mirror"}


def cmd_sources(ctx: CliContext, args: argparse.Namespace) -> int:
    _print_sources(ctx, ctx.registry.sources(), args.json)
    return 0


def _print_sources(ctx: CliContext, sources: list[Source], as_json: bool) -> None:
    if as_json:
        print_json({"sources": [_public(s) for s in sources]})
        return
    hub_endpoint = ctx.registry.settings.hub_endpoint
    rows = [
        [str(n), s.name, _KINDS[s.kind], _address(s, hub_endpoint), _token(s)]
        for n, s in enumerate(sources, start=1)
    ]
    print(render_table(["#", "NAME", "KIND", "ADDRESS", "TOKEN"], rows, right=frozenset({0})))


def _public(source: Source) -> dict[str, object]:
    """A source as shown: never its token, only whether it has one."""
    return {
        "name": source.name,
        "kind": source.kind,
        "url": source.url,
        "default_hub": source.is_default_hub,
        "token_set": bool(source.token),
    }


def _address(source: Source, hub_endpoint: str | None) -> str:
    if source.url:
        return source.url
    return f"{hub_endpoint or 'https://huggingface.co'} (the hub_endpoint setting)"


def _token(source: Source) -> str:
    if source.is_default_hub:
        return "hub_token setting"
    if source.kind == "url":
        return "-"
    return "set" if source.token else "none"


def cmd_sources_test(ctx: CliContext, args: argparse.Namespace) -> int:
    registry = ctx.registry
    chosen = [args.name] if args.name else [s.name for s in registry.sources()]
    checks = []
    for name in chosen:
        check = registry.test_source(name)
        checks.append(check)
        if not args.json:
            print(f"{check.name} ({check.address}): {check.state}. {check.detail}", flush=True)
    if args.json:
        print_json({"checks": checks})
    return 0 if all(c.works for c in checks) else 1


def cmd_sources_add(ctx: CliContext, args: argparse.Namespace) -> int:
    token = args.token
    if token == "-":
        token = sys.stdin.readline().strip()
    kind: Literal["hub", "url"] = "hub" if args.hub is not None else "url"
    try:
        source = Source(
            name=args.name, kind=kind, url=args.hub or args.url or None, token=token or None
        )
    except ValidationError as error:
        problem = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in problem["loc"])
        message = problem["msg"].removeprefix("Value error, ")
        raise ClaryError(
            f"The source cannot be added ({where + ': ' if where else ''}{message})."
        ) from None
    sources = ctx.registry.add_source(source, args.position)
    print(f"Added the source {source.name!r}. The sources, tried in this order:")
    _print_sources(ctx, sources, as_json=False)
    return 0


def cmd_sources_remove(ctx: CliContext, args: argparse.Namespace) -> int:
    sources = ctx.registry.remove_source(args.name)
    print(f"Removed the source {args.name!r}. The sources, tried in this order:")
    _print_sources(ctx, sources, as_json=False)
    return 0


def cmd_sources_move(ctx: CliContext, args: argparse.Namespace) -> int:
    sources = ctx.registry.move_source(args.name, args.position)
    print(f"Moved the source {args.name!r}. The sources, tried in this order:")
    _print_sources(ctx, sources, as_json=False)
    return 0
