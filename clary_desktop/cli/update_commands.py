"""`update` and `rollback`: newer versions of installed models, safely.

What the commands do; their arguments are in `cli/arguments/updates.py`.
"""

from __future__ import annotations

import argparse
import sys

from clary_desktop.cli.context import CliContext
from clary_desktop.cli.download_commands import run_job
from clary_desktop.cli.hints import error_text
from clary_desktop.errors import ClaryError


def cmd_update(ctx: CliContext, args: argparse.Namespace) -> int:
    registry = ctx.registry
    if args.all:
        targets = [u.model_id for u in registry.check_updates()]
        if not targets:
            print("Every installed model is up to date.")
            return 0
    else:
        targets = [args.model_id]
    failed = 0
    for model_id in targets:
        before = registry.get_model(model_id).installed_version
        try:
            job_id = registry.update(model_id)
            if job_id is not None:
                run_job(ctx, job_id, f"{model_id} update")
        except ClaryError as error:
            if not args.all:
                raise
            print(f"{model_id}: {error_text(error)}", file=sys.stderr)
            failed += 1
            continue
        after = registry.get_model(model_id).installed_version
        print(f"Updated {model_id} from {before} to {after}; {before} is kept for rollback.")
    return 1 if failed else 0


def cmd_rollback(ctx: CliContext, args: argparse.Namespace) -> int:
    registry = ctx.registry
    current = registry.get_model(args.model_id).installed_version
    version = registry.rollback(args.model_id)
    print(f"{args.model_id} is back on {version} (was {current}).")
    return 0
