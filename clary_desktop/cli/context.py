"""What every `clary-models` command gets: the parsed global options and, on first
use, the Registry opened for them."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from clary_desktop.paths import AppPaths, resolve_paths

if TYPE_CHECKING:
    from clary_desktop.app import Registry


@dataclass
class CliContext:
    args: argparse.Namespace
    paths: AppPaths
    _registry: Registry | None = field(default=None, repr=False)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> CliContext:
        return cls(args=args, paths=resolve_paths(args.data_dir))

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            # The Registry (SQLAlchemy, the download engine, licensing) loads with the first
            # command that opens it, never for --help or an argument error.
            from clary_desktop.app import Registry

            license_file = getattr(self.args, "license", None)
            self._registry = Registry.open(self.paths, license_file=license_file)
            if self._registry.policy.problem is not None:  # every command says it, once
                print(
                    f"clary-models: warning: {self._registry.policy.problem_text()}",
                    file=sys.stderr,
                )
        return self._registry

    def close(self) -> None:
        if self._registry is not None:
            self._registry.close()
            self._registry = None
