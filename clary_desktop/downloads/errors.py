"""Why a transfer stopped. Each class says what the engine does next."""

from __future__ import annotations

from clary_desktop.errors import DownloadFailed

__all__ = ["DownloadFailed", "Interrupted", "RetryableError"]


class RetryableError(Exception):
    """A temporary failure (reset, truncation, 5xx, 429, stall): try again after a pause.

    `retry_after` is the server's Retry-After in seconds, when it sent one.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Interrupted(Exception):
    """The user (or shutdown) asked the job to stop; `reason` is the state it goes to."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
