"""The sha256 of a file written in ranged parts, computed in file order as it arrives.

The hasher thread follows the contiguous prefix of finished bytes (PartPlan).
Workers read into buffers of the hasher's `buffers` pool and offer each chunk before
they write it: a chunk that ends within `HASH_WINDOW_BYTES` ahead of the hashed
position is kept (a window's worth of buffers at most) and hashed from memory, so
the common case (one connection, or parts arriving nearly in order) never reads the
file back; its buffer then goes back to the pool. Chunks further ahead, past a gap
another range still has to fill, are not kept: the hasher reads those bytes back
from the file (the page cache) when the prefix reaches them. The worker writes a
kept chunk past the page cache and the others through it (disk_writer.py). The
pool holds the kept window plus one buffer per worker, so memory stays flat
whatever the file size.

A worker writing at the prefix itself (no gap before its chunk) waits while the
hasher is more than a window behind instead of having its bytes read back: when
the CPU is what limits, reading back would only cost more of it.

A restarted range (a new plan generation) makes every byte hashed so far
suspect: the hasher starts again from zero, from the file, and forgets what it
kept in memory.
"""

from __future__ import annotations

import errno
import mmap
import os
import threading
from dataclasses import dataclass

from clary_desktop.domain.layout import FileTask
from clary_desktop.downloads.buffer_pool import BufferPool
from clary_desktop.downloads.control import TransferControl
from clary_desktop.downloads.hashing import RELEASE_BYTES, release_pages
from clary_desktop.downloads.parts import PartPlan
from clary_desktop.downloads.transfer import Digests

HASH_WINDOW_BYTES = 16 * 1024 * 1024
"""Bytes kept in memory ahead of the hashed position, at most."""
READ_BUFFER_BYTES = 4 * 1024 * 1024
"""The buffer for bytes read back from the file."""
_WAIT_SLICE_SECONDS = 0.1
_BINARY = getattr(os, "O_BINARY", 0)


class PrefixHasher(threading.Thread):
    """`start()`, workers `offer(...)` what they wrote, `join()`; then `digests`
    (or `error`)."""

    def __init__(
        self, task: FileTask, plan: PartPlan, buffer_bytes: int, chunk_bytes: int, workers: int
    ) -> None:
        """Buffers of `buffer_bytes`, into which each of `workers` gathers chunks of
        `chunk_bytes` at least (more while it is the only connection)."""
        super().__init__(name="clary-download-hash", daemon=True)
        self.task = task
        self.plan = plan
        self.digests = Digests(task)
        self.error: BaseException | None = None
        self.read_back = 0
        """Bytes hashed from the file rather than from memory (for the benchmarks)."""
        self._window = HASH_WINDOW_BYTES
        self._max_kept = max(1, self._window // max(1, chunk_bytes))
        # The kept window, a buffer per worker reading, and one to spare. Memory is what
        # the chunks fill of them (anonymous pages cost nothing until written): a window
        # of kept bytes plus a chunk per worker.
        self.buffers = BufferPool(buffer_bytes, self._max_kept + max(1, workers) + 1)
        self._cond = threading.Condition()
        self._pending: dict[int, _Kept] = {}  # offset -> the kept chunk
        self._hashed = 0
        self._open = True

    # ---- workers --------------------------------------------------------------------

    def offer(self, offset: int, buffer: mmap.mmap, count: int, control: TransferControl) -> bool:
        """The first `count` bytes of `buffer` (from `buffers`) are to be written at
        `offset` and counted done in the plan after that. True when they are kept for
        hashing (never read back from the file): the hasher gives `buffer` back to the
        pool; False: the caller does."""
        generation = self.plan.generation
        end = offset + count
        while True:
            at_prefix = self.plan.prefix() >= offset  # no gap before it: the hasher gets here
            with self._cond:
                if not self._open or offset < self._hashed:
                    return False
                if end - self._hashed <= self._window:
                    replaced = self._pending.pop(offset, None)  # from a restarted range
                    if replaced is not None:
                        self.buffers.give(replaced.buffer)
                    if len(self._pending) >= self._max_kept:
                        return False
                    self._pending[offset] = _Kept(buffer, count, generation)
                    return True
                if not at_prefix:
                    return False  # past a gap, too far ahead: read back from the file later
                self._cond.wait(_WAIT_SLICE_SECONDS)  # the hasher is behind: let it catch up
            control.check()

    # ---- the thread -----------------------------------------------------------------

    def run(self) -> None:
        try:
            self._follow()
        except BaseException as error:  # reported to the supervisor
            self.error = error
        finally:
            with self._cond:
                self._open = False
                self._forget()
                self._cond.notify_all()

    def _follow(self) -> None:
        size = self.plan.size
        hashed = released = 0
        generation = 0
        buffer = bytearray(min(READ_BUFFER_BYTES, max(1, size)))
        view = memoryview(buffer)
        fd = os.open(self.task.part, os.O_RDONLY | _BINARY)
        try:
            while hashed < size:
                prefix, current, closed = self.plan.wait_prefix(hashed, 1.0)
                if current != generation or prefix < hashed:
                    generation = current  # a range was restarted: hash again from zero
                    self.digests = Digests(self.task)
                    hashed = released = 0
                    with self._cond:
                        self._forget()
                        self._advance_to(0)
                while hashed < prefix:
                    kept, upto = self._from_memory(hashed, prefix, generation)
                    if kept is not None:
                        data = memoryview(kept.buffer)[: min(kept.count, prefix - hashed)]
                        self.digests.update(data)
                        self.buffers.give(kept.buffer)
                    else:
                        count = read_at(fd, view[: min(len(view), upto - hashed)], hashed)
                        if count <= 0:
                            raise OSError(errno.EIO, "the partial file is shorter than expected")
                        data = view[:count]
                        self.read_back += count
                        self.digests.update(data)
                    hashed += len(data)
                    with self._cond:
                        self._advance_to(hashed)
                    if hashed - released >= RELEASE_BYTES:
                        release_pages(fd, released, hashed - released)
                        released = hashed
                if closed and hashed < size:
                    return
        finally:
            os.close(fd)

    def _from_memory(self, hashed: int, prefix: int, generation: int) -> tuple[_Kept | None, int]:
        """The kept chunk starting at `hashed` (the caller gives its buffer back once it
        is hashed), or None and where the next kept chunk starts (read the file up to
        there)."""
        with self._cond:
            kept = self._pending.pop(hashed, None)
            if kept is not None:
                if kept.generation == generation:
                    return kept, prefix
                self.buffers.give(kept.buffer)
            upto = min((o for o in self._pending if o > hashed), default=prefix)
            return None, min(upto, prefix)

    def _advance_to(self, hashed: int) -> None:
        """Under the lock: the hashed position moved; drop what lies behind it."""
        self._hashed = hashed
        for offset in [o for o in self._pending if o < hashed]:
            self.buffers.give(self._pending.pop(offset).buffer)
        self._cond.notify_all()

    def _forget(self) -> None:
        for kept in self._pending.values():
            self.buffers.give(kept.buffer)
        self._pending.clear()


@dataclass(frozen=True)
class _Kept:
    buffer: mmap.mmap
    count: int  # the bytes of the chunk, at the start of `buffer`
    generation: int


def read_at(fd: int, view: memoryview, offset: int) -> int:
    if hasattr(os, "preadv"):
        return os.preadv(fd, [view], offset)
    os.lseek(fd, offset, os.SEEK_SET)
    data = os.read(fd, len(view))
    view[: len(data)] = data
    return len(data)
