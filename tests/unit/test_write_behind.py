"""The disk starts writing a download's bytes every STEP of a contiguous run."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from clary_desktop.downloads import write_behind
from clary_desktop.downloads.write_behind import (
    SYNC_FILE_RANGE_WRITE,
    WriteBehind,
    sync_file_range,
)

MIB = 2**20


def test_every_step_of_a_run_is_handed_to_the_disk_and_a_jump_starts_a_new_run() -> None:
    calls: list[tuple[int, int, int, int]] = []
    out = WriteBehind(7, step=4 * MIB, start_writing=lambda *call: calls.append(call) or 0)
    for offset in range(0, 10 * MIB, MIB):  # 10 MiB in 1 MiB writes
        out.wrote(offset, MIB)
    assert calls == [
        (7, 0, 4 * MIB, SYNC_FILE_RANGE_WRITE),
        (7, 4 * MIB, 4 * MIB, SYNC_FILE_RANGE_WRITE),
    ]
    calls.clear()
    out.wrote(100 * MIB, 3 * MIB)  # another range: the 2 MiB left of the old run wait
    out.wrote(103 * MIB, 2 * MIB)
    assert calls == [(7, 100 * MIB, 5 * MIB, SYNC_FILE_RANGE_WRITE)]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="sync_file_range is Linux's")
def test_the_real_call_accepts_a_file_the_program_wrote(tmp_path: Path) -> None:
    call = sync_file_range()
    assert call is not None
    path = tmp_path / "f.part"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        os.pwrite(fd, b"x" * MIB, 0)
        assert call(fd, 0, MIB, SYNC_FILE_RANGE_WRITE) == 0
        assert call(-1, 0, MIB, SYNC_FILE_RANGE_WRITE) == -1  # a failure is only a return
        WriteBehind(fd, step=MIB).wrote(0, MIB)  # and through the class
    finally:
        os.close(fd)
    assert path.read_bytes() == b"x" * MIB


def test_the_call_is_looked_up_only_once_a_step_is_due(monkeypatch: pytest.MonkeyPatch) -> None:
    """A small file never loads ctypes: writes that stay under one step look nothing up."""
    lookups: list[str] = []
    calls: list[tuple[int, int, int, int]] = []

    def look_up() -> object:
        lookups.append("sync_file_range")
        return lambda *call: calls.append(call) or 0

    monkeypatch.setattr(write_behind, "sync_file_range", look_up)
    out = WriteBehind(7, step=4 * MIB)
    out.wrote(0, 3 * MIB)
    assert lookups == [] and calls == []
    out.wrote(3 * MIB, MIB)
    out.wrote(4 * MIB, 4 * MIB)
    assert lookups == ["sync_file_range"]  # once, then kept
    assert calls == [
        (7, 0, 4 * MIB, SYNC_FILE_RANGE_WRITE),
        (7, 4 * MIB, 4 * MIB, SYNC_FILE_RANGE_WRITE),
    ]
