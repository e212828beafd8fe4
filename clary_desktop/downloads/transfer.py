"""Our own resumable, verified transfer of one file (requests, streaming).

Bytes go to `<target>.part` next to a sidecar (see partial.py). A retry or a new
process resumes with `Range` + `If-Range`, after re-hashing the bytes already on
disk; only a 206 with exactly the asked `Content-Range` is appended, anything
else restarts from zero. The sha256 is computed while streaming, from the read
buffers (which is why their whole blocks may skip the page cache, disk_writer.py);
the finished file is fsynced and renamed into place only when size and digest match.

The stall watchdog is the socket read timeout: no byte for `stall_seconds`
aborts the attempt, which is then retried like a reset or a truncated body.

Big files from servers that honour Range go through parallel.py instead
(several ranged parts at once); fetch.py chooses between the two, and the helpers
below are shared.
"""

from __future__ import annotations

import errno
import hashlib
import http.client
import logging
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Protocol

import requests
import urllib3

from clary_desktop.domain.disk_space import (
    DEFAULT_MARGIN_BYTES,
    NotEnoughSpace,
    ensure_space,
    free_bytes,
)
from clary_desktop.domain.layout import FileTask
from clary_desktop.downloads.answers import content_length, get_file
from clary_desktop.downloads.body_reader import BodyReader
from clary_desktop.downloads.control import TransferControl
from clary_desktop.downloads.disk_writer import DiskWriter
from clary_desktop.downloads.errors import DownloadFailed, RetryableError
from clary_desktop.downloads.hashing import BackgroundHasher
from clary_desktop.downloads.partial import (
    Sidecar,
    discard_partial,
    write_sidecar,
)
from clary_desktop.downloads.ratelimit import TokenBucket
from clary_desktop.formatting import format_size
from clary_desktop.network.problems import ProxyUnreachable

log = logging.getLogger(__name__)

DEFAULT_MAX_UNKNOWN_BYTES = 64 * 1024**3

ProgressFn = Callable[[int], None]
"""Called with the number of bytes of the current file now on disk."""

# Bounded ASCII digits: int() refuses numbers of more than 4300 digits with a ValueError.
CONTENT_RANGE = re.compile(r"^bytes (\d{1,20})-(\d{1,20})/(\d{1,20}|\*)$", re.ASCII)
NETWORK_ERRORS: tuple[type[BaseException], ...] = (
    requests.RequestException,
    urllib3.exceptions.HTTPError,
    http.client.HTTPException,
    ConnectionError,
    TimeoutError,
)


@dataclass(frozen=True)
class TransferOptions:
    # What a connection that is the file's only one gathers into a buffer before writing
    # it (the buffers are made once per file and used again). 4 MiB, not 1: fewer and
    # bigger reads, writes and hand-overs to the sha256 thread cost a third less CPU per
    # GiB (1.2-1.3 s against 1.8-1.9 s, 1 GiB from nginx in process; 2 MiB: 1.6 s).
    chunk_bytes: int = 4 * 1024 * 1024
    stall_seconds: float = 30.0
    connect_seconds: float = 15.0
    max_retries: int = 6
    backoff_seconds: float = 1.0
    backoff_max_seconds: float = 60.0
    retry_after_max_seconds: float = 600.0
    space_margin_bytes: int = DEFAULT_MARGIN_BYTES
    # A file whose size nobody announced (no size in the catalog) may grow to this much
    # at most, and never into the space margin: a server streaming forever is stopped.
    max_unknown_bytes: int = DEFAULT_MAX_UNKNOWN_BYTES
    # Parallel ranged parts: files of at least `part_threshold_bytes` are
    # fetched over `parallel_parts` connections (1 disables it), in ranges of
    # `part_min_bytes`..`part_max_bytes` handed out in file order (see parts.py).
    # Ranges stay small so the completed prefix, and the hasher behind it, keeps
    # moving: with 8 ranges of 64 MiB, a 256 MiB file was hashed only after its
    # last byte; with 8 MiB at most the hasher is at most 8 ranges behind.
    parallel_parts: int = 8
    part_threshold_bytes: int = 64 * 1024 * 1024
    part_min_bytes: int = 1024 * 1024
    part_max_bytes: int = 8 * 1024 * 1024
    # The same for each of several connections: what one of them gathers stays small,
    # so the buffers of all of them and the sha256 thread's window stay few megabytes.
    part_chunk_bytes: int = 1024 * 1024
    bandwidth_limit_bps: int | None = None
    # The probe (parallel.py): the file starts on one connection; when that connection
    # moves at least `single_stream_fast_bps` over the first `probe_seconds` (or the
    # first `probe_bytes`, whichever comes first), it stays the only one (parts would
    # cost CPU and buy nothing); otherwise the rest is split into parts at once.
    # 0 disables the probe: every big file is split from its first request.
    single_stream_fast_bps: int = 200_000_000
    probe_seconds: float = 0.1
    probe_bytes: int = 16 * 1024 * 1024


@dataclass(frozen=True)
class FileResult:
    sha256: str
    size_bytes: int


def retry_delay(error: RetryableError, failures: int, options: TransferOptions) -> float:
    """The server's Retry-After when it sent one, else exponential back-off."""
    if error.retry_after is not None:
        return min(error.retry_after, options.retry_after_max_seconds)
    return min(options.backoff_seconds * 2.0 ** (failures - 1), options.backoff_max_seconds)


class Retries:
    """The retry rule every download loop follows (resolving a job's files, a file, one
    range of a file): failures in a row are counted, progress starts the count again,
    past `max_retries` the loop gives up, else it waits `retry_delay`."""

    def __init__(self, options: TransferOptions) -> None:
        self.options = options
        self.failures = 0

    def delay_after(self, error: RetryableError, progressed: bool = False) -> float | None:
        """Count the failure; the wait before the next attempt, or None: give up."""
        self.failures = 1 if progressed else self.failures + 1
        if self.failures > self.options.max_retries:
            return None
        return retry_delay(error, self.failures, self.options)


def part_size(task: FileTask) -> int:
    try:
        return task.part.stat().st_size
    except FileNotFoundError:
        return 0


class Digests:
    """sha256 of the content, plus the git blob sha1 for small Hub files."""

    def __init__(self, task: FileTask) -> None:
        self.sha256 = hashlib.sha256()
        self.blob = None
        if task.git_blob_id and task.size_bytes is not None:
            self.blob = hashlib.sha1(b"blob %d\0" % task.size_bytes, usedforsecurity=False)

    def update(self, data: bytes | memoryview) -> None:
        self.sha256.update(data)
        if self.blob is not None:
            self.blob.update(data)


def fetch_single_stream(
    session: requests.Session,
    task: FileTask,
    sidecar: Sidecar,
    control: TransferControl,
    progress: ProgressFn,
    options: TransferOptions,
    limiter: TokenBucket | None,
) -> FileResult:
    offset = part_size(task)
    size = task.size_bytes
    if size is not None and offset > size:
        truncate(task, 0)
        offset = 0
    digests = Digests(task)
    if offset:
        _hash_prefix(task.part, offset, digests, control, options.chunk_bytes)
        progress(offset)
    if size is not None and offset == size:
        if size == 0:
            task.part.touch()  # an empty file: nothing to ask for, but it must exist
        return finish_file(task, digests, offset)

    headers = {**task.headers, "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
        if sidecar.etag and not sidecar.etag.startswith("W/"):
            headers["If-Range"] = sidecar.etag
    try:
        response = get_file(
            session, task, task.url, headers, (options.connect_seconds, options.stall_seconds)
        )
    except NETWORK_ERRORS as error:
        control.check()
        raise RetryableError(describe_network_error(error, options)) from None
    control.attach(response)
    try:
        with response:
            start = _accepted_start(response, task, offset)
            etag = response.headers.get("ETag")
            if etag != sidecar.etag:
                sidecar.etag = etag
                write_sidecar(task.sidecar, sidecar)
            if start != offset:
                digests = Digests(task)
            if task.size_bytes is None:
                _check_announced(task, start, content_length(response, task), options)
            done = _stream_body(response, task, start, digests, control, progress, options, limiter)
    except TooLarge as error:
        discard_partial(task)
        raise DownloadFailed(str(error)) from None
    finally:
        control.detach()
    return finish_file(task, digests, done)


class TooLarge(Exception):
    """A file of unknown size grew past `max_unknown_bytes`."""


def _too_large(task: FileTask, options: TransferOptions) -> TooLarge:
    return TooLarge(
        f"The catalog gives no size for {task.path}, and the server sent more than "
        f"{format_size(options.max_unknown_bytes)} ({options.max_unknown_bytes:,} bytes) of it, "
        "the most Clary accepts for such a file (the max_unknown_size_bytes setting); the "
        "download was stopped and the "
        "partial file deleted. Raise the setting if the file really is that big, or report "
        "the source as broken."
    )


def _check_announced(
    task: FileTask, start: int, length: int | None, options: TransferOptions
) -> None:
    """A file of unknown size whose server announces its length: refuse it at once when
    it is over the cap, and check that it fits on the disk before the first byte."""
    if length is None:
        return
    if start + length > options.max_unknown_bytes:
        raise _too_large(task, options)
    ensure_space(task.part.parent, length, options.space_margin_bytes)


def _check_unknown_growth(task: FileTask, total: int, options: TransferOptions) -> None:
    """Before writing a file of unknown size up to `total` bytes: the cap, then the
    free space (the margin stays free; the partial is kept for a resume)."""
    if total > options.max_unknown_bytes:
        raise _too_large(task, options)
    free = free_bytes(task.part.parent)
    if free < options.space_margin_bytes + options.chunk_bytes:
        raise NotEnoughSpace(need=options.space_margin_bytes + options.chunk_bytes, free=free)


def _accepted_start(response: requests.Response, task: FileTask, offset: int) -> int:
    """Where the body starts in the file, or raise for statuses we do not append."""
    check_status(response, task)
    status = response.status_code
    if status == 416:
        truncate(task, 0)
        raise RetryableError("the server refused the resume range; starting again from zero")
    length = content_length(response, task)
    if status == 200:
        if task.size_bytes is not None and length is not None and length != task.size_bytes:
            raise DownloadFailed(
                f"The server's copy of {task.path} has {length} bytes, but the catalog expects "
                f"{task.size_bytes}. The catalog entry may be outdated; update the catalog."
            )
        return 0  # a full body: a server that ignores Range, or a changed file (If-Range)
    match = CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
    total_ok = match is not None and (
        task.size_bytes is None or match.group(3) in ("*", str(task.size_bytes))
    )
    if match is None or int(match.group(1)) != offset or not total_ok:
        truncate(task, 0)
        raise RetryableError("the server sent another range than asked; starting from zero")
    return offset


def check_status(response: requests.Response, task: FileTask) -> None:
    """Raise for every status but 200, 206 and 416 (which the callers handle)."""
    status = response.status_code
    if status in (401, 403):
        raise DownloadFailed(
            f"The server refused access to {task.path} (HTTP {status}). If the model is gated "
            "on the Hub, accept its terms there and set a Hub token (the hub_token setting or "
            "HF_TOKEN); otherwise check that the token is valid."
        )
    if status in (404, 410):
        raise DownloadFailed(
            f"{task.path} is no longer at {response.url} (HTTP {status}). "
            "The catalog entry may be outdated; update the catalog."
        )
    if status == 429 or status >= 500:
        raise RetryableError(f"the server answered HTTP {status}", retry_after_seconds(response))
    if status in (200, 206, 416):
        return
    raise DownloadFailed(
        f"The server answered HTTP {status} for {task.path}, which Clary cannot use. "
        "Retry later, or report the source as broken."
    )


def _stream_body(
    response: requests.Response,
    task: FileTask,
    start: int,
    digests: Digests,
    control: TransferControl,
    progress: ProgressFn,
    options: TransferOptions,
    limiter: TokenBucket | None,
) -> int:
    size = task.size_bytes
    chunk_bytes = limiter.read_size(options.chunk_bytes) if limiter else options.chunk_bytes
    reader = BodyReader(response)
    done = start

    def accept(gathered: int, count: int) -> int:
        total = done + gathered + count
        if size is None:
            _check_unknown_growth(task, total, options)
        elif total > size:
            os.ftruncate(writer.fd, 0)
            raise RetryableError("the server sent more bytes than expected")
        if limiter is not None:
            limiter.take(count, control)
        return count

    def left() -> int | None:  # what the file still needs, for a full disk's message
        return None if size is None else size - done

    with DiskWriter(task.part) as writer:
        os.ftruncate(writer.fd, start)
        with BackgroundHasher(digests, chunk_bytes) as hasher:
            while True:
                buffer = hasher.buffers.take(control)
                try:
                    view = memoryview(buffer)[: writer.gather_bytes(done, len(buffer))]
                    count, failure = gather(reader, view, accept, control)
                    if count:
                        write_chunk(writer, view[:count], done, True, task, left, options)
                except BaseException:
                    hasher.buffers.give(buffer)
                    raise
                if count:
                    hasher.update(buffer, count)  # the hasher gives the buffer back
                    done += count
                    progress(done)
                else:
                    hasher.buffers.give(buffer)
                control.check()
                if failure is not None:
                    raise RetryableError(describe_network_error(failure, options))
                if not count:
                    break
        if size is not None and done < size:
            raise RetryableError(f"the connection closed after {done} of {size} bytes")
        os.fsync(writer.fd)
    return done


GATHER_SECONDS = 0.2
"""A buffer is written once full, or once it has gathered this long: on a slow link
the file (and the progress shown) still moves several times a second."""


def gather(
    reader: BodyReader,
    view: memoryview,
    accept: Callable[[int, int], int],
    control: TransferControl,
) -> tuple[int, BaseException | None]:
    """Read into `view` until it is full, the body ends, `GATHER_SECONDS` pass, a stop
    is asked, or `accept(gathered, count)` keeps fewer of a read's `count` bytes than it
    brought (it may also raise). Returns how many bytes `view` holds, and the network
    error that ended the gathering, if one did: the bytes before it are still to be
    written, so a resume starts after them."""
    gathered = 0
    deadline = time.monotonic() + GATHER_SECONDS
    while gathered < len(view):
        try:
            count = reader.readinto(view[gathered:])
        except NETWORK_ERRORS as error:
            return gathered, error
        if not count:
            break
        kept = accept(gathered, count)
        gathered += kept
        if kept < count or control.reason is not None or time.monotonic() > deadline:
            break
    return gathered, None


def write_chunk(
    writer: DiskWriter,
    view: memoryview,
    offset: int,
    direct: bool,
    task: FileTask,
    remaining: Callable[[], int | None],
    options: TransferOptions,
) -> None:
    """`writer.write`, a full disk said in the user's terms: how much more the file
    needs (`remaining()` bytes, or the chunk when the size is unknown) and what is free."""
    try:
        writer.write(view, offset, direct)
    except OSError as error:
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            left = remaining()
            need = left if left is not None else len(view)
            raise NotEnoughSpace(
                need=need + options.space_margin_bytes, free=free_bytes(task.part.parent)
            ) from None
        raise


def _hash_prefix(
    part: Path, length: int, digests: Digests, control: TransferControl, chunk_bytes: int
) -> None:
    """Re-hash the bytes a previous attempt (or process) left on disk."""
    remaining = length
    with open(part, "rb", buffering=0) as handle:
        while remaining:
            chunk = handle.read(min(chunk_bytes, remaining))
            if not chunk:
                raise RetryableError("the partial file shrank while resuming")
            digests.update(chunk)
            remaining -= len(chunk)
            control.check()


def finish_file(task: FileTask, digests: Digests, size: int) -> FileResult:
    """Check the digests, then fsync and rename into place (or delete a corrupt file)."""
    actual = digests.sha256.hexdigest()
    if task.sha256 and actual != task.sha256:
        discard_partial(task)
        raise DownloadFailed(
            f"{task.path} arrived corrupt (expected sha256 {task.sha256}, got {actual}); the bad "
            "file was deleted. Retry the download; if it fails again, the source or the "
            "catalog entry is wrong.",
            expected_sha256=task.sha256,
            actual_sha256=actual,
        )
    if digests.blob is not None and digests.blob.hexdigest() != task.git_blob_id:
        discard_partial(task)
        raise DownloadFailed(
            f"{task.path} arrived corrupt (its git blob id is {digests.blob.hexdigest()}, the Hub "
            f"says {task.git_blob_id}); the bad file was deleted. Retry the download.",
            actual_sha256=actual,
        )
    with open(task.part, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(task.part, task.target)
    _fsync_dir(task.target.parent)
    task.sidecar.unlink(missing_ok=True)
    return FileResult(sha256=actual, size_bytes=size)


def truncate(task: FileTask, length: int) -> None:
    if task.part.exists():
        os.truncate(task.part, length)


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _Answer(Protocol):
    """An HTTP answer with its headers: requests' or the Hub client's."""

    @property
    def headers(self) -> Mapping[str, str]: ...


def retry_after_seconds(response: _Answer) -> float | None:
    """Retry-After as seconds: either a number or an HTTP date."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def describe_network_error(error: BaseException, options: TransferOptions) -> str:
    if isinstance(error, ProxyUnreachable):
        return str(error)
    text = f"{type(error).__name__}: {error}".lower()
    if "timed out" in text or "timeout" in text:
        return f"no data for {options.stall_seconds:g} s (stalled)"
    if "reset" in text or "aborted" in text:
        return "the connection was reset"
    if "refused" in text:
        return "the server refused the connection"
    if "incomplete" in text or "protocol" in text or "closed" in text:
        return "the connection closed early"
    return f"network error ({type(error).__name__})"
