"""known_total: a sum of file sizes only when every size is known."""

from __future__ import annotations

from clary_desktop.domain.sizes import known_total


def test_the_total_when_every_size_is_known() -> None:
    assert known_total([3, 0, 4]) == 7
    assert known_total(iter([5])) == 5
    assert known_total([]) == 0


def test_no_total_when_any_size_is_unknown() -> None:
    assert known_total([3, None, 4]) is None
    assert known_total([None]) is None
