"""`settings show | set | reset`: the settings in force, and changes to the user's own.

What the commands do; their arguments are in `cli/arguments/settings.py`. The Registry
refuses a setting the administrator's policy locks; these commands print its words.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from clary_desktop.cli.context import CliContext
from clary_desktop.cli.output import print_json, render_table
from clary_desktop.policy import LOCKED_WORDS

#: Settings shown only as set or not, never their value (a terminal may be shared).
_SECRET_WORDS = ("token", "password", "secret")


def cmd_settings_show(ctx: CliContext, args: argparse.Namespace) -> int:
    registry = ctx.registry
    in_force = registry.settings.model_dump(mode="json")
    shown = {name: _shown_value(name, value) for name, value in in_force.items()}
    locked = sorted(name for name in shown if registry.policy.is_locked(name))
    notes = registry.policy.notes() + registry.overrides.notes()
    if args.json:
        print_json(
            {
                "settings": shown,
                "locked": locked,
                "policy_file": str(registry.policy.source) if registry.policy.source else None,
                "policy_problem": registry.policy.problem,
                "notes": notes,
            }
        )
        return 0
    marker = LOCKED_WORDS if registry.policy.problem is None else "locked (see below)"
    rows = [[name, _text(value), marker if name in locked else ""] for name, value in shown.items()]
    print(render_table(["SETTING", "VALUE", "NOTE"], rows))
    for note in notes:
        print(note, file=sys.stderr)
    return 0


def cmd_settings_set(ctx: CliContext, args: argparse.Namespace) -> int:
    ctx.registry.change_settings({args.name: _typed(args.value)})
    print(f"{args.name} saved.", file=sys.stderr)
    return 0


def cmd_settings_reset(ctx: CliContext, args: argparse.Namespace) -> int:
    ctx.registry.reset_settings(list(args.names))
    print(f"{', '.join(args.names)} back to the default.", file=sys.stderr)
    return 0


def _typed(text: str) -> Any:
    """A list or object as JSON (`[...]`, `{...}`); anything else as typed, which the
    settings model reads for its own type (3, 2.5, true, a URL)."""
    if text.lstrip().startswith(("[", "{")):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            pass  # the model says what is wrong with it as text
    return text


def _shown_value(name: str, value: Any) -> Any:
    """`value` with every secret in it hidden, also inside lists and objects (a download
    source's token)."""
    if isinstance(value, list):
        return [_shown_value(name, item) for item in value]
    if isinstance(value, dict):
        return {key: _shown_value(key, item) for key, item in value.items()}
    if value and any(word in name for word in _SECRET_WORDS):
        return "(hidden)"
    return value


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    return json.dumps(value)
