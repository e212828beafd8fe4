"""The ranged-part plan of one file: which byte ranges exist, which are done.

Ranges are handed out in file order as workers ask for them, not cut into N
equal slices up front. That keeps the completed bytes nearly contiguous, so the
hasher (which must read the file in order) follows close behind the workers;
and the ranges shrink as the unassigned rest shrinks (rest / workers, down to
`min_bytes`), so when the last byte arrives only a few small ranges are left
to hash, and no worker is left alone with a long tail.

While `whole` is set (the probe of parallel.py: is one connection already fast
enough?) a new range is the whole unassigned rest, so a fast link is served by
one request; `split(item)` then cuts the probe's range down to its share and
hands the rest out as above.

Work stealing: a worker that asks for more (with the rate it moves at) takes the
last piece (at most 2 x `min_bytes`) of a busy range whose connection is much
slower than its own: of the one the completed prefix ends in (the hasher waits
on it) before any new range, and once every byte is handed out (the endgame) of
the one that will finish last among those it can cut. The victim keeps its
share of the rest by the two rates, so both end together; its worker stops at
the cut, and every idle worker takes a piece, so no slow connection is left
alone with a long tail. Each byte is written once: a worker `claim`s the bytes
it has just received before writing them, a cut never falls below a claim, and
what a read brought past the cut is dropped (the thief fetches it).

Each range is `[start, end, done]` (end exclusive, `done` bytes written from
`start`); the list covers `[0, carved)` without gaps, and `[carved, size)` is
not assigned yet. That list is what the sidecar stores, so each range resumes
on its own after a retry or a restart.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from clary_desktop.downloads.disk_writer import BLOCK_BYTES

STEAL_FACTOR = 2.0
"""A busy range is stolen from only when the asker moved at least this many times
faster than it (equal connections finish together anyway; a cut costs a request)."""
STEAL_AFTER_SECONDS = 0.5
"""A range's rate is trusted once it has been fetched for this long."""


@dataclass
class Range:
    start: int
    end: int
    done: int = 0
    busy: bool = False
    # When the current worker took it, and how much was done then: its rate.
    began: float = field(default=0.0, compare=False)
    base: int = field(default=0, compare=False)
    claimed: int = field(default=0, compare=False)
    """Bytes past `offset` the current worker is writing now (see claim)."""

    @property
    def offset(self) -> int:
        """The next byte to fetch."""
        return self.start + self.done

    @property
    def finished(self) -> bool:
        return self.offset >= self.end


class PartPlan:
    """Thread-safe bookkeeping shared by the workers, the hasher and the supervisor."""

    def __init__(
        self,
        size: int,
        ranges: list[Range],
        workers: int,
        min_bytes: int,
        max_bytes: int,
        whole: bool = False,
    ) -> None:
        self.size = size
        self.whole = whole
        """Hand out the whole unassigned rest as one range (one stream, or the probe)."""
        self.workers = max(1, workers)
        self.min_bytes = max(1, min_bytes)
        self.max_bytes = max(self.min_bytes, max_bytes)
        self._steal_min = max(1, self.min_bytes // 4)  # the least a steal hands over
        self._ranges = ranges
        self._carved = ranges[-1].end if ranges else 0
        self._open_from = 0  # no range before this index is unfinished (see _prefix)
        self._generation = 0
        self._closed = False
        lock = threading.RLock()
        self._changed = threading.Condition(lock)  # every advance: the hasher
        self._released = threading.Condition(lock)  # a range let go: idle workers

    @classmethod
    def fresh(
        cls,
        size: int,
        workers: int,
        min_bytes: int,
        max_bytes: int,
        done_prefix: int = 0,
        whole: bool = False,
    ) -> PartPlan:
        """A new plan; `done_prefix` bytes already on disk (a single-stream partial)."""
        ranges = [Range(0, done_prefix, done_prefix)] if 0 < done_prefix <= size else []
        plan = cls(size, ranges, workers, min_bytes, max_bytes, whole)
        if not ranges and size > 0:
            # Carve the first range now: a saved plan is never empty, so an empty
            # `ranges` in a sidecar always means a single-stream partial.
            first = plan.take()
            assert first is not None
            plan.release(first)
        return plan

    @classmethod
    def restore(
        cls,
        size: int,
        saved: list[list[int]],
        workers: int,
        min_bytes: int,
        max_bytes: int,
        whole: bool = False,
    ) -> PartPlan | None:
        """The plan a sidecar recorded, or None when it does not describe this file."""
        ranges: list[Range] = []
        position = 0
        try:
            for start, end, done in saved:
                if start != position or not start < end <= size or not 0 <= done <= end - start:
                    return None
                ranges.append(Range(int(start), int(end), int(done)))
                position = end
        except (TypeError, ValueError):
            return None
        return cls(size, ranges, workers, min_bytes, max_bytes, whole)

    # ---- workers --------------------------------------------------------------------

    def take(self, rate: float = 0.0) -> Range | None:
        """The next range for a worker that moved `rate` bytes per second lately (0 while
        not known): an unfinished idle range first; else the tail of a much slower range
        the completed prefix waits on (the hasher cannot pass it); else a new range;
        else, with every byte handed out, the tail of the range that will end last."""
        with self._changed:
            item = self._idle()
            if item is None and rate > 0:
                item = self._steal(rate, blocking_only=True)
            if item is None:
                item = self._carve()
            if item is None and rate > 0:
                item = self._steal(rate)
            if item is not None:
                item.busy = True
                item.began, item.base = time.monotonic(), item.done
            return item

    def _idle(self) -> Range | None:
        for index, item in enumerate(self._ranges):
            if not item.busy and not item.finished:
                if not self.whole and item.end - item.offset > self.max_bytes:
                    self._trim(index)  # e.g. a probe's whole-file range, after a restart
                return item
        return None

    def _carve(self) -> Range | None:
        rest = self.size - self._carved
        if rest > 0 and not self._closed:
            length = rest if self.whole else self._length(rest)
            item = Range(self._carved, self._carved + length)
            self._ranges.append(item)
            self._carved = item.end
            return item
        return None

    def _steal(self, rate: float, blocking_only: bool = False) -> Range | None:
        """For a worker that moved `rate` bytes per second: the tail of the busy range
        that will end last among those that can be cut (only of the one the prefix ends
        in, if `blocking_only`), when its connection is at least STEAL_FACTOR times
        slower (None when no range qualifies)."""
        if self.whole or self._closed or rate <= 0:
            return None
        now = time.monotonic()
        first = self._first_open()
        candidates: list[tuple[float, int, float]] = []
        for index in range(first, first + 1) if blocking_only else range(len(self._ranges)):
            if index >= len(self._ranges):
                break
            item = self._ranges[index]
            left = item.end - item.offset
            own = _rate(item, now)
            if not item.busy or left - item.claimed < self._steal_min or own is None:
                continue
            if own * STEAL_FACTOR > rate:
                continue
            candidates.append((left / max(own, 1.0), index, own))
        for _seconds, index, own in sorted(candidates, reverse=True):
            thief = self._cut(index, own, rate, now)
            if thief is not None:
                return thief
        return None

    def _cut(self, index: int, own: float, rate: float, now: float) -> Range | None:
        """Cut the last piece off busy range `index` for a worker moving `rate`."""
        victim = self._ranges[index]
        left = victim.end - victim.offset
        # Its share of the rest by the two rates (both then end together), but no crumb:
        # a slow connection that gets its bytes in bursts could hold one for a second.
        share = int(left * own / (own + rate))
        keep = max(victim.claimed, share if share >= self._steal_min else 0)
        if victim.done + keep == 0:
            keep = 1  # a range is never empty (a saved plan could not hold it)
        piece = left - keep
        if piece > 2 * self.min_bytes + self._steal_min:
            # At most 2 x min_bytes, the last of it: the next idle worker takes the piece
            # before, so all of them drain a long slow tail at once.
            piece = 2 * self.min_bytes
        cut = _block_up(victim.end - piece)
        if victim.end - cut < self._steal_min:
            return None
        thief = Range(cut, victim.end, busy=True, began=now)
        self._ranges.insert(index + 1, thief)
        victim.end = cut
        return thief

    def wait_for_work(self, timeout: float) -> bool:
        """An idle worker waits here (until a range is released, or `timeout`); False
        once the plan is finished or closed: the worker can stop."""
        with self._changed:
            if self._closed or self._all_finished():
                return False
            self._released.wait(timeout)
            return not (self._closed or self._all_finished())

    def split(self, item: Range) -> None:
        """The probe found the link slow (or the one connection slowed later): cut `item`
        (busy, being fetched) down to its share of what is left; from now on ranges are
        handed out in parts. Its rate is measured afresh from here: a fast start (a
        server that slows a connection after a first stretch) must not hide how slow it
        is now from the workers that would take its tail."""
        with self._changed:
            self.whole = False
            item.began, item.base = time.monotonic(), item.done
            self._trim(self._ranges.index(item))

    def _length(self, rest: int) -> int:
        length = min(rest, self.max_bytes, max(self.min_bytes, -(-rest // self.workers)))
        if rest - length < self.min_bytes:
            length = rest  # no crumb of a range at the end
        return min(rest, _block_up(length))

    def _trim(self, index: int) -> None:
        """Shorten range `index` to a share of its rest; the cut-off bytes become
        unassigned again (the last range) or a new idle range right after it."""
        item = self._ranges[index]
        rest = item.end - item.offset
        length = self._length(rest)
        if length >= rest:
            return
        cut = _block_up(item.offset + max(length, item.claimed))
        if cut >= item.end:
            return
        if index == len(self._ranges) - 1:
            self._carved = cut
        else:
            self._ranges.insert(index + 1, Range(cut, item.end))
        item.end = cut

    def claim(self, item: Range, count: int) -> int:
        """The worker of `item` received `count` bytes at its offset: how many of them
        are its own to write (a steal may have cut the range meanwhile). No cut falls
        below them until `advance`."""
        with self._changed:
            item.claimed = max(0, min(count, item.end - item.offset))
            return item.claimed

    def advance(self, item: Range, count: int) -> None:
        """`count` more bytes of `item` are written at their offset."""
        with self._changed:
            item.done += count
            item.claimed = 0
            self._changed.notify_all()

    def restart(self, item: Range) -> None:
        """Throw away what `item` holds (its bytes are no longer trusted)."""
        with self._changed:
            item.done = 0
            item.base = 0
            self._open_from = 0
            self._generation += 1
            self._changed.notify_all()

    def release(self, item: Range) -> None:
        with self._changed:
            item.busy = False
            self._released.notify_all()

    def close(self) -> None:
        """Wake and stop every waiter (the attempt is over)."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
            self._released.notify_all()

    # ---- readers --------------------------------------------------------------------

    @property
    def finished(self) -> bool:
        with self._changed:
            return self._all_finished()

    def _all_finished(self) -> bool:
        return self._carved >= self.size and all(r.finished for r in self._ranges)

    def done_bytes(self) -> int:
        with self._changed:
            return sum(r.done for r in self._ranges)

    @property
    def generation(self) -> int:
        """Changes whenever a range is restarted (see `wait_prefix`)."""
        with self._changed:
            return self._generation

    def prefix(self) -> int:
        """Bytes from 0 that are all on disk."""
        with self._changed:
            return self._prefix()

    def _prefix(self) -> int:
        index = self._first_open()
        return self._ranges[index].offset if index < len(self._ranges) else self._carved

    def _first_open(self) -> int:
        """The index of the first unfinished range (the one the prefix ends in)."""
        # Asked after every chunk: start from the first range not known to be finished
        # (ranges are only inserted after an unfinished one; a restart starts over).
        ranges = self._ranges
        index = self._open_from
        while index < len(ranges) and ranges[index].finished:
            index += 1
        self._open_from = index
        return index

    def wait_prefix(self, beyond: int, timeout: float) -> tuple[int, int, bool]:
        """Block until the prefix passes `beyond` (or the plan closes, or `timeout`);
        returns (prefix, generation, closed). The generation changes when a range
        was restarted, after which bytes already hashed may be stale."""
        with self._changed:
            self._changed.wait_for(lambda: self._closed or self._prefix() != beyond, timeout)
            return self._prefix(), self._generation, self._closed

    def snapshot(self) -> list[list[int]]:
        """The ranges for the sidecar, with neighbouring finished ranges merged."""
        with self._changed:
            out: list[list[int]] = []
            for item in self._ranges:
                last = out[-1] if out else None
                if last is not None and last[2] == last[1] - last[0] and item.finished:
                    last[1] = item.end
                    last[2] = last[1] - last[0]
                else:
                    out.append([item.start, item.end, item.done])
            return out


def _block_up(position: int) -> int:
    """`position`, or the next block boundary after it: ranges that start and end on
    one are written in whole blocks, past the page cache (disk_writer.py)."""
    return -(-position // BLOCK_BYTES) * BLOCK_BYTES


def _rate(item: Range, now: float) -> float | None:
    """Bytes per second `item` moves, or None while that is not known yet."""
    age = now - item.began
    return (item.done - item.base) / age if age >= STEAL_AFTER_SECONDS else None


def contiguous_done(saved: list[list[int]]) -> int:
    """Bytes from 0 a saved plan holds without a gap (what one stream can resume from)."""
    position = 0
    for start, end, done in saved:
        if start != position:
            break
        position = start + done
        if start + done < end:
            break
    return position
