"""Have the disk write a download's buffered bytes while the download goes on.

(Whole blocks hashed from memory skip the page cache altogether: disk_writer.py.)

Linux keeps written data in memory until its writeback timer or its dirty-memory limits
fire (after many seconds, or gigabytes); the fsync at the end of a download then waits
for all of it, after the last byte arrived. `sync_file_range(SYNC_FILE_RANGE_WRITE)`
starts the writing of a range without waiting for it, so the disk works alongside the
network and the final fsync finds little left to do. It is a hint: it makes nothing
durable (the fsyncs do that) and a failure is ignored. Other systems have no such call;
there it does nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import cache

STEP_BYTES = 32 * 2**20
"""How much a descriptor writes before its disk writing is started."""
SYNC_FILE_RANGE_WRITE = 2  # linux/fs.h


@cache
def sync_file_range() -> Callable[[int, int, int, int], int] | None:
    """libc's sync_file_range on Linux, else None."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes  # only downloads need it

    try:
        function = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


class WriteBehind:
    """Follows what one descriptor writes and starts the disk writing of every
    `step` bytes of a contiguous run (a jump to another offset starts a new run)."""

    def __init__(
        self,
        fd: int,
        step: int = STEP_BYTES,
        start_writing: Callable[[int, int, int, int], int] | None = None,
    ) -> None:
        """`start_writing(fd, offset, length, flags)`: sync_file_range by default, looked
        up when the first step is due (a small file never needs it, nor ctypes)."""
        self.fd = fd
        self.step = step
        self._start = self._end = -1
        self._call = start_writing

    def wrote(self, offset: int, count: int) -> None:
        if offset != self._end:
            self._start = offset
        self._end = offset + count
        if self._end - self._start >= self.step:
            call = self._call = self._call or sync_file_range()
            if call is not None:
                # ctypes lets go of the GIL for the call; it may wait for a busy disk queue.
                call(self.fd, self._start, self._end - self._start, SYNC_FILE_RANGE_WRITE)
            self._start = self._end
