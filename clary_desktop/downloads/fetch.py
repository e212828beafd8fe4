"""One file from its URL to its verified target: in ranged parts (parallel.py) when it is
big and the server honours Range, else as one stream (transfer.py); retried while
retrying can help, then handed over to the next source (mirrors.py), if any."""

from __future__ import annotations

import logging
from typing import Protocol

import requests

from clary_desktop.domain.layout import FileTask
from clary_desktop.downloads.control import TransferControl
from clary_desktop.downloads.errors import DownloadFailed, RetryableError
from clary_desktop.downloads.parallel import fetch_parts
from clary_desktop.downloads.partial import (
    Sidecar,
    discard_partial,
    read_sidecar,
    saved_bytes,
    write_sidecar,
)
from clary_desktop.downloads.parts import contiguous_done
from clary_desktop.downloads.ratelimit import TokenBucket
from clary_desktop.downloads.transfer import (
    FileResult,
    ProgressFn,
    Retries,
    TransferOptions,
    fetch_single_stream,
    part_size,
    truncate,
)

log = logging.getLogger(__name__)


class Failover(Protocol):
    """The other sources of a file (mirrors.SourceChain)."""

    def next_task(
        self, task: FileTask, error: DownloadFailed, control: TransferControl
    ) -> FileTask: ...

    def blame(self, task: FileTask, error: DownloadFailed, keys: list[str]) -> DownloadFailed: ...


def fetch_file(
    session: requests.Session,
    task: FileTask,
    control: TransferControl,
    progress: ProgressFn,
    options: TransferOptions,
    limiter: TokenBucket | None = None,
    failover: Failover | None = None,
) -> FileResult:
    """Download `task` to its target, resuming a matching partial; retry what can be retried.

    In parts when the file is big enough (and the server has not ignored Range
    for it before), else as one stream. `limiter` is the global bandwidth limit. When
    the source fails for good (unreachable, 5xx after the retries, 404, refused),
    `failover` gives the file's next source, which continues the partial when it
    serves the same file; a file that fails its check is never handed over.
    """
    task.target.parent.mkdir(parents=True, exist_ok=True)
    while True:
        sidecar = _partial_for(task)
        try:
            return _fetch_from_source(session, task, sidecar, control, progress, options, limiter)
        except DownloadFailed as error:
            if failover is None:
                raise
            if error.actual_sha256 is not None:  # the bytes are wrong, not the source's answer
                raise failover.blame(task, error, sidecar.sources) from None
            task = failover.next_task(task, error, control)


def _partial_for(task: FileTask) -> Sidecar:
    """The sidecar of the partial to continue, or of a new one (the old one discarded)."""
    sidecar = read_sidecar(task.sidecar)
    changed = False
    if sidecar is not None and not sidecar.matches(task) and sidecar.same_content(task):
        sidecar.move_to(task)  # the same file from another source: keep its bytes
        changed = True
    if sidecar is None or not sidecar.matches(task):
        discard_partial(task)
        sidecar = Sidecar.for_task(task)
        changed = True
    if task.source and task.source not in sidecar.sources:
        sidecar.sources.append(task.source)
        changed = True
    if changed:
        write_sidecar(task.sidecar, sidecar)
    return sidecar


def _fetch_from_source(
    session: requests.Session,
    task: FileTask,
    sidecar: Sidecar,
    control: TransferControl,
    progress: ProgressFn,
    options: TransferOptions,
    limiter: TokenBucket | None,
) -> FileResult:
    retries = Retries(options)
    while True:
        control.check()
        before = saved_bytes(task)
        try:
            if use_parts(task, sidecar, options):
                result = fetch_parts(session, task, sidecar, control, progress, options, limiter)
                if result is not None:
                    return result
                continue  # the server ignored Range: now one stream, from zero
            to_single_stream(task, sidecar)
            return fetch_single_stream(session, task, sidecar, control, progress, options, limiter)
        except RetryableError as error:
            delay = retries.delay_after(error, progressed=saved_bytes(task) > before)
            if delay is None:
                raise DownloadFailed(
                    f"Downloading {task.path} failed {retries.failures} times in a row "
                    f"({error}). Check your connection, then retry the download."
                ) from None
            log.info("Retrying %s in %.1f s (%s)", task.path, delay, error)
            control.sleep(delay)


def use_parts(task: FileTask, sidecar: Sidecar, options: TransferOptions) -> bool:
    return (
        options.parallel_parts > 1
        and task.size_bytes is not None
        and task.size_bytes >= max(1, options.part_threshold_bytes)
        and not sidecar.single_stream
    )


def to_single_stream(task: FileTask, sidecar: Sidecar) -> None:
    """A partial written in parts continues as one stream from its contiguous prefix."""
    if not sidecar.ranges:
        return
    keep = contiguous_done(sidecar.ranges) if part_size(task) == task.size_bytes else 0
    truncate(task, keep)
    sidecar.ranges = []
    write_sidecar(task.sidecar, sidecar)
