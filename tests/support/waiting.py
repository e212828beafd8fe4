"""Waiting in tests: poll a condition with a deadline a busy machine cannot miss.

Never sleep a fixed time and then assert: on a loaded CI machine (2 cores shared)
anything can take ten times longer than on a laptop. The deadline only bounds a
test that is going to fail anyway.
"""

from __future__ import annotations

import time
from collections.abc import Callable

PATIENCE = 60.0
"""Seconds a test waits for something that takes well under one on an idle machine."""


def wait_until(condition: Callable[[], object], what: str, timeout: float = PATIENCE) -> None:
    """Return as soon as `condition()` is true; fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout:.0f} s waiting until {what}")
        time.sleep(0.02)
