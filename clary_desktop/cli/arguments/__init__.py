"""The arguments of every `clary-models` command, kept apart from the code that runs them.

Building the parser loads only argparse and what the arguments need, so `--version`,
`--help` and a mistyped option answer at once. Each subcommand names its handler as a
`Handler` (module and function); the handler's module, with the catalog, the download
engine and the rest of what it imports, loads when that command runs.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from clary_desktop.cli.context import CliContext

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
Run: TypeAlias = "Callable[[CliContext, argparse.Namespace], int]"


@dataclass(frozen=True)
class Handler:
    """`module`'s function `function`, which takes (context, args) and returns the exit code."""

    module: str
    function: str

    def load(self) -> Run:
        run: Run = getattr(importlib.import_module(self.module), self.function)
        return run
