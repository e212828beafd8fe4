"""What this computer remembers between runs: the highest accepted serial per
license id (replay) and the latest time seen (clock set back).

Kept as a small JSON file in the config dir, written atomically. A missing or
damaged file starts afresh: it must never lock a paying user out.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)
# Keeps date arithmetic on a hand-edited file from overflowing.
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_LATEST = datetime(9000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Ledger:
    latest_seen: datetime | None = None
    serials: dict[str, int] = field(default_factory=dict)

    def saw(self, when: datetime) -> Ledger:
        if self.latest_seen is not None and self.latest_seen >= when:
            return self
        return Ledger(when, dict(self.serials))

    def accepted(self, license_id: str, serial: int) -> Ledger:
        if self.serials.get(license_id, 0) >= serial:
            return self
        return Ledger(self.latest_seen, {**self.serials, license_id: serial})

    def merged(self, other: Ledger) -> Ledger:
        """The max of both, so two processes writing at once lose nothing that matters."""
        result = self if other.latest_seen is None else self.saw(other.latest_seen)
        for license_id, serial in other.serials.items():
            result = result.accepted(license_id, serial)
        return result

    def to_json(self) -> dict[str, object]:
        return {
            "version": 1,
            "latest_seen": self.latest_seen.isoformat() if self.latest_seen else None,
            "serials": dict(sorted(self.serials.items())),
        }

    @classmethod
    def from_json(cls, document: object) -> Ledger:
        if not isinstance(document, dict):
            raise ValueError("not an object")
        seen_text = document.get("latest_seen")
        latest_seen = None
        if seen_text is not None:
            latest_seen = datetime.fromisoformat(str(seen_text))
            if latest_seen.tzinfo is None:
                raise ValueError("latest_seen has no time zone")
            latest_seen = latest_seen.astimezone(UTC)
            if not _EARLIEST <= latest_seen < _LATEST:
                raise ValueError("latest_seen is out of range")
        raw_serials = document.get("serials") or {}
        if not isinstance(raw_serials, dict):
            raise ValueError("serials is not an object")
        serials = {str(k): v for k, v in raw_serials.items() if type(v) is int}
        return cls(latest_seen, serials)


def load_ledger(path: Path) -> Ledger:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Ledger()
    except (OSError, UnicodeDecodeError) as error:
        log.warning("Cannot read the license state %s (%s); starting afresh", path, error)
        return Ledger()
    try:
        return Ledger.from_json(json.loads(text))
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
