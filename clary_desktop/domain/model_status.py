"""The status word of a model: one rule that the catalog, the window's list, filter and
detail pane, and the CLI all read, so no two of them can disagree about a model."""

from __future__ import annotations

ACTIVE_JOB_STATES = frozenset({"queued", "downloading", "paused", "verifying"})
"""Download states that still hold the model: they outrank what is on disk."""

FAILED = "failed"
PARTIAL_KEPT = "partly downloaded"
"""A cancelled download whose partial files were kept: a later download continues them."""


def status_word(
    *,
    locked: bool,
    job_state: str | None,
    installed_version: str | None,
    update_available: bool,
    partial_kept: bool = False,
) -> str:
    """locked > an active download (its own state word) > update available > installed
    > a failed download > a cancelled one whose partial files were kept > not installed.
    A finished job says nothing about an installed model: it keeps its own word."""
    if locked:
        return "locked"
    if job_state in ACTIVE_JOB_STATES:
        return job_state
    if installed_version is not None:
        return "update available" if update_available else "installed"
    if job_state == FAILED:
        return FAILED
    if job_state == "cancelled" and partial_kept:
        return PARTIAL_KEPT
    return "not installed"
