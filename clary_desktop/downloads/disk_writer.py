"""How a download's bytes reach its `.part` file: past the page cache where they can.

A buffered write copies every byte into the page cache and leaves it dirty there: the
copy costs CPU (on a virtual machine most of a second per GiB when the host must back
the fresh pages first), the final fsync waits for whatever is still dirty, and a
many-gigabyte model pushes the rest of the user's working set out of memory. On Linux,
a connection's bytes that are hashed from memory (they are never read back from the
file) are written with O_DIRECT instead: straight from the read buffer to the disk.

O_DIRECT asks for whole blocks: the offset, the length and the buffer's address must
be multiples of the block size. So each connection gathers its reads into a whole
page-aligned buffer from the pool (the first buffer of a range that starts between
blocks gathers up to the next block boundary only) and writes it with one call. What
is not whole blocks (the end of a range or of the file, bytes gathered before a stall),
what the hasher will read back, and every write on a system or file system without
O_DIRECT go through the page cache as before, their disk writing started early
(write_behind.py). A file system that refuses O_DIRECT at the first write is written
through the page cache from then on.
"""

from __future__ import annotations

import errno
import logging
import mmap
import os
from pathlib import Path

from clary_desktop.downloads.write_behind import WriteBehind

log = logging.getLogger(__name__)

BLOCK_BYTES = 4096
"""The alignment O_DIRECT writes keep to: a page, a multiple of every common disk's
logical block (512 or 4096 bytes)."""
_DIRECT = getattr(os, "O_DIRECT", 0)  # Linux (and a few others); 0: not offered
_BINARY = getattr(os, "O_BINARY", 0)


def aligned_buffer(size: int) -> mmap.mmap:
    """`size` bytes of writable memory starting on a page boundary (anonymous memory
    is mapped in whole pages), as O_DIRECT needs."""
    return mmap.mmap(-1, max(1, size))


class DiskWriter:
    """One thread's descriptors on a `.part` file: `write(view, offset, direct)`.
    `direct_bytes` and `buffered_bytes` count what went which way."""

    def __init__(self, path: Path, allow_direct: bool = True) -> None:
        self.path = path
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | _BINARY, 0o644)
        self._behind = WriteBehind(self.fd)
        self._direct_fd: int | None = None
        if allow_direct and _DIRECT:
            try:
                self._direct_fd = os.open(path, os.O_WRONLY | _DIRECT)
            except OSError as error:  # a file system without it (EINVAL), among others
                log.info("%s: writing through the page cache (%s)", path.name, error)
        self.direct_bytes = 0
        self.buffered_bytes = 0

    @property
    def direct(self) -> bool:
        """True while whole blocks can be written past the page cache."""
        return self._direct_fd is not None

    def gather_bytes(self, offset: int, buffer_bytes: int) -> int:
        """How many bytes a buffer of `buffer_bytes` starting at `offset` should gather
        so the next one starts on a block boundary (all of it once `offset` is on one)."""
        if not self.direct or buffer_bytes <= BLOCK_BYTES:
            return buffer_bytes
        return buffer_bytes - offset % BLOCK_BYTES

    def write(self, view: memoryview, offset: int, direct: bool) -> None:
        """Write all of `view` at `offset`. `direct`: its bytes are not read back from
        the file, and `view` starts a buffer from `aligned_buffer`; they then go past
        the page cache when they are whole blocks at a block boundary."""
        if (
            direct
            and self._direct_fd is not None
            and offset % BLOCK_BYTES == 0
            and len(view) % BLOCK_BYTES == 0
        ):
            try:
                written = os.pwrite(self._direct_fd, view, offset)
            except OSError as error:
                if error.errno != errno.EINVAL:
                    raise
                self._stop_direct(error)
            else:
                self.direct_bytes += written
                view, offset = view[written:], offset + written
        if view:
            _write_all_at(self.fd, view, offset)
            self._behind.wrote(offset, len(view))
            self.buffered_bytes += len(view)

    def close(self) -> None:
        self._close_direct()
        os.close(self.fd)

    def _stop_direct(self, error: OSError) -> None:
        log.info(
            "%s: the file system refused a direct write (%s); writing through the page cache",
            self.path.name,
            error,
        )
        self._close_direct()

    def _close_direct(self) -> None:
        if self._direct_fd is not None:
            os.close(self._direct_fd)
            self._direct_fd = None

    def __enter__(self) -> DiskWriter:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _write_all_at(fd: int, view: memoryview, offset: int) -> None:
    """Write all of `view` at `offset` (this thread's own descriptor)."""
    while view:
        if hasattr(os, "pwrite"):
            written = os.pwrite(fd, view, offset)
        else:  # Windows: each thread has its own descriptor, so seek + write is safe
            os.lseek(fd, offset, os.SEEK_SET)
            written = os.write(fd, view)
        view = view[written:]
        offset += written
