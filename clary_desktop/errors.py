"""Errors a user may see. Their message says what happened and what to do."""


class ClaryError(Exception):
    """Base of every error the fronts show to the user as one plain line."""


class NotFoundError(ClaryError):
    """An id (model, version, job) that the catalog does not hold."""


class AccessDeniedError(ClaryError):
    """The user's tier does not allow the model."""


class InvalidManifestError(ClaryError):
    """A catalog manifest that cannot be imported; names the entry and field."""


class DatabaseError(ClaryError):
    """The catalog database cannot be opened, read or written."""


class DownloadFailed(ClaryError):
    """A failure retrying cannot fix (401/403/404, gated repo, bad catalog entry,
    checksum mismatch). The message is the sentence the user sees."""

    def __init__(
        self, message: str, expected_sha256: str | None = None, actual_sha256: str | None = None
    ) -> None:
        super().__init__(message)
        self.expected_sha256 = expected_sha256
        self.actual_sha256 = actual_sha256
