"""The ranged-part plan, the shared bandwidth limit and the control group."""

from __future__ import annotations

import itertools
import threading
import time

import pytest

from clary_desktop.downloads.control import JobControl
from clary_desktop.downloads.disk_writer import BLOCK_BYTES
from clary_desktop.downloads.errors import Interrupted
from clary_desktop.downloads.group import ControlGroup, GroupAborted
from clary_desktop.downloads.parts import PartPlan, Range, contiguous_done
from clary_desktop.downloads.ratelimit import TokenBucket

MiB = 1024 * 1024


def drain(plan: PartPlan) -> list[tuple[int, int]]:
    taken = []
    while (item := plan.take()) is not None:
        taken.append((item.start, item.end))
    return taken


def test_ranges_are_handed_out_in_order_and_shrink_towards_the_end():
    plan = PartPlan.fresh(100 * MiB, workers=4, min_bytes=1 * MiB, max_bytes=8 * MiB)
    taken = drain(plan)
    assert taken[0] == (0, 8 * MiB)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(taken))  # no gap, no overlap
    assert taken[-1][1] == 100 * MiB
    lengths = [end - start for start, end in taken]
    assert max(lengths) == 8 * MiB and lengths[-1] < 2 * MiB  # a short tail to hash
    assert lengths[:-1] == sorted(lengths[:-1], reverse=True)


def test_ranges_start_and_end_on_block_boundaries():
    """Whole blocks can be written past the page cache: every boundary a plan makes
    (new ranges, a probe's split, a steal's cut) is a block boundary, but the file's end."""
    size = 37 * MiB + 12345
    plan = PartPlan.fresh(size, workers=3, min_bytes=MiB + 1, max_bytes=5 * MiB - 7, whole=True)
    probe = plan.take()
    assert (probe.start, probe.end) == (0, size)  # the probe asks for everything
    plan.advance(probe, 777)
    plan.split(probe)
    slow = plan.take()
    slow.began -= 1.0  # half a megabyte in a second: slow
    plan.advance(slow, 500_000)
    thief = plan.take(rate=100 * MiB)
    assert thief is not None and thief.start > slow.offset
    rest = drain(plan)
    bounds = {b for r in (probe, slow, thief) for b in (r.start, r.end)}
    bounds |= {b for r in rest for b in r}
    assert max(bounds) == size and len(bounds) > 6
    assert all(b % BLOCK_BYTES == 0 for b in bounds - {size}), sorted(bounds)


def test_prefix_follows_finished_ranges_and_snapshot_merges_them():
    plan = PartPlan.fresh(10 * MiB, workers=2, min_bytes=1 * MiB, max_bytes=4 * MiB)
    first, second = plan.take(), plan.take()
    plan.advance(second, 1000)
    assert plan.prefix() == 0 and plan.done_bytes() == 1000
    plan.advance(first, first.end - first.start)
    assert plan.prefix() == second.start + 1000
    plan.advance(second, second.end - second.offset)
    assert plan.snapshot() == [[0, second.end, second.end]]
    assert not plan.finished
    while (item := plan.take()) is not None:
        plan.advance(item, item.end - item.start)
    assert plan.finished and plan.prefix() == 10 * MiB


def test_restore_resumes_unfinished_ranges_first():
    saved = [[0, 4, 4], [4, 8, 2], [8, 12, 0]]
    plan = PartPlan.restore(20, saved, workers=2, min_bytes=1, max_bytes=4)
    assert plan is not None and plan.done_bytes() == 6
    item = plan.take()
    assert (item.start, item.offset) == (4, 6)
    assert plan.take().start == 8 and plan.take().start == 12  # then new ranges
    assert contiguous_done(saved) == 6


@pytest.mark.parametrize(
    "bad",
    [
        [[1, 4, 0]],  # does not start at 0
        [[0, 4, 4], [5, 8, 0]],  # a gap
        [[0, 4, 5]],  # more done than the range holds
        [[0, 30, 0]],  # past the end of the file
        [["x", 4, 0]],
    ],
)
def test_restore_refuses_a_plan_for_another_file(bad):
    assert PartPlan.restore(20, bad, workers=2, min_bytes=1, max_bytes=4) is None


def test_restart_changes_the_generation_for_the_hasher():
    plan = PartPlan.fresh(8, workers=1, min_bytes=4, max_bytes=4)
    item = plan.take()
    plan.advance(item, 3)
    prefix, generation, closed = plan.wait_prefix(0, 0.01)
    assert (prefix, closed) == (3, False)
    plan.restart(item)
    prefix, later, _ = plan.wait_prefix(3, 0.01)
    assert prefix == 0 and later != generation
    plan.close()
    plan.release(item)
    assert plan.wait_prefix(0, 5)[2] is True and plan.take() is item  # the restarted range


def test_token_bucket_holds_the_rate_across_threads():
    bucket = TokenBucket(4 * MiB, burst_seconds=0.05)
    control = JobControl()

    def reader() -> None:
        for _ in range(8):
            bucket.take(128 * 1024, control)

    began = time.monotonic()
    threads = [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    assert elapsed >= (4 * MiB - 0.05 * 4 * MiB) / (4 * MiB) - 0.1  # 4 MiB at 4 MiB/s
    assert bucket.read_size(4 * MiB) == 4 * MiB // 20


def test_token_bucket_sleep_is_interrupted_by_pause():
    bucket = TokenBucket(1024)
    control = JobControl()
    threading.Timer(0.1, control.interrupt, args=("paused",)).start()
    began = time.monotonic()
    with pytest.raises(Interrupted):
        bucket.take(100 * 1024, control)
    assert time.monotonic() - began < 30  # not the 100 s the bucket would sleep


def test_group_abort_stops_siblings_and_parent_pause_reaches_members():
    parent = JobControl()
    group = ControlGroup(parent)
    group.abort(ValueError("boom"))
    with pytest.raises(GroupAborted):
        group.check()
    assert isinstance(group.error, ValueError) and group.reason == "aborted"

    other = ControlGroup(parent)
    assert not other.stop_if_interrupted()
    parent.interrupt("paused")
    assert other.stop_if_interrupted()
    with pytest.raises(Interrupted):
        other.sleep(5)


def test_probe_range_is_the_whole_rest_until_split():
    plan = PartPlan.fresh(
        100 * MiB, workers=4, min_bytes=1 * MiB, max_bytes=8 * MiB, done_prefix=2 * MiB, whole=True
    )
    probe = plan.take()
    assert (probe.start, probe.end) == (2 * MiB, 100 * MiB)  # one request for the rest
    plan.advance(probe, 3 * MiB)
    plan.split(probe)  # slow: cut to its share, the rest in parts
    assert (probe.start, probe.end) == (2 * MiB, 5 * MiB + 8 * MiB) and not plan.whole
    taken = drain(plan)
    assert taken[0][0] == probe.end and taken[-1][1] == 100 * MiB
    assert all(a[1] == b[0] for a, b in itertools.pairwise(taken))
    assert max(end - start for start, end in taken) == 8 * MiB


def test_a_range_split_after_a_fast_start_is_judged_by_its_rate_since():
    """A server let the one connection start fast, then slowed it: once split, its tail
    goes to a faster worker, though its average since the start still looks fast."""
    plan = PartPlan.fresh(64 * MiB, workers=2, min_bytes=MiB, max_bytes=4 * MiB, whole=True)
    one = plan.take()
    plan.advance(one, 32 * MiB)
    one.began -= 1.0  # 32 MiB in its first second
    plan.split(one)
    while (other := plan.take()) is not None:  # the others fetch the rest of the file
        plan.advance(other, other.end - other.start)
        plan.release(other)
    plan.advance(one, 100 * 1024)
    one.began -= 1.0  # and 100 KiB in the second since the split
    thief = plan.take(rate=10 * MiB)
    assert thief is not None and thief.start == one.end  # it takes the slow one's tail


def test_a_restored_probe_range_is_cut_when_parts_take_over():
    saved = [[0, 100 * MiB, 5 * MiB]]  # killed while the probe ran
    whole = PartPlan.restore(
        100 * MiB, saved, workers=4, min_bytes=MiB, max_bytes=8 * MiB, whole=True
    )
    assert (whole.take().offset, whole.take()) == (5 * MiB, None)  # the probe goes on
    parts = PartPlan.restore(100 * MiB, saved, workers=4, min_bytes=MiB, max_bytes=8 * MiB)
    first = parts.take()
    assert (first.offset, first.end) == (5 * MiB, 13 * MiB)
    assert parts.take().start == 13 * MiB and parts.done_bytes() == 5 * MiB


def _slow_first_range(size: int = 8 * MiB) -> tuple[PartPlan, Range]:
    """A plan whose first range crawls at 100 KiB/s while the rest of the file is in."""
    plan = PartPlan.fresh(size, workers=2, min_bytes=1 * MiB, max_bytes=4 * MiB)
    slow = plan.take()
    while (fast := plan.take()) is not None:  # the others fetch the rest of the file
        plan.advance(fast, fast.end - fast.start)
        plan.release(fast)
    plan.advance(slow, 100 * 1024)
    slow.began -= 1.0  # fetched for a second: 100 KiB/s
    return plan, slow


def test_an_idle_worker_takes_the_tail_of_a_much_slower_range():
    plan, slow = _slow_first_range()
    assert plan.claim(slow, 64 * 1024) == 64 * 1024  # its worker is writing 64 KiB now
    assert plan.take(rate=1) is None  # the asker is no faster: nothing to gain
    thief = plan.take(rate=10 * MiB)
    assert thief is not None and thief.busy
    # The fast worker takes the last 2 x min_bytes; the next idle one the piece before
    # that: all of it but what the slow one is writing (its share by the two rates would
    # be a crumb, which a connection that gets its bytes in bursts could hold for long).
    assert (thief.start, thief.end) == (2 * MiB, 4 * MiB) and slow.end == thief.start
    second = plan.take(rate=10 * MiB)
    assert second is not None and (second.start, second.end) == (slow.offset + 64 * 1024, 2 * MiB)
    assert slow.end == second.start
    assert [r[:2] for r in plan.snapshot()] == [
        [0, slow.end],
        [slow.end, 2 * MiB],
        [2 * MiB, 4 * MiB],
        [4 * MiB, 8 * MiB],
    ]  # still no gap
    assert plan.take(rate=10 * MiB) is None  # nothing left of it to cut
    plan.advance(slow, 64 * 1024)
    assert slow.finished and plan.claim(slow, 1 * MiB) == 0  # a later read is dropped


def test_a_cut_never_falls_below_what_a_worker_is_writing():
    plan, slow = _slow_first_range()
    # Its worker received 1 MiB in one read and is writing it: a cut leaves all of it.
    assert plan.claim(slow, 1 * MiB) == 1 * MiB
    plan.take(rate=10 * MiB)
    thief = plan.take(rate=10 * MiB)
    assert thief is not None and thief.start == slow.offset + 1 * MiB == slow.end
    plan.advance(slow, 1 * MiB)
    assert slow.finished
    # A read past the cut (the connection still streams the old range) is not its own.
    assert plan.claim(thief, 2 * MiB) == thief.end - thief.start
    assert plan.claim(slow, 4096) == 0


def test_a_range_that_received_nothing_keeps_one_byte():
    plan, slow = _slow_first_range()
    plan.restart(slow)  # nothing of it is trusted: 0 bytes done, 0 B/s
    slow.began -= 1.0
    thieves = [plan.take(rate=10 * MiB), plan.take(rate=10 * MiB)]
    # Never an empty range: it keeps a block (the thief's range starts on a boundary).
    assert all(thieves) and slow.end == slow.start + BLOCK_BYTES
    restored = PartPlan.restore(8 * MiB, plan.snapshot(), 2, 1 * MiB, 4 * MiB)
    assert restored is not None and restored.snapshot() == plan.snapshot()


def test_the_prefix_waiting_on_a_slow_range_is_served_before_a_new_range():
    """The hasher follows the completed prefix: a much slower range it waits on gives its
    tail to a fast worker before that worker takes a new range further on."""
    plan = PartPlan.fresh(64 * MiB, workers=4, min_bytes=1 * MiB, max_bytes=8 * MiB)
    slow, fast = plan.take(), plan.take()
    plan.advance(slow, 100 * 1024)
    slow.began -= 1.0
    plan.advance(fast, fast.end - fast.start)
    plan.release(fast)
    new = plan.take(rate=150 * 1024)  # not STEAL_FACTOR times faster: new bytes
    assert new is not None and (new.start, new.end) == (16 * MiB, 24 * MiB)
    thief = plan.take(rate=20 * MiB)
    assert thief is not None and (thief.start, thief.end) == (6 * MiB, 8 * MiB)
    assert slow.end == 6 * MiB
    assert plan.take().start == 24 * MiB  # a worker whose rate is not known yet: new bytes
