"""The sha256 of a file written in ranged parts, computed in file order as it arrives.

The hasher thread follows the contiguous prefix of finished bytes (PartPlan).
Workers offer each chunk they have just written: a chunk that starts within
`window_bytes` ahead of the hashed position is kept in memory and hashed from
there, so the common case (one connection, or parts arriving nearly in order)
never reads the file back. Chunks further ahead, past a gap another range still
has to fill, are not kept: the hasher reads those bytes back from the file (the
page cache) when the prefix reaches them. Memory stays at most `window_bytes`
plus one read buffer, whatever the file size.

A worker writing at the prefix itself (no gap before its chunk) waits while the
hasher is more than a window behind instead of having its bytes read back: when
the CPU is what limits, reading back would only cost more of it.

A restarted range (a new plan generation) makes every byte hashed so far
suspect: the hasher starts again from zero, from the file, and forgets what it
kept in memory.
"""

from __future__ import annotations

import errno
import os
import threading

from clary_desktop.domain.layout import FileTask
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
        self, task: FileTask, plan: PartPlan, window_bytes: int = HASH_WINDOW_BYTES
    ) -> None:
        super().__init__(name="clary-download-hash", daemon=True)
        self.task = task
        self.plan = plan
        self.digests = Digests(task)
        self.error: BaseException | None = None
        self.read_back = 0
        """Bytes hashed from the file rather than from memory (for the benchmarks)."""
        self._window = window_bytes
        self._cond = threading.Condition()
        self._pending: dict[int, tuple[bytes, int]] = {}  # offset -> (chunk, generation)
        self._pending_bytes = 0
        self._hashed = 0
        self._open = True

    # ---- workers --------------------------------------------------------------------

    def offer(self, offset: int, chunk: bytes, control: TransferControl) -> None:
        """`chunk` was just written at `offset` (and is not yet counted done in the
        plan). Keep it for hashing when it is near the hashed position."""
        generation = self.plan.generation
        end = offset + len(chunk)
        while True:
            at_prefix = self.plan.prefix() >= offset  # no gap before it: the hasher gets here
            with self._cond:
                if not self._open or offset < self._hashed:
                    return
                if end - self._hashed <= self._window:
                    if self._pending_bytes + len(chunk) <= self._window:
                        self._pending[offset] = (chunk, generation)
                        self._pending_bytes += len(chunk)
                    return
                if not at_prefix:
                    return  # past a gap, too far ahead: read back from the file later
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
                    data, upto = self._from_memory(hashed, prefix, generation)
                    if data is None:
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

    def _from_memory(
        self, hashed: int, prefix: int, generation: int
    ) -> tuple[memoryview | None, int]:
        """The kept bytes starting at `hashed`, or None and where the next kept chunk
        starts (read the file up to there)."""
        with self._cond:
            entry = self._pending.pop(hashed, None)
            if entry is not None:
                self._pending_bytes -= len(entry[0])
                if entry[1] == generation:
                    return memoryview(entry[0])[: prefix - hashed], prefix
            upto = min((o for o in self._pending if o > hashed), default=prefix)
            return None, min(upto, prefix)

    def _advance_to(self, hashed: int) -> None:
        """Under the lock: the hashed position moved; drop what lies behind it."""
        self._hashed = hashed
        for offset in [o for o, (c, _) in self._pending.items() if o < hashed]:
            chunk, _ = self._pending.pop(offset)
            self._pending_bytes -= len(chunk)
        self._cond.notify_all()

    def _forget(self) -> None:
        self._pending.clear()
        self._pending_bytes = 0


def read_at(fd: int, view: memoryview, offset: int) -> int:
    if hasattr(os, "preadv"):
        return os.preadv(fd, [view], offset)
    os.lseek(fd, offset, os.SEEK_SET)
    data = os.read(fd, len(view))
    view[: len(data)] = data
    return len(data)
