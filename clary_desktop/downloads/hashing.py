"""Hashing beside the transfer, and letting go of bytes once they are hashed.

`BackgroundHasher`: chunks go to a thread of their own, so sha256 runs on one core
while the next chunk is received and written on the other (hashlib releases the GIL
on large buffers). The queue is bounded, so memory stays flat.

`release_pages`: bytes already hashed are never read again, so write-back can start
at once; the final fsync then has little left to wait for.
"""

from __future__ import annotations

import os
import queue
import threading
from types import TracebackType
from typing import Protocol

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


class BackgroundHasher:
    """`with BackgroundHasher(digests) as hasher: hasher.update(chunk)`; when the
    block ends every chunk has been hashed (also after an error)."""

    def __init__(self, digests: Updatable, max_pending: int = 16) -> None:
        self._digests = digests
        self._queue: queue.Queue[bytes | None] = queue.Queue(max_pending)
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

    def update(self, chunk: bytes) -> None:
        self._queue.put(chunk)

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not None:
            self._digests.update(chunk)
