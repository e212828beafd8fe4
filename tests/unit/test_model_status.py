"""The status word has one owner (`domain.model_status`); the fronts decorate its answer."""

import pytest

from clary_desktop.domain.model_status import status_word
from clary_desktop.domain.model_views import ModelRow
from clary_desktop.gui.models.filtering import row_status

# locked, job state, installed version, update available -> word
CASES = [
    (True, None, None, False, "locked"),
    (True, "downloading", "1.0", True, "locked"),
    (False, "queued", None, False, "queued"),
    (False, "downloading", "1.0", True, "downloading"),
    (False, "paused", "1.0", False, "paused"),
    (False, "verifying", None, False, "verifying"),
    (False, "failed", "1.0", True, "update available"),
    (False, "completed", "1.0", False, "installed"),
    (False, None, "1.0", True, "update available"),
    (False, None, "1.0", False, "installed"),
    (False, "failed", None, False, "failed"),
    (False, "cancelled", None, False, "not installed"),
    (False, None, None, False, "not installed"),
]


@pytest.mark.parametrize(("locked", "job", "installed", "update", "word"), CASES)
def test_status_word_order(
    locked: bool, job: str | None, installed: str | None, update: bool, word: str
) -> None:
    assert (
        status_word(
            locked=locked, job_state=job, installed_version=installed, update_available=update
        )
        == word
    )


def test_a_cancelled_download_with_its_partial_kept_says_so() -> None:
    def word(job: str | None, installed: str | None = None) -> str:
        return status_word(
            locked=False,
            job_state=job,
            installed_version=installed,
            update_available=False,
            partial_kept=True,
        )

    assert word("cancelled") == "partly downloaded"
    assert word("failed") == "failed"  # the failure is the news; its partial waits for Retry
    assert word("cancelled", "1.0") == "installed"
    assert word("paused") == "paused"
    assert (
        status_word(
            locked=False, job_state="cancelled", installed_version=None, update_available=False
        )
        == "not installed"
    )


def _row(installed: str | None, update: bool, unverified: bool = False) -> ModelRow:
    return ModelRow(
        id="m",
        name="M",
        type="llm",
        version="2.0",
        size_bytes=1,
        tier="lite",
        tags=(),
        search_text="m",
        installed_version=installed,
        installed_path=None,
        update_available=update,
        unverified=unverified,
    )


@pytest.mark.parametrize(("locked", "job", "installed", "update", "word"), CASES)
def test_the_window_list_reads_the_same_word(
    locked: bool, job: str | None, installed: str | None, update: bool, word: str
) -> None:
    assert row_status(_row(installed, update), locked, job) == word


def test_the_window_list_adds_only_unverified() -> None:
    assert row_status(_row("1.0", False, unverified=True), False, None) == "installed, unverified"
    assert row_status(_row("1.0", True, unverified=True), False, None) == "update available"
