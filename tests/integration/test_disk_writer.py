"""DiskWriter on real files: whole blocks past the page cache, everything else through
it, and a file system that refuses direct writes costs nothing but the speed-up."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from clary_desktop.downloads.disk_writer import BLOCK_BYTES, DiskWriter, aligned_buffer
from tests.support.download_env import require_direct_writes
from tests.support.fault_server import random_bytes

MiB = 1024 * 1024


@pytest.fixture
def part(tmp_path: Path) -> Path:
    return tmp_path / "m.gguf.part"


@pytest.fixture
def direct_folder(tmp_path: Path) -> Path:
    require_direct_writes(tmp_path)
    return tmp_path


def filled(data: bytes):
    buffer = aligned_buffer(len(data))
    buffer[:] = data
    return memoryview(buffer)


def test_whole_blocks_at_a_block_boundary_go_past_the_page_cache(direct_folder, part):
    data = random_bytes(MiB, seed=1)
    with DiskWriter(part) as writer:
        assert writer.direct
        writer.write(filled(data), 2 * MiB, direct=True)
        assert (writer.direct_bytes, writer.buffered_bytes) == (MiB, 0)
    assert part.read_bytes() == bytes(2 * MiB) + data


@pytest.mark.parametrize(
    ("offset", "length", "direct"),
    [
        (BLOCK_BYTES, 2 * BLOCK_BYTES + 1, True),  # not whole blocks (a range's end)
        (123, 2 * BLOCK_BYTES, True),  # not at a block boundary
        (0, 4 * BLOCK_BYTES, False),  # bytes the hasher reads back from the file
    ],
)
def test_everything_else_goes_through_the_page_cache(direct_folder, part, offset, length, direct):
    data = random_bytes(length, seed=2)
    with DiskWriter(part) as writer:
        writer.write(filled(data), offset, direct=direct)
        assert (writer.direct_bytes, writer.buffered_bytes) == (0, length)
    assert part.read_bytes() == bytes(offset) + data


def fail_direct_writes(monkeypatch, writer: DiskWriter, code: int) -> None:
    """From now on `writer`'s direct descriptor fails every write with `code`."""
    real_pwrite = os.pwrite
    failing = writer._direct_fd

    def pwrite(fd: int, data: memoryview, offset: int) -> int:
        if fd == failing:
            raise OSError(code, os.strerror(code))
        return real_pwrite(fd, data, offset)

    monkeypatch.setattr(os, "pwrite", pwrite)


def test_a_refused_direct_write_is_written_through_the_page_cache(direct_folder, part, monkeypatch):
    """Some file systems open with O_DIRECT but refuse the write (EINVAL): the bytes
    are written the normal way, and so is everything after them."""
    first, second = random_bytes(MiB, seed=3), random_bytes(MiB, seed=4)
    with DiskWriter(part) as writer:
        fail_direct_writes(monkeypatch, writer, errno.EINVAL)
        writer.write(filled(first), 0, direct=True)
        assert not writer.direct
        writer.write(filled(second), MiB, direct=True)
        assert (writer.direct_bytes, writer.buffered_bytes) == (0, 2 * MiB)
    assert part.read_bytes() == first + second


def test_other_direct_write_failures_are_raised(direct_folder, part, monkeypatch):
    """A full disk is not a refusal: it reaches the caller (which pauses the download)."""
    with DiskWriter(part) as writer:
        fail_direct_writes(monkeypatch, writer, errno.ENOSPC)
        with pytest.raises(OSError) as raised:
            writer.write(filled(bytes(BLOCK_BYTES)), 0, direct=True)
        assert raised.value.errno == errno.ENOSPC and writer.direct


def test_a_buffer_gathers_up_to_the_next_block_boundary(direct_folder, part):
    with DiskWriter(part) as writer:
        assert writer.gather_bytes(3 * BLOCK_BYTES, MiB) == MiB
        assert writer.gather_bytes(3 * BLOCK_BYTES + 100, MiB) == MiB - 100
    with DiskWriter(part, allow_direct=False) as writer:  # nothing to align to
        assert not writer.direct
        assert writer.gather_bytes(3 * BLOCK_BYTES + 100, MiB) == MiB


def test_the_buffers_start_on_a_page():
    """What O_DIRECT needs of the memory (here, whatever the file system)."""
    import ctypes

    for size in (1, BLOCK_BYTES, MiB + 3):
        buffer = aligned_buffer(size)
        address = ctypes.addressof(ctypes.c_char.from_buffer(buffer))
        assert address % BLOCK_BYTES == 0 and len(buffer) == size
        del address
        buffer.close()
