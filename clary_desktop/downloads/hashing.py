"""Hashing beside the transfer, and letting go of bytes once they are hashed.

`BackgroundHasher`: chunks go to a thread of their own, so sha256 runs on one core
while the next chunk is received and written on the other (hashlib releases the GIL
on large buffers). The queue is bounded and the chunks' buffers are used again, so
memory stays flat.

`release_pages`: bytes already hashed are never read again, so write-back can start
at once; the final fsync then has little left to wait for.
"""

from __future__ import annotations

import mmap
import os
import queue
import threading
from types import TracebackType
from typing import Protocol

from clary_desktop.downloads.buffer_pool import BufferPool

#: How many written and hashed bytes are handed to write-back at a time.
RELEASE_BYTES = 32 * 1024 * 1024


def release_pages(fd: int, offset: int, length: int) -> None:
    """Hashed bytes are not read again: start writing them to the disk now (Linux starts
    asynchronous write-back for dirty pages on this advice) and let the cache drop them,
    so the final fsync has little left to wait for and big files do not crowd the cache."""
    if hasattr(os, "posix_fadvise"):
        os.posix_fadvise(fd, offset, length, os.POSIX_FADV_DONTNEED)


class Updatable(Protocol):
    def update(self, data: bytes | memoryview) -> None: ...


QUEUE_BYTES = 16 * 1024 * 1024
"""Bytes read but not yet hashed, at most (about): what the reader may run ahead."""


class BackgroundHasher:
    """`with BackgroundHasher(digests, buffer_bytes) as hasher:` read into
    `hasher.buffers.take(control)`, then `hasher.update(buffer, count)`; the buffer goes
    back to `hasher.buffers` once hashed. When the block ends every chunk has been
    hashed (also after an error)."""

    def __init__(self, digests: Updatable, buffer_bytes: int) -> None:
        self._digests = digests
        # Up to QUEUE_BYTES waiting (16 buffers at most): the reader stops when it is that
        # far ahead of the hasher.
        max_pending = max(2, min(16, QUEUE_BYTES // max(1, buffer_bytes)))
        self._queue: queue.Queue[tuple[mmap.mmap, int] | None] = queue.Queue(max_pending)
        # The queue, the one being hashed and the one being read.
        self.buffers = BufferPool(buffer_bytes, max_pending + 2)
        self._thread = threading.Thread(target=self._run, name="clary-hash", daemon=True)

    def __enter__(self) -> BackgroundHasher:
        self._thread.start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _error: BaseException | None,
        _trace: TracebackType | None,
    ) -> None:
        self._queue.put(None)
        self._thread.join()

    def update(self, buffer: mmap.mmap, count: int) -> None:
        """Hash the first `count` bytes of `buffer` (taken from `buffers`)."""
        self._queue.put((buffer, count))

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            buffer, count = item
            self._digests.update(memoryview(buffer)[:count])
            self.buffers.give(buffer)
