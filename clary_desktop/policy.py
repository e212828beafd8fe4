"""The administrator's policy: a machine-wide JSON file that sets settings and locks them.

    {"settings": {"offline": false, "proxy": "http://proxy.example:3128"},
     "locked": ["proxy"]}

A locked setting has the policy's value whatever the user saved, and the user cannot
change it; the user's own value stays in their settings file, untouched, and comes back
if the lock is lifted. A setting the policy gives but does not lock is a starting value:
it fills a setting the user's file does not hold yet, and the user may change it.

The file is checked as a whole against the `Settings` model (names, types, ranges) and
used all or nothing. One that cannot be used (not JSON, an unknown name, a wrong type, too
large, not a regular file) is never applied in part: the program then keeps the user's
settings but works offline with the local API off, and refuses every settings change, so
that a broken policy never opens more than the administrator allowed; the problem is
shown in plain words naming the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from clary_desktop.errors import ClaryError
from clary_desktop.paths import policy_file
from clary_desktop.settings import Settings, describe_problem, did_you_mean
from clary_desktop.userfiles import FileProblem, UserFileError, read_user_file

MAX_POLICY_BYTES = 256_000  # a policy is a few hundred bytes
LOCKED_WORDS = "Set by your administrator"
"""What every front shows next to a locked setting and says when refusing to change it."""
# What a broken policy forces for the run: no network, no server; nothing else changes.
_SAFE_WHEN_BROKEN: dict[str, Any] = {"offline": True, "api_enabled": False}
_TOP_LEVEL = ("settings", "locked")


class PolicyLockedError(ClaryError):
    """A change to a setting the administrator's policy locks: nothing was changed."""


class _Malformed(Exception):
    """A policy file that cannot be used; the message is the plain-words problem."""


@dataclass(frozen=True)
class Policy:
    """The policy in force: `values` win over the user's settings and are `locked` (a
    broken policy locks everything), `starting` fills what the user has not set."""

    source: Path | None = None
    values: Mapping[str, Any] = field(default_factory=dict)
    locked: frozenset[str] = frozenset()
    starting: Mapping[str, Any] = field(default_factory=dict)
    problem: str | None = None

    @classmethod
    def unusable(cls, source: Path, problem: str) -> Policy:
        return cls(
            source=source,
            values=dict(_SAFE_WHEN_BROKEN),
            locked=frozenset(Settings.model_fields),
            problem=problem,
        )

    def is_locked(self, name: str) -> bool:
        return name in self.locked

    def fill(self, stored: Settings) -> Settings:
        """`stored` with the starting values for the settings it does not hold."""
        missing = {k: v for k, v in self.starting.items() if k not in stored.model_fields_set}
        return stored.model_copy(update=missing) if missing else stored

    def apply(self, stored: Settings) -> Settings:
        """The settings in force: the user's, with the locked values on top."""
        return stored.model_copy(update=dict(self.values)) if self.values else stored

    def require_unlocked(self, names: Iterable[str]) -> None:
        """Raise PolicyLockedError when any of `names` is locked."""
        locked = [name for name in names if name in self.locked]
        if locked:
            raise self._refusal(locked)

    def check_change(self, stored: Settings, wanted: Settings) -> Settings:
        """What to save when the user asks for `wanted`: raises PolicyLockedError when a
        locked setting would change. A locked setting given as stored, or as the policy's
        own value (a front that started from the settings in force), is no change; either
        way the user's own value is what is saved, never the policy's."""
        changed = [
            name
            for name in sorted(self.locked)
            if getattr(wanted, name) != getattr(stored, name)
            and not (name in self.values and getattr(wanted, name) == self.values[name])
        ]
        if changed:
            raise self._refusal(changed)
        keep = {name: getattr(stored, name) for name in self.locked}
        return wanted.model_copy(update=keep) if keep else wanted

    def notes(self) -> list[str]:
        """What the policy does, in plain words, for a settings screen."""
        if self.problem is not None:
            return [self.problem_text()]
        if self.locked:
            return [f'Settings marked "{LOCKED_WORDS}" come from {self.source}.']
        return []

    def problem_text(self) -> str:
        return (
            f"The administrator's policy file {self.source} cannot be used: {self.problem}. "
            "Until it is fixed, Clary Desktop works offline with the local API off, and "
            "settings cannot be changed. Ask your IT department to fix the file."
        )

    def _refusal(self, names: list[str]) -> PolicyLockedError:
        if self.problem is not None:
            return PolicyLockedError(
                f"Settings cannot be changed: the administrator's policy file {self.source} "
                f"cannot be used ({self.problem}). Ask your IT department to fix it."
            )
        return PolicyLockedError(
            f"{', '.join(names)}: {LOCKED_WORDS} (in {self.source}); nothing was changed. "
            "Ask your IT department if it should be different."
        )


def load_policy(path: Path | None = None) -> Policy:
    """The policy in `path` (default: `policy_file()`); no file means no policy."""
    path = path if path is not None else policy_file()
    try:
        raw = read_user_file(path, MAX_POLICY_BYTES)
    except UserFileError as error:
        if error.problem is FileProblem.MISSING:
            return Policy()
        return Policy.unusable(path, f"it {error.detail}")
    try:
        return parse_policy(raw, path)
    except _Malformed as error:
        return Policy.unusable(path, str(error))


def parse_policy(raw: bytes, source: Path) -> Policy:
    """Check the whole file; raises _Malformed naming the first problem."""
    document = _json_object(raw)
    unknown = [key for key in document if key not in _TOP_LEVEL]
    if unknown:
        raise _Malformed(
            f'it has {_quoted(unknown)} at the top, where only "settings" and "locked" belong'
        )
    given = document.get("settings", {})
    if not isinstance(given, dict):
        raise _Malformed('"settings" must be an object of setting names and values')
    for name in given:
        _require_known(name, '"settings"')
    locked = document.get("locked", [])
    if not isinstance(locked, list) or not all(isinstance(name, str) for name in locked):
        raise _Malformed('"locked" must be a list of setting names')
    for name in locked:
        _require_known(name, '"locked"')
        if name not in given:
            raise _Malformed(f'"locked" names "{name}", which "settings" gives no value')
    checked = _validated(given)
    values = {name: getattr(checked, name) for name in given}
    return Policy(
        source=source,
        values={k: v for k, v in values.items() if k in locked},
        locked=frozenset(locked),
        starting={k: v for k, v in values.items() if k not in locked},
    )


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8-sig")  # Notepad may start the file with a BOM
    except UnicodeDecodeError:
        raise _Malformed("it is not UTF-8 text") from None
    if not text.strip():
        raise _Malformed("it is empty")
    try:
        document = json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as error:
        raise _Malformed(
            f"it is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from None
    if not isinstance(document, dict):
        raise _Malformed('it must hold one JSON object: {"settings": {...}, "locked": [...]}')
    return document


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _Malformed(f'it gives "{key}" twice')
        seen[key] = value
    return seen


def _require_known(name: str, where: str) -> None:
    if name not in Settings.model_fields:
        raise _Malformed(f'{where} has "{name}", which is not a setting{did_you_mean(name)}')


def _validated(given: dict[str, Any]) -> Settings:
    """The policy's values checked by the Settings model itself, strictly: JSON's own
    types, no "3" for a number, every range and rule of the model."""
    try:
        return Settings.model_validate_json(json.dumps(given), strict=True)
    except ValidationError as error:
        raise _Malformed(describe_problem(error)) from None


def _quoted(names: list[str]) -> str:
    return ", ".join(f'"{name}"' for name in names)
