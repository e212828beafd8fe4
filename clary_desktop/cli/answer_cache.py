"""Answers of `list` and `show`, kept until anything they depend on changes.

Printing the catalog needs SQLAlchemy, pydantic and the licensing core, whose loading
alone takes several times longer than the answer itself. So the text these commands
print is kept (one small file per command line, under `AppPaths.answers_dir`) together
with a fingerprint of everything it was made from:

- the catalog database: its schema version and the random stamp every write transaction
  sets (`db.database.stamp_write`), read with the standard library's sqlite3;
- the contents of the settings file, the license file, the license's clock memory
  (license-state.json) and the administrator's policy file;
- the program's version and every CLARY_* environment variable;
- the time: a kept answer holds from when it was made until the license changes state
  (issued, expires, grace ends), and never for a clock set back before it was made.

A later run whose fingerprint is the same prints the kept text without loading any of
that. Anything else (another database than the default SQLite file, a verbose run, a
policy problem, an unreadable or odd file anywhere) means no answer is kept or read, and
the command takes its normal way. The kept text is for display only: every action that
the license tier governs checks the license itself.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sqlite3
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clary_desktop import __version__
from clary_desktop.paths import AppPaths, policy_file, resolve_license_path
from clary_desktop.userfiles import FileProblem, UserFileError, read_user_file

if TYPE_CHECKING:
    from clary_desktop.cli.context import CliContext

FORMAT = 1
#: Larger answers (catalogs of tens of thousands of models) are not kept.
MAX_ANSWER_BYTES = 8 * 2**20
#: The files an answer depends on are small; a larger one is not read, and nothing is kept.
MAX_INPUT_BYTES = 1 * 2**20
#: Answers kept at most (one per command line: `show` of many models); the oldest go.
MAX_ANSWERS = 256
_DB_KEYS = ("schema_version", "write_stamp")


def answer_key(args: argparse.Namespace) -> str | None:
    """The kept answer that can serve this command line, or None when none can: only the
    plain `list` and `show ID` (either with --json) are kept."""
    if getattr(args, "verbose", False):
        return None
    if args.command == "list":
        narrowed = (args.model_type, args.tier, args.search, args.ram, args.vram)
        if any(value is not None for value in narrowed) or args.updates or args.fits:
            return None
        return json.dumps(["list", args.json])
    if args.command == "show":
        return json.dumps(["show", args.model_id, args.json])
    return None


def fingerprint(paths: AppPaths, license_arg: str | None) -> dict[str, Any] | None:
    """Everything a kept answer depends on apart from the time, or None when it cannot
    be told cheaply and surely (then nothing is kept)."""
    if paths.database_url is not None:
        return None
    database = _database_stamp(paths.database_file)
    if database is None:
        return None
    inputs = {
        "settings": paths.settings_file,
        "license": resolve_license_path(license_arg, paths),
        "license_state": paths.license_state_file,
        "policy": policy_file(),
    }
    try:
        files = {name: [str(path), _file_digest(path)] for name, path in inputs.items()}
    except _Unusable:
        return None
    environment = sorted([k, v] for k, v in os.environ.items() if k.startswith("CLARY_"))
    return {
        "format": FORMAT,
        "program": __version__,
        "database": database,
        "files": files,
        "environment": environment,
    }


def read_answer(paths: AppPaths, key: str, now: datetime, current: dict[str, Any]) -> str | None:
    """The kept text for `key`, if it was made from exactly `current` and still holds at
    `now`; else None."""
    try:
        raw = read_user_file(_answer_file(paths, key), MAX_ANSWER_BYTES)
        kept = json.loads(raw)
        if kept["key"] != key or kept["fingerprint"] != current:
            return None
        made = datetime.fromisoformat(kept["made_at"])
        until = kept["valid_until"]
        if now < made or (until is not None and now >= datetime.fromisoformat(until)):
            return None
        text = kept["text"]
    except (UserFileError, ValueError, TypeError, KeyError, RecursionError):
        return None  # damaged, or not one of ours: the command takes its normal way
    return text if isinstance(text, str) else None


def keep_answer(
    paths: AppPaths,
    key: str,
    text: str,
    *,
    made_at: datetime,
    valid_until: datetime | None,
    made_from: dict[str, Any],
) -> None:
    """Keep `text` for `key`; best effort: a cache that cannot be written changes nothing."""
    record = {
        "key": key,
        "fingerprint": made_from,
        "made_at": made_at.isoformat(),
        "valid_until": valid_until.isoformat() if valid_until is not None else None,
        "text": text,
    }
    data = json.dumps(record, ensure_ascii=False).encode("utf-8")
    if len(data) > MAX_ANSWER_BYTES:
        return
    target = _answer_file(paths, key)
    temporary = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_bytes(data)
        os.replace(temporary, target)
        _forget_the_oldest(target.parent)
    except OSError:
        temporary.unlink(missing_ok=True)


def _forget_the_oldest(folder: Path) -> None:
    kept = [(entry.stat().st_mtime_ns, entry) for entry in folder.glob("*.json")]
    if len(kept) > MAX_ANSWERS:
        for _modified, entry in sorted(kept)[: len(kept) - MAX_ANSWERS]:
            entry.unlink(missing_ok=True)


def next_change(times: list[datetime | None], now: datetime) -> datetime | None:
    """The first of `times` after `now`: when a license state, and so an answer, changes."""
    future = [moment for moment in times if moment is not None and moment > now]
    return min(future) if future else None


def print_kept_answer(paths: AppPaths, args: argparse.Namespace) -> bool:
    """Print the kept answer to this command line if there is a current one."""
    key = answer_key(args)
    if key is None:
        return False
    current = fingerprint(paths, getattr(args, "license", None))
    if current is None:
        return False
    text = read_answer(paths, key, datetime.now(UTC), current)
    if text is None:
        return False
    sys.stdout.write(text)
    return True


def print_and_keep(ctx: CliContext, args: argparse.Namespace, make: Callable[[], str]) -> None:
    """Print the text `make()` returns, and keep it for the next run of this command line
    when nothing it depends on changed while it was made."""
    registry = ctx.registry
    # The license is read first: reading it may update its clock memory.
    status = registry.license_status()
    now = datetime.now(UTC)
    key = answer_key(args)
    license_arg = getattr(args, "license", None)
    before = None
    if key is not None and registry.policy.problem is None:
        before = fingerprint(ctx.paths, license_arg)
    text = make()
    sys.stdout.write(text)
    if key is None or before is None or fingerprint(ctx.paths, license_arg) != before:
        return
    until = next_change([status.issued_at, status.expires_at, status.grace_ends_at], now)
    keep_answer(ctx.paths, key, text, made_at=now, valid_until=until, made_from=before)


def _answer_file(paths: AppPaths, key: str) -> Path:
    return paths.answers_dir / answer_file_name(key)


def answer_file_name(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32] + ".json"


class _Unusable(Exception):
    """An input that cannot be told cheaply and surely: no answer is kept or read."""


def _file_digest(path: Path) -> str | None:
    """sha256 of the small regular file at `path`; None when there is none."""
    try:
        data = read_user_file(path, MAX_INPUT_BYTES)
    except UserFileError as error:
        if error.problem is FileProblem.MISSING:
            return None
        raise _Unusable(str(error)) from None
    return hashlib.sha256(data).hexdigest()


def _database_stamp(db_file: Path) -> list[str] | None:
    """The schema version and write stamp of the catalog database, read without
    changing anything; None when the file or the entries are not there or the file is
    read-only."""
    # A database the program cannot write to gets the normal run, which says so.
    if not db_file.is_file() or not os.access(db_file, os.W_OK):
        return None
    try:
        connection = sqlite3.connect(f"{db_file.as_uri()}?mode=ro", uri=True, timeout=1)
    except sqlite3.Error:
        return None
    try:
        rows = dict(
            connection.execute(
                "SELECT key, value FROM clary_meta WHERE key IN (?, ?)", _DB_KEYS
            ).fetchall()
        )
    except sqlite3.Error:
        return None
    finally:
        connection.close()
    if any(name not in rows for name in _DB_KEYS):
        return None
    return [str(rows[name]) for name in _DB_KEYS]
