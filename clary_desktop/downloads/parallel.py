"""One big file fetched in parallel ranged parts.

The probe comes first: the file starts on ONE connection asking for all of the
bytes still missing, and its rate is measured over `probe_seconds` (or
`probe_bytes`, whichever comes first). When that connection alone moves at
least `single_stream_fast_bps`, the link is not what limits the download (a
LAN, a loopback, a fast CDN) and parts would only cost CPU, so it stays the only
connection: one request for the whole file (watched: when a whole `WATCH_SECONDS`
later moves less, the server slowed it after a first stretch, and the rest is split
then). Otherwise its range is cut down to its share at once, the rest of the
file is handed out in ranges, and the other workers start: no byte the probe
fetched is fetched again (only what was in flight past the cut is dropped with
its connection).

`parallel_parts` workers each keep one connection to the final host (the first
request follows the redirect; the others go straight to where it landed) and
fetch the ranges the `PartPlan` hands out, gathering each chunk into a whole
buffer and writing it at its offset into one preallocated `.part` file through the
worker's own descriptors (disk_writer.py). A hasher thread follows the contiguous
completed prefix (prefix_hash.py), from the chunks the workers hand it while they
are near it (those skip the page cache), else reading the bytes back from the page
cache, so the sha256 is ready moments after the last byte. A
worker takes the tail of a much slower range (work stealing, parts.py): of the
one the hasher waits on, and at the end of the one that would finish last, so no
slow connection holds the hasher up or is left alone at the end. About
once a second the data is fdatasync'ed and the ranges are written to the
sidecar, so a retry, or a new process after a kill, resumes each range.

The single-stream rules hold per range: `If-Range` with a strong ETag, a 206
with exactly the asked `Content-Range` (else that range starts again from its
first byte), no byte for `stall_seconds` aborts the range's attempt, which is
retried with back-off (at most `max_retries` failures in a row). A 200 means
the server ignores Range (or the file changed): the file falls back to one
stream, from zero. Every read goes into a buffer of the hasher's pool (one per
worker plus the hasher's kept window, made once and used again), so memory stays
flat whatever the file size.
"""

from __future__ import annotations

import logging
import os
import threading
import time

import requests

from clary_desktop.domain.layout import FileTask
from clary_desktop.downloads.answers import content_length, get_file, same_origin
from clary_desktop.downloads.body_reader import BodyReader
from clary_desktop.downloads.control import TransferControl
from clary_desktop.downloads.disk_writer import DiskWriter
from clary_desktop.downloads.errors import DownloadFailed, RetryableError
from clary_desktop.downloads.group import ControlGroup
from clary_desktop.downloads.partial import Sidecar, write_sidecar
from clary_desktop.downloads.parts import PartPlan, Range
from clary_desktop.downloads.prefix_hash import PrefixHasher
from clary_desktop.downloads.ratelimit import TokenBucket
from clary_desktop.downloads.transfer import (
    CONTENT_RANGE,
    NETWORK_ERRORS,
    FileResult,
    ProgressFn,
    Retries,
    TransferOptions,
    check_status,
    describe_network_error,
    finish_file,
    gather,
    part_size,
    write_chunk,
)
from clary_desktop.network.http import sibling_session

log = logging.getLogger(__name__)

PERSIST_SECONDS = 1.0
"""How often the ranges are saved to the sidecar (after an fdatasync of the data)."""
IDLE_SECONDS = 0.2
"""How often an idle worker looks again for a slow range to take the tail of."""
WATCH_SECONDS = 2.0
"""The window over which the one connection a fast probe kept must stay fast (long
enough that a busy machine's hiccup does not pass for a slow server)."""
_BINARY = getattr(os, "O_BINARY", 0)


class RangeIgnored(Exception):
    """The server answered a ranged request with the whole file (200)."""


class RestartFile(Exception):
    """The file must be fetched again from zero (it changed on the server)."""


def fetch_parts(
    session: requests.Session,
    task: FileTask,
    sidecar: Sidecar,
    control: TransferControl,
    progress: ProgressFn,
    options: TransferOptions,
    limiter: TokenBucket | None = None,
) -> FileResult | None:
    """Fetch `task` in parts; None when the server ignored Range (the sidecar now
    says single stream and the partial is empty). `control` is a JobControl or a
    ControlGroup."""
    assert task.size_bytes is not None
    plan = _load_plan(task, sidecar, options)
    sidecar.ranges = plan.snapshot()
    write_sidecar(task.sidecar, sidecar)  # before the file grows: a kill then stays consistent
    fd = os.open(task.part, os.O_RDWR | os.O_CREAT | _BINARY, 0o644)
    try:
        if os.fstat(fd).st_size != task.size_bytes:
            os.ftruncate(fd, task.size_bytes)  # sparse; free space was checked up front
        run = _PartsRun(session, task, sidecar, control, progress, options, limiter, plan, fd)
        return run.run()
    finally:
        os.close(fd)


def _load_plan(task: FileTask, sidecar: Sidecar, options: TransferOptions) -> PartPlan:
    size = task.size_bytes
    assert size is not None
    shape = (options.parallel_parts, options.part_min_bytes, options.part_max_bytes)
    whole = probing(options)
    on_disk = part_size(task)
    if sidecar.ranges:
        restored = (
            PartPlan.restore(size, sidecar.ranges, *shape, whole=whole) if on_disk == size else None
        )
        if restored is not None:
            return restored
        return PartPlan.fresh(size, *shape, whole=whole)
    # A single-stream partial (or none): its bytes become the first, finished range.
    return PartPlan.fresh(size, *shape, done_prefix=on_disk if on_disk <= size else 0, whole=whole)


def probing(options: TransferOptions) -> bool:
    return options.single_stream_fast_bps > 0


class _PartsRun:
    """One attempt at the file: the probe, the workers, the hasher, the supervisor."""

    def __init__(
        self,
        session: requests.Session,
        task: FileTask,
        sidecar: Sidecar,
        control: TransferControl,
        progress: ProgressFn,
        options: TransferOptions,
        limiter: TokenBucket | None,
        plan: PartPlan,
        fd: int,
    ) -> None:
        self.session = session
        self.task = task
        self.sidecar = sidecar
        self.control = control
        self.progress = progress
        self.options = options
        self.limiter = limiter
        self.plan = plan
        self.fd = fd
        self.size: int = task.size_bytes or 0
        self.group = ControlGroup(control)
        self.url = task.url
        self.headers = {**task.headers, "Accept-Encoding": "identity"}
        self.changed = threading.Event()
        self.etag_lock = threading.Lock()
        # What a worker gathers per write: more while it is the only connection.
        self.chunk = max(1, options.part_chunk_bytes)
        self.stream_chunk = max(self.chunk, options.chunk_bytes)
        if limiter is not None:
            self.chunk = limiter.read_size(self.chunk)
            self.stream_chunk = limiter.read_size(self.stream_chunk)
        # The probe: measured by the first worker until it decides; `split` asks the
        # supervisor for the other workers.
        self.probing = plan.whole
        self.probe_began = 0.0
        self.probe_bytes = 0
        # After a "fast" verdict, the one connection's rate over each WATCH_SECONDS.
        self.watch_began = 0.0
        self.watch_bytes = 0
        self.split = threading.Event()
        self.hasher = PrefixHasher(
            task, plan, self.stream_chunk, self.chunk, options.parallel_parts
        )

    # ---- supervisor -----------------------------------------------------------------

    def run(self) -> FileResult | None:
        hasher = self.hasher
        workers: list[threading.Thread] = []
        hasher.start()
        try:
            first = self.plan.take()
            if first is not None:
                try:
                    response = self._probe(first)
                except RangeIgnored:
                    self._fall_back_to_one_stream()
                    return None
                workers = self._start_workers(first, response)
                self._supervise(workers)
            self._raise_failure()
            if not self.plan.finished:
                raise RetryableError("a part ended early")
            hasher.join()
            if hasher.error is not None:
                raise RetryableError(f"reading the partial file back failed ({hasher.error})")
            self.progress(self.size)
            return finish_file(self.task, hasher.digests, self.size)
        except RestartFile as error:
            self._restart_from_zero()
            raise RetryableError(f"{error}; starting again from zero") from None
        except RangeIgnored:
            self._fall_back_to_one_stream()
            return None
        finally:
            self.group.abort(_Done())
            self.plan.close()  # wakes idle workers and the hasher
            for worker in workers:
                worker.join()
            hasher.join()
            if self.task.part.exists() and self.sidecar.ranges:
                self._persist()

    def _probe(self, item: Range) -> requests.Response:
        """The first range's request: it follows the redirect, once, to the final host."""
        asked_end = item.end
        response = self._request(self.session, item, asked_end, allow_redirects=True)
        try:
            self._accept(response, item, asked_end)
        except BaseException:
            response.close()
            self.plan.release(item)
            raise
        final = response.url or self.url
        if not same_origin(final, self.url):
            # Like requests on a redirect: never send the token to another host.
            self.headers = {k: v for k, v in self.headers.items() if k.lower() != "authorization"}
        self.url = final
        self._persist()  # the ETag the probe learned
        self.probe_began = time.monotonic()
        return response

    def _start_workers(self, first: Range, response: requests.Response) -> list[threading.Thread]:
        """The first worker continues the probe's response; while the probe runs it is
        the only one, else the others start now."""
        workers: list[threading.Thread] = []
        self._spawn(workers, 1 if self.probing else self._worker_count(), (first, response))
        return workers

    def _worker_count(self) -> int:
        remaining = self.size - self.plan.done_bytes()
        return max(
            1,
            min(self.options.parallel_parts, -(-remaining // max(1, self.options.part_min_bytes))),
        )

    def _spawn(
        self,
        workers: list[threading.Thread],
        count: int,
        first: tuple[Range, requests.Response] | None = None,
    ) -> None:
        for _ in range(count):
            start, first = first, None
            thread = threading.Thread(
                target=self._worker, args=(start,), name=f"clary-download-part-{len(workers)}"
            )
            workers.append(thread)
            thread.start()

    def _supervise(self, workers: list[threading.Thread]) -> None:
        last_persist = time.monotonic()
        spawned = not self.probing
        while True:
            if not spawned and self.split.is_set():
                spawned = True  # the probe found one connection slow: the rest in parts
                self._spawn(workers, self._worker_count() - 1)
            # Every byte in: done, even while a worker whose range a steal cut to nothing
            # still waits for its slow connection's next read (the end wakes it).
            if self.plan.finished or not any(w.is_alive() for w in workers):
                break
            self.changed.wait(ControlGroup.POLL_SECONDS)
            self.changed.clear()
            self.group.stop_if_interrupted()
            self.progress(self.plan.done_bytes())
            if time.monotonic() - last_persist >= PERSIST_SECONDS:
                self._persist()
                last_persist = time.monotonic()

    def _raise_failure(self) -> None:
        self.control.check()  # pause/cancel (or a sibling file's failure) first
        error = self.group.error
        if error is not None:
            raise error

    def _persist(self) -> None:
        """Save the ranges, after the bytes they describe are on the disk."""
        ranges = self.plan.snapshot()
        _sync_data(self.fd)
        self.sidecar.ranges = ranges
        write_sidecar(self.task.sidecar, self.sidecar)

    def _fall_back_to_one_stream(self) -> None:
        log.info("%s: the server ignores Range; downloading it as one stream", self.task.path)
        os.ftruncate(self.fd, 0)
        self.sidecar.ranges = []
        self.sidecar.single_stream = True
        write_sidecar(self.task.sidecar, self.sidecar)

    def _restart_from_zero(self) -> None:
        os.ftruncate(self.fd, 0)
        self.sidecar.ranges = []
        self.sidecar.etag = None
        write_sidecar(self.task.sidecar, self.sidecar)

    # ---- workers --------------------------------------------------------------------

    def _worker(self, start: tuple[Range, requests.Response] | None) -> None:
        writer = DiskWriter(self.task.part)
        session = sibling_session(self.session)
        rate = 0.0  # bytes per second this worker moves: what it may steal with
        try:
            while True:
                if start is not None:
                    item, response = start
                    start = None
                else:
                    found = self.plan.take(rate)
                    if found is None:
                        if not self.plan.wait_for_work(IDLE_SECONDS):
                            return  # every byte is in
                        self.group.check()
                        continue
                    item, response = found, None
                began, before = time.monotonic(), item.done
                try:
                    self._fetch_range(session, writer, item, response)
                finally:
                    self.plan.release(item)
                last = (item.done - before) / max(time.monotonic() - began, 1e-3)
                # The best this worker did lately: one slow answer (a slow tail it took
                # over) must not stop it from taking over the next one.
                rate = max(last, rate / 2)
        except BaseException as error:  # the first failure stops the siblings
            self.group.abort(error)
        finally:
            session.close()
            writer.close()
            self.changed.set()

    def _fetch_range(
        self,
        session: requests.Session,
        writer: DiskWriter,
        item: Range,
        response: requests.Response | None,
    ) -> None:
        retries = Retries(self.options)
        while not item.finished:
            self.group.check()
            before = item.done
            # What is asked; a steal (or the probe) may cut the range short meanwhile.
            asked_end = item.end
            try:
                if response is None:
                    response = self._request(session, item, asked_end)
                    self._accept(response, item, asked_end, close_on_error=True)
                self._stream(response, writer, item, asked_end)
            except RetryableError as error:
                delay = retries.delay_after(error, progressed=item.done > before)
                if delay is None:
                    raise DownloadFailed(
                        f"Downloading {self.task.path} failed {retries.failures} times in a row "
                        f"({error}). Check your connection, then retry the download."
                    ) from None
                log.info(
                    "Retrying bytes %d- of %s in %.1f s (%s)",
                    item.offset,
                    self.task.path,
                    delay,
                    error,
                )
                self.group.sleep(delay)
            finally:
                response = None

    def _request(
        self, session: requests.Session, item: Range, end: int, allow_redirects: bool = True
    ) -> requests.Response:
        headers = {**self.headers, "Range": f"bytes={item.offset}-{end - 1}"}
        etag = self.sidecar.etag
        if etag and not etag.startswith("W/"):
            headers["If-Range"] = etag
        try:
            return get_file(
                session,
                self.task,
                self.url,
                headers,
                (self.options.connect_seconds, self.options.stall_seconds),
                allow_redirects=allow_redirects,
            )
        except NETWORK_ERRORS as error:
            self.group.check()
            raise RetryableError(describe_network_error(error, self.options)) from None

    def _accept(
        self, response: requests.Response, item: Range, end: int, close_on_error: bool = False
    ) -> None:
        """Insist on a 206 with exactly the asked range (`item`'s offset to `end`) of this
        version of the file."""
        try:
            check_status(response, self.task)
            if response.status_code == 200:
                raise RangeIgnored()
            if response.status_code == 416:
                raise RestartFile("the server refused a range")
            match = CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
            wanted = (item.offset, end - 1, str(self.size))
            length = content_length(response, self.task)
            if (
                match is None
                or (int(match[1]), int(match[2]), match[3]) != wanted
                or length not in (None, end - item.offset)
            ):
                self.plan.restart(item)
                raise RetryableError(
                    "the server sent another range than asked; starting this part again"
                )
            etag = response.headers.get("ETag")
            with self.etag_lock:
                if self.sidecar.etag is None:
                    self.sidecar.etag = etag
                elif etag != self.sidecar.etag:
                    raise RestartFile("the file changed on the server")
        except BaseException:
            if close_on_error:
                response.close()
            raise

    def _stream(
        self, response: requests.Response, writer: DiskWriter, item: Range, asked_end: int
    ) -> None:
        def accept(gathered: int, count: int) -> int:
            # A steal may have cut the range meanwhile: the rest is another's.
            own = self.plan.claim(item, gathered + count) - gathered
            if self.probing:
                self._probe_step(item, count)
            elif self.plan.whole:
                self._watch_step(item, count)
            if self.limiter is not None:
                self.limiter.take(count, self.group)
            return own

        self.group.attach(response)
        try:
            with response:
                reader, buffers = BodyReader(response), self.hasher.buffers
                while not item.finished:
                    buffer = buffers.take(self.group)
                    kept = False  # by the hasher, which then gives the buffer back
                    try:
                        offset = item.offset
                        chunk = self.stream_chunk if self.plan.whole else self.chunk
                        view = memoryview(buffer)[: writer.gather_bytes(offset, chunk)]
                        count, failure = gather(reader, view, accept, self.group)
                        if count:
                            # Bytes hashed from memory are never read back: they may
                            # skip the page cache.
                            kept = self.hasher.offer(offset, buffer, count, self.group)
                            write_chunk(
                                writer,
                                view[:count],
                                offset,
                                kept,
                                self.task,
                                lambda: self.size - self.plan.done_bytes(),
                                self.options,
                            )
                    finally:
                        if not kept:
                            buffers.give(buffer)
                    if count:
                        self.plan.advance(item, count)
                    self.group.check()
                    if failure is not None:
                        raise RetryableError(describe_network_error(failure, self.options))
                    if not count:
                        break
                self.group.check()
                if not item.finished:
                    raise RetryableError(
                        f"the connection closed {item.end - item.offset} bytes before the "
                        "end of a part"
                    )
                if item.end == asked_end:
                    response.raw.release_conn()  # fully read: keep it for the next range
                # else the probe or a steal cut the range: closing drops what is in flight
        finally:
            self.group.detach()

    def _probe_step(self, item: Range, count: int) -> None:
        """Called by the probing worker after each chunk: decide once the window is over."""
        self.probe_bytes += count
        elapsed = time.monotonic() - self.probe_began
        if self.probe_bytes < self.options.probe_bytes and elapsed < self.options.probe_seconds:
            return
        self.probing = False
        rate = self.probe_bytes / max(elapsed, 1e-6)
        if rate >= self.options.single_stream_fast_bps:
            log.info("%s: one connection moves %.0f MB/s; no parts", self.task.path, rate / 1e6)
            self.watch_began, self.watch_bytes = time.monotonic(), 0
            return
        self._split(item, f"one connection moves {rate / 1e6:.1f} MB/s")

    def _watch_step(self, item: Range, count: int) -> None:
        """Called by the one connection the probe kept, after each chunk: a server may
        slow a connection down once it has sent a first stretch (nginx's
        `limit_rate_after`, a CDN's burst); the rest is split after all when a whole
        `WATCH_SECONDS` moved less than `single_stream_fast_bps`."""
        self.watch_bytes += count
        elapsed = time.monotonic() - self.watch_began
        if elapsed < WATCH_SECONDS:
            return
        rate = self.watch_bytes / elapsed
        self.watch_began, self.watch_bytes = time.monotonic(), 0
        if rate >= self.options.single_stream_fast_bps:
            return
        if self.size - item.offset < self.options.part_threshold_bytes:
            return  # too little left to be worth more connections
        self._split(item, f"the connection slowed to {rate / 1e6:.1f} MB/s")

    def _split(self, item: Range, why: str) -> None:
        """Cut the one connection's range to its share; the supervisor starts the rest."""
        log.info("%s: %s; the rest in %d parts", self.task.path, why, self.options.parallel_parts)
        self.plan.split(item)
        self.split.set()
        self.changed.set()


class _Done(Exception):
    """Ends an attempt's group once the supervisor is done with it."""


def _sync_data(fd: int) -> None:
    getattr(os, "fdatasync", os.fsync)(fd)
