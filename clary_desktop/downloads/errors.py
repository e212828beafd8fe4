"""Why a transfer stopped. Each class says what the engine does next."""

from __future__ import annotations

from clary_desktop.errors import ClaryError


class RetryableError(Exception):
    """A temporary failure (reset, truncation, 5xx, 429, stall): try again after a pause.

    `retry_after` is the server's Retry-After in seconds, when it sent one.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class DownloadFailed(ClaryError):
    """A failure retrying cannot fix (401/403/404, gated repo, bad catalog entry,
    checksum mismatch). The message is the sentence the user sees."""

    def __init__(
        self, message: str, expected_sha256: str | None = None, actual_sha256: str | None = None
    ) -> None:
        super().__init__(message)
        self.expected_sha256 = expected_sha256
        self.actual_sha256 = actual_sha256


class NotEnoughSpace(ClaryError):
    """The disk cannot hold the rest of the download; the job pauses, keeping the partial."""

    def __init__(self, need: int, free: int) -> None:
        from clary_desktop.formatting import format_size

        super().__init__(
            f"not enough space: need {format_size(need)}, free {format_size(free)}. "
            "Free some disk space (or move the models folder), then resume the download."
        )
        self.need = need
        self.free = free


class Interrupted(Exception):
    """The user (or shutdown) asked the job to stop; `reason` is the state it goes to."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
