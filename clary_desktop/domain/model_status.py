"""The status word of a model: one rule that the catalog, the window's list, filter and
detail pane, and the CLI all read, so no two of them can disagree about a model."""

from __future__ import annotations

ACTIVE_JOB_STATES = frozenset({"queued", "downloading", "paused", "verifying"})
"""Download states that still hold the model: they outrank what is on disk."""


def status_word(
    *,
    locked: bool,
    job_state: str | None,
    installed_version: str | None,
    update_available: bool,
) -> str:
    """locked > an active download (its own state word) > update available > installed
    > not installed. A finished or failed job says nothing about the model."""
    if locked:
        return "locked"
    if job_state in ACTIVE_JOB_STATES:
        return job_state
    if installed_version is not None:
        return "update available" if update_available else "installed"
    return "not installed"
