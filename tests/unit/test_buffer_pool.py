"""Read buffers made once and used again: never more than the pool's capacity, a
reader waits for one to come back, and a stopped download stops waiting."""

from __future__ import annotations

import threading

import pytest

from clary_desktop.downloads.buffer_pool import BufferPool
from clary_desktop.downloads.control import JobControl
from clary_desktop.downloads.errors import Interrupted


def test_buffers_are_made_up_to_the_capacity_and_used_again() -> None:
    pool = BufferPool(4096, capacity=2)
    control = JobControl()
    first, second = pool.take(control), pool.take(control)
    assert first is not second and len(first) == len(second) == 4096
    pool.give(first)
    assert pool.take(control) is first  # used again, not made anew
    assert pool.made == 2


def test_a_reader_waits_for_a_buffer_to_come_back() -> None:
    pool = BufferPool(16, capacity=1)
    control = JobControl()
    held = pool.take(control)
    got: list[bytearray] = []
    waiting = threading.Thread(target=lambda: got.append(pool.take(control)))
    waiting.start()
    waiting.join(0.3)
    assert waiting.is_alive() and not got  # nothing free: it waits
    pool.give(held)
    waiting.join(10)
    assert got == [held] and pool.made == 1


def test_a_stopped_download_stops_waiting_for_a_buffer() -> None:
    pool = BufferPool(16, capacity=1)
    control = JobControl()
    pool.take(control)
    errors: list[BaseException] = []

    def wait_for_one() -> None:
        try:
            pool.take(control)
        except Interrupted as error:
            errors.append(error)

    waiting = threading.Thread(target=wait_for_one)
    waiting.start()
    control.interrupt("paused")
    waiting.join(10)
    assert not waiting.is_alive()
    assert [e.reason for e in errors] == ["paused"]
    with pytest.raises(Interrupted):
        pool.take(control)
