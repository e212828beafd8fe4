"""An optional bandwidth limit shared by every transfer of every job.

A token bucket: tokens (bytes) accrue at `rate` per second up to a small burst;
a reader takes what it just received and, when the bucket is in debt, sleeps
until the debt is paid. Readers on many threads share one bucket, so the total
rate converges to the limit however many files and parts are running. The rate
can change while they run (a new setting); `None` means no limit.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Sleeper(Protocol):
    def sleep(self, seconds: float) -> None: ...


class TokenBucket:
    def __init__(self, rate_bps: float | None, burst_seconds: float = 0.25) -> None:
        self._burst_seconds = burst_seconds
        self._lock = threading.Lock()
        self.rate: float | None = None
        self._capacity = self._tokens = 0.0
        self._last = time.monotonic()
        self.set_rate(rate_bps)

    def set_rate(self, rate_bps: float | None) -> None:
        """A new limit (None: none), for the transfers running now too."""
        if rate_bps is not None and rate_bps <= 0:
            raise ValueError("the bandwidth limit must be positive")
        with self._lock:
            if rate_bps is None:
                self.rate = None
                return
            self.rate = float(rate_bps)
            self._capacity = max(64 * 1024.0, self.rate * self._burst_seconds)
            self._tokens = self._capacity  # no debt carried over from another rate
            self._last = time.monotonic()

    def read_size(self, chunk_bytes: int) -> int:
        """A read size that keeps each sleep short (about 1/20 s of the limit)."""
        rate = self.rate
        return chunk_bytes if rate is None else max(16 * 1024, min(chunk_bytes, int(rate / 20)))

    def debt_after(self, amount: int) -> float:
        """Take `amount` bytes; the seconds the caller must wait to stay under the rate."""
        with self._lock:
            if self.rate is None:
                return 0.0
            now = time.monotonic()
            self._tokens = min(self._capacity, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= amount
            return max(0.0, -self._tokens / self.rate)

    def take(self, amount: int, control: Sleeper) -> None:
        """Account for `amount` bytes just read, sleeping (interruptibly) when over the limit."""
        wait = self.debt_after(amount)
        if wait > 0:
            control.sleep(wait)
