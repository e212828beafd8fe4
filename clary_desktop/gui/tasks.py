"""Background work for the window: blocking calls on worker threads, results on the loop.

Every task started here is tracked so the window can cancel what is left when it
closes, and every failure is reported: a `ClaryError` as its own plain message (with the
window's words for its hint), anything else as "unexpected problem" (and to the loop's
exception handler, which the tests turn into a failure).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar, TypeVarTuple

from clary_desktop.errors import ClaryError
from clary_desktop.gui.hints import error_text

log = logging.getLogger(__name__)
T = TypeVar("T")
Args = TypeVarTuple("Args")
ErrorSink = Callable[[str], None]


class Tasks:
    def __init__(self, on_error: ErrorSink, workers: int = 3) -> None:
        self._on_error = on_error
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="clary-gui")
        self._tasks: set[asyncio.Task[object]] = set()
        self._closed = False

    def run(self, fn: Callable[[*Args], T], *args: *Args) -> Awaitable[T]:
        """Run a blocking `fn(*args)` on a worker thread; await the result on the loop."""
        loop = asyncio.get_running_loop()
        return loop.run_in_executor(self._executor, fn, *args)

    def spawn(self, coro: Coroutine[Any, Any, T], what: str) -> asyncio.Task[T] | None:
        """Start `coro` on the loop; `what` names it in error messages ("Download failed")."""
        if self._closed:
            coro.close()
            return None
        task = asyncio.get_event_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(lambda t: self._finished(t, what))
        return task

    def _finished(self, task: asyncio.Task[object], what: str) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is None:
            return
        if isinstance(error, ClaryError):
            log.info("%s: %s", what, error)
            self._on_error(f"{what}: {error_text(error)}")
            return
        log.error("%s: unexpected error", what, exc_info=error)
        self._on_error(f"{what}: unexpected problem ({type(error).__name__}: {error}).")
        task.get_loop().call_exception_handler(
            {"message": f"unexpected error in GUI task {what!r}", "exception": error, "task": task}
        )

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def drain(self) -> None:
        """Wait for the running tasks (used by tests and before closing)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def close(self) -> None:
        """Cancel the loop tasks and wait for the worker threads to finish their call."""
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
        self._executor.shutdown(wait=True, cancel_futures=True)
