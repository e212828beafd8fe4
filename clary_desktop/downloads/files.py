"""The files of one job, fetched concurrently (at most `concurrency` at once).

A multi-file model (a repo snapshot with a dozen small files and one big one)
waits on round trips far more than on bandwidth when fetched one file after
the other. Each file runs on its own thread under a shared `ControlGroup`: the
first failure stops the others and is re-raised here; a pause or cancel of the
job reaches every file within a poll interval. Byte counts of the files in
flight are summed into one progress figure.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait

from clary_desktop.domain.layout import FileTask
from clary_desktop.downloads.control import TransferControl
from clary_desktop.downloads.group import ControlGroup

Found = tuple[str, int]
"""(sha256, size) of a file in place."""
FetchOne = Callable[[FileTask, TransferControl, Callable[[int], None]], Found]
"""fetch_one(task, control, on_bytes) -> (sha256, size)."""


def fetch_all(
    tasks: Sequence[FileTask],
    fetch_one: FetchOne,
    control: TransferControl,
    progress: Callable[[int], None],
    on_start: Callable[[str], None],
    concurrency: int,
    thread_name: str = "clary-download-file",
) -> dict[str, Found]:
    """Run `fetch_one` for every task; the results by path, in the tasks' order."""
    if concurrency <= 1 or len(tasks) <= 1:
        return _one_by_one(tasks, fetch_one, control, progress, on_start)
    group = ControlGroup(control)
    lock = threading.Lock()
    in_flight: dict[str, int] = {}
    finished = 0

    def report(path: str, done: int) -> None:
        with lock:
            in_flight[path] = done
            progress(finished + sum(in_flight.values()))

    def run(task: FileTask) -> Found:
        try:
            group.check()
            on_start(task.path)
            found = fetch_one(task, group, lambda done: report(task.path, done))
        except BaseException as error:
            group.abort(error)
            raise
        nonlocal finished
        with lock:
            in_flight.pop(task.path, None)
            finished += found[1]
            progress(finished + sum(in_flight.values()))
        return found

    with ThreadPoolExecutor(min(concurrency, len(tasks)), thread_name_prefix=thread_name) as pool:
        futures: list[Future[Found]] = [pool.submit(run, task) for task in tasks]
        pending = set(futures)
        while pending:
            _, pending = wait(pending, ControlGroup.POLL_SECONDS, FIRST_EXCEPTION)
            group.stop_if_interrupted()
    control.check()  # a pause or cancel of the job wins over what the files saw
    if group.error is not None:
        raise group.error
    return {task.path: future.result() for task, future in zip(tasks, futures, strict=True)}


def _one_by_one(
    tasks: Sequence[FileTask],
    fetch_one: FetchOne,
    control: TransferControl,
    progress: Callable[[int], None],
    on_start: Callable[[str], None],
) -> dict[str, Found]:
    results: dict[str, Found] = {}
    before = 0
    for task in tasks:
        on_start(task.path)
        found = fetch_one(task, control, _offset(progress, before))
        results[task.path] = found
        before += found[1]
        progress(before)
    return results


def _offset(progress: Callable[[int], None], base: int) -> Callable[[int], None]:
    """`progress` for a file whose bytes count after `base` bytes of earlier files."""
    return lambda done: progress(base + done)
