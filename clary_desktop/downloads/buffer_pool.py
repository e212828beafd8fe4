"""Read buffers made once and used again (see body_reader.py for why).

A buffer goes from `take` to a read, the write to the file, and the hasher, which
gives it back once the bytes are hashed (or at once, when it does not keep them).
At most `capacity` buffers are ever made: the hasher keeps fewer than that, so a
reader that finds none free only waits for the hasher to finish one. Buffers start on a
page boundary, so they can be written past the page cache (disk_writer.py).
"""

from __future__ import annotations

import mmap
import threading

from clary_desktop.downloads.control import TransferControl
from clary_desktop.downloads.disk_writer import aligned_buffer

_WAIT_SLICE_SECONDS = 0.1


class BufferPool:
    def __init__(self, buffer_bytes: int, capacity: int) -> None:
        self.buffer_bytes = max(1, buffer_bytes)
        self.capacity = max(1, capacity)
        self.made = 0
        """Buffers made so far (for the tests: never more than `capacity`)."""
        self._free: list[mmap.mmap] = []
        self._cond = threading.Condition()

    @property
    def free(self) -> int:
        """Buffers made and given back, ready for the next read."""
        with self._cond:
            return len(self._free)

    def take(self, control: TransferControl) -> mmap.mmap:
        """A free buffer; waits (checking `control`) while every one is in use."""
        while True:
            with self._cond:
                if self._free:
                    return self._free.pop()
                if self.made < self.capacity:
                    self.made += 1
                    return aligned_buffer(self.buffer_bytes)
                self._cond.wait(_WAIT_SLICE_SECONDS)
            control.check()

    def give(self, buffer: mmap.mmap) -> None:
        with self._cond:
            self._free.append(buffer)
            self._cond.notify()
