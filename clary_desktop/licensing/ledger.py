"""What this computer remembers between runs: the highest accepted serial per
license id (replay) and the latest time seen (clock set back).

The latest time seen can itself be wrong: one run with the clock years ahead
moves it there. So the ledger also keeps the clock's last leaps ahead (from the
time seen before to the time seen after), and a license issued after the leap
that jumped over today may restart the clock check (see check.py);
`clock_restarts` counts those restarts so a merge keeps them.

Kept as a small JSON file in the config dir, written atomically. A missing or
damaged file starts afresh: it must never lock a paying user out.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from clary_desktop.userfiles import FileProblem, UserFileError, read_user_file

log = logging.getLogger(__name__)
# Keeps date arithmetic on a hand-edited file from overflowing.
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_LATEST = datetime(9000, 1, 1, tzinfo=UTC)
# A clock further behind the latest time seen than this was set back; a run further
# ahead of it than this is a leap (a wrong clock, or just a long break between runs).
CLOCK_SET_BACK_LIMIT = timedelta(hours=48)
# Leaps kept: enough to span a wrong clock with a few long breaks in between.
MAX_LEAPS = 16
# A few license ids and times: anything much bigger is not this program's file.
MAX_LEDGER_BYTES = 1024 * 1024

Leap = tuple[datetime, datetime]


@dataclass(frozen=True)
class Ledger:
    latest_seen: datetime | None = None
    serials: dict[str, int] = field(default_factory=dict)
    # (time seen before, time seen after) for the last leaps ahead, oldest first.
    leaps: tuple[Leap, ...] = ()
    clock_restarts: int = 0

    def saw(self, when: datetime) -> Ledger:
        if self.latest_seen is not None and self.latest_seen >= when:
            return self
        leaps = self.leaps
        if self.latest_seen is not None and when - self.latest_seen > CLOCK_SET_BACK_LIMIT:
            leaps = (*leaps, (self.latest_seen, when))[-MAX_LEAPS:]
        return replace(self, latest_seen=when, leaps=leaps)

    def seen_before_leap_over(self, moment: datetime) -> datetime | None:
        """The latest time seen up to `moment`, when the clock then leapt over it: the last
        time this computer saw that is consistent with `moment` being right."""
        for before, after in self.leaps:
            if before <= moment < after:
                return before
        return None

    def accepted(self, license_id: str, serial: int) -> Ledger:
        if self.serials.get(license_id, 0) >= serial:
            return self
        return replace(self, serials={**self.serials, license_id: serial})

    def clock_restarted(self, now: datetime) -> Ledger:
        """Trust `now` again: the times seen after it were wrong (see check.py)."""
        return replace(
            self,
            latest_seen=now,
            leaps=tuple(leap for leap in self.leaps if leap[1] <= now),
            clock_restarts=self.clock_restarts + 1,
        )

    def merged(self, other: Ledger) -> Ledger:
        """The max of both, so two processes writing at once lose nothing that matters.

        A restart of the clock check wins over times seen before it, though later.
        """
        if other.clock_restarts > self.clock_restarts:
            result = replace(other, serials=dict(self.serials))
        elif other.clock_restarts < self.clock_restarts:
            result = self
        else:
            result = self if other.latest_seen is None else self.saw(other.latest_seen)
            result = replace(result, leaps=_merge_leaps(self.leaps, other.leaps))
        for license_id, serial in other.serials.items():
            result = result.accepted(license_id, serial)
        return result

    def to_json(self) -> dict[str, object]:
        return {
            "version": 1,
            "latest_seen": self.latest_seen.isoformat() if self.latest_seen else None,
            "serials": dict(sorted(self.serials.items())),
            "leaps": [[before.isoformat(), after.isoformat()] for before, after in self.leaps],
            "clock_restarts": self.clock_restarts,
        }

    @classmethod
    def from_json(cls, document: object) -> Ledger:
        if not isinstance(document, dict):
            raise ValueError("not an object")
        raw_serials = document.get("serials") or {}
        if not isinstance(raw_serials, dict):
            raise ValueError("serials is not an object")
        serials = {str(k): v for k, v in raw_serials.items() if type(v) is int}
        restarts = document.get("clock_restarts", 0)
        if type(restarts) is not int or restarts < 0:
            raise ValueError("clock_restarts is not a whole number")
        raw_seen = document.get("latest_seen")
        return cls(
            latest_seen=None if raw_seen is None else _parse_time(raw_seen, "latest_seen"),
            serials=serials,
            leaps=_parse_leaps(document.get("leaps") or []),
            clock_restarts=restarts,
        )


def _parse_time(text: object, name: str) -> datetime:
    moment = datetime.fromisoformat(str(text))
    if moment.tzinfo is None:
        raise ValueError(f"{name} has no time zone")
    moment = moment.astimezone(UTC)
    if not _EARLIEST <= moment < _LATEST:
        raise ValueError(f"{name} is out of range")
    return moment


def _parse_leaps(raw: object) -> tuple[Leap, ...]:
    if not isinstance(raw, list):
        raise ValueError("leaps is not a list")
    leaps = []
    for item in raw[-MAX_LEAPS:]:
        if not (isinstance(item, list) and len(item) == 2):
            raise ValueError("a leap is not a pair of times")
        before, after = _parse_time(item[0], "leaps"), _parse_time(item[1], "leaps")
        if not before < after:
            raise ValueError("a leap does not go ahead")
        leaps.append((before, after))
    return tuple(sorted(leaps))


def _merge_leaps(first: tuple[Leap, ...], second: tuple[Leap, ...]) -> tuple[Leap, ...]:
    return tuple(sorted(set(first) | set(second)))[-MAX_LEAPS:]


def load_ledger(path: Path) -> Ledger:
    try:
        data = read_user_file(path, MAX_LEDGER_BYTES)
    except UserFileError as error:
        if error.problem is not FileProblem.MISSING:
            log.warning("Cannot read the license state %s; starting afresh", error)
        return Ledger()
    try:
        return Ledger.from_json(json.loads(data))
    except (ValueError, TypeError, OverflowError, RecursionError) as error:
        log.warning("The license state %s is damaged (%s); starting afresh", path, error)
        return Ledger()


def save_ledger(path: Path, ledger: Ledger) -> None:
    """Merge with what is on disk, then replace atomically. Failure is logged, not raised."""
    try:
        merged = ledger.merged(load_ledger(path))
        write_atomically(path, (json.dumps(merged.to_json(), indent=2) + "\n").encode("utf-8"))
    except OSError as error:
        log.warning("Cannot write the license state %s: %s", path, error)


def write_atomically(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Temp file in the same folder, fsync, os.replace: readers see old or new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
