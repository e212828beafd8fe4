"""Small pieces of the transfer: back-off, Retry-After, sidecars, unsafe paths."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from clary_desktop.domain.layout import CatalogFile, FileTask, VersionSpec, target_path
from clary_desktop.downloads.errors import DownloadFailed, RetryableError
from clary_desktop.downloads.partial import Sidecar, read_sidecar, write_sidecar
from clary_desktop.downloads.transfer import (
    Retries,
    TransferOptions,
    retry_after_seconds,
    retry_delay,
)


def test_backoff_doubles_and_is_capped():
    options = TransferOptions(backoff_seconds=1, backoff_max_seconds=5)
    delays = [retry_delay(RetryableError("x"), n, options) for n in range(1, 6)]
    assert delays == [1, 2, 4, 5, 5]
    assert retry_delay(RetryableError("x", retry_after=30), 1, options) == 30


@pytest.mark.parametrize(
    ("outcomes", "delays"),
    [
        # "f": a failure with no progress, "p": a failure after some bytes came in.
        ("fff", [1, 2, 4]),
        ("ffff", [1, 2, 4, None]),  # a fourth failure in a row: give up
        ("fffpff", [1, 2, 4, 1, 2, 4]),  # progress starts the count again
        ("ppppp", [1, 1, 1, 1, 1]),  # a slow server that keeps sending is never given up on
        ("pffff", [1, 2, 4, None, None]),
    ],
)
def test_retries_count_failures_in_a_row(outcomes: str, delays: list[float | None]) -> None:
    retries = Retries(TransferOptions(max_retries=3, backoff_seconds=1, backoff_max_seconds=60))
    got = [retries.delay_after(RetryableError("x"), progressed=o == "p") for o in outcomes]
    assert got == delays


def test_retries_honour_retry_after_within_the_budget() -> None:
    retries = Retries(TransferOptions(max_retries=1, retry_after_max_seconds=10))
    assert retries.delay_after(RetryableError("x", retry_after=30)) == 10
    assert retries.delay_after(RetryableError("x", retry_after=30)) is None
    assert retries.failures == 2


def test_retry_after_number_and_date():
    assert retry_after_seconds(SimpleNamespace(headers={"Retry-After": "7"})) == 7
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
    assert 30 < retry_after_seconds(SimpleNamespace(headers={"Retry-After": when})) <= 60
    assert retry_after_seconds(SimpleNamespace(headers={"Retry-After": "soon"})) is None
    assert retry_after_seconds(SimpleNamespace(headers={})) is None


def test_sidecar_round_trip_and_match(tmp_path: Path):
    task = FileTask("a.bin", tmp_path / "a.bin", "http://127.0.0.1/a", 10, "0" * 64)
    write_sidecar(task.sidecar, Sidecar.for_task(task))
    loaded = read_sidecar(task.sidecar)
    assert loaded is not None and loaded.matches(task)
    other = FileTask("a.bin", tmp_path / "a.bin", "http://127.0.0.1/b", 10, "0" * 64)
    assert not loaded.matches(other)
    task.sidecar.write_text("{torn")
    assert read_sidecar(task.sidecar) is None


@pytest.mark.parametrize("bad", ["../x", "/etc/passwd", "a/../../x", "C:/x", "a\\b", "CON"])
def test_unsafe_catalog_paths_are_refused(tmp_path: Path, bad: str):
    spec = VersionSpec("m", "llm", "1.0", None, None, None, (CatalogFile(bad, 1, None, None),))
    with pytest.raises(DownloadFailed):
        target_path(tmp_path, spec, bad)
    assert list(tmp_path.iterdir()) == []
