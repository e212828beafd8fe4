"""Plain values the engine hands to the fronts: never ORM rows, safe across threads."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict


class JobState(StrEnum):
    QUEUED = "queued"
    DOWNLOADING = "downloading"
    PAUSED = "paused"
    VERIFYING = "verifying"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in FINISHED_STATES

    @property
    def active(self) -> bool:
        """Running or about to run in some process."""
        return self in (JobState.QUEUED, JobState.DOWNLOADING, JobState.VERIFYING)


FINISHED_STATES = frozenset({JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED})

#: Why a job is paused at start-up: the program quit while it ran (it paused it), or the
#: process ended without a word (a crash, a power cut). Both can simply be resumed.
PAUSED_AT_QUIT = "Paused when the program quit; resume it to continue where it stopped."
INTERRUPTED = "Interrupted; resume it to continue where it stopped."


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True)


class JobInfo(_Value):
    job_id: int
    model_id: str
    version: str
    state: JobState
    bytes_done: int
    bytes_total: int | None
    speed_bps: float | None
    eta_seconds: float | None
    error: str | None
    current_file: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def fraction(self) -> float | None:
        if not self.bytes_total:
            return None
        return min(1.0, self.bytes_done / self.bytes_total)

    @property
    def stopped_by_exit(self) -> bool:
        """Paused because a program ended while it ran (what a front offers to resume)."""
        return self.state == JobState.PAUSED and self.error in (PAUSED_AT_QUIT, INTERRUPTED)


class DownloadEvent(JobInfo):
    """A job's state at one moment. `kind` is "state" when the state changed
    (always delivered) and "progress" for rate-limited byte counts."""

    kind: Literal["state", "progress"]


class VerifyResult(_Value):
    """ "unverified": the file is there (and of the listed size, if one is listed), but
    no source vouched for a sha256 to check it against."""

    model_id: str
    version: str
    path: str
    status: Literal["ok", "unverified", "corrupt", "missing"]
    expected_sha256: str | None
    actual_sha256: str | None
    detail: str | None = None

    @property
    def intact(self) -> bool:
        """No sign of damage (verified, or with nothing to verify against)."""
        return self.status in ("ok", "unverified")


class StrayPartial(_Value):
    """A `.part` file on disk that no unfinished job will use again."""

    path: str
    size_bytes: int
