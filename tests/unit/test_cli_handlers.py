"""Every `clary-models` subcommand names a handler that exists, and every handler has
its subcommand: the parser names them as text so that it loads none of them."""

from __future__ import annotations

import argparse
import importlib
import inspect

from clary_desktop.cli.arguments import Handler
from clary_desktop.cli.main import build_parser


def _handlers(parser: argparse.ArgumentParser, path: str = "") -> dict[str, Handler]:
    found: dict[str, Handler] = {}
    handler = parser.get_default("handler")
    if handler is not None:
        found[path] = handler
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.update(_handlers(sub, f"{path} {name}".strip()))
    return found


def test_every_subcommand_names_a_handler_that_loads():
    handlers = _handlers(build_parser())
    assert "list" in handlers and "storage reclaim" in handlers and "serve" in handlers
    for command, handler in handlers.items():
        run = handler.load()
        assert callable(run), command
        assert list(inspect.signature(run).parameters) == ["ctx", "args"], command


def test_every_handler_function_has_a_subcommand():
    named = {(h.module, h.function) for h in _handlers(build_parser()).values()}
    for module_name in {module for module, _ in named}:
        module = importlib.import_module(module_name)
        functions = {n for n, v in vars(module).items() if n.startswith("cmd_") and callable(v)}
        assert functions == {f for m, f in named if m == module_name}, module_name
