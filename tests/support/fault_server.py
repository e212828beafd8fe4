"""A loopback file server with Range support and scripted faults.

`BlobServer` serves named blobs at `/blobs/<name>` (bytes in memory, or a file
on disk sent with sendfile for the benchmark), honours `Range`/`If-Range`, and
for each request takes the next fault queued for that blob:

    truncate:N     full Content-Length, but close after N bytes
    reset:N        send N bytes, then reset the connection (RST)
    wrong_bytes    the right length, wrong content
    ignore_range   answer 200 with the whole body even when a Range was asked
    bad_range      answer 206 with a Content-Range other than the one asked
    status:CODE    answer CODE (429/5xx/403/404...) with an empty body
    retry_after:S  with status 429, send Retry-After: S
    stall:N        send N bytes, then send nothing until the server stops
    length:VALUE   announce `Content-Length: VALUE` (e.g. "abc"), still sending the body
    double_length  announce `Content-Length: N, N` (legal: equal repeated values)
    lie_range      answer a Range with 206 and the asked Content-Range, but send the
                   bytes from offset 0 (a spliced file)
    throttle:BPS   send this answer at BPS bytes per second (one slow connection)

`throttle` (bytes per second per connection) makes kill-half-way tests
deterministic. `connection_rates` ({serial: bytes per second}) slows every answer
on the given connections, numbered from 1 in the order they are accepted, for as
long as each lives (keep-alive included): one slow connection among fast ones.
Each RequestRecord names its connection. Listens on 127.0.0.1 only; `close()` (or
the context manager) stops every thread, including stalled ones.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import struct
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

_RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")


@dataclass
class Blob:
    data: bytes | None = None
    file: Path | None = None
    etag: str | None = None

    @property
    def size(self) -> int:
        return len(self.data) if self.data is not None else self.file.stat().st_size  # type: ignore[union-attr]

    @property
    def sha256(self) -> str:
        assert self.data is not None
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class RequestRecord:
    path: str
    method: str
    range: str | None
    if_range: str | None
    status: int
    sent: int
    headers: dict[str, str]
    began: float = 0.0  # time.monotonic() when the request arrived / was answered
    ended: float = 0.0
    connection: int = 0  # the serial of the connection it came on (from 1)


class BlobServer:
    """Serves blobs on 127.0.0.1:<port>/blobs/<name>."""

    def __init__(
        self, throttle: int | None = None, connection_rates: dict[int, int] | None = None
    ) -> None:
        self.blobs: dict[str, Blob] = {}
        self.connection_rates = dict(connection_rates or {})
        self._connections = 0
        self.faults: dict[str, deque[list[str]]] = defaultdict(deque)
        self.requests: list[RequestRecord] = []
        self.bytes_sent: dict[str, int] = defaultdict(int)
        self.throttle = throttle
        # Called first with every request; False means it answered (see proxy_server.ViaOnly).
        self.gate: Callable[[BaseHTTPRequestHandler], bool] | None = None
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._in_flight = 0
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="test-blob-server",
            daemon=True,
        )
        self._thread.start()

    # ---- set-up ----------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, name: str) -> str:
        return f"{self.base_url}/blobs/{name}"

    def add(
        self,
        name: str,
        data: bytes | None = None,
        file: Path | None = None,
        etag: str | None = None,
    ) -> Blob:
        if etag is None:
            etag = f'"{hashlib.sha256(data).hexdigest()}"' if data is not None else f'"{name}"'
        blob = Blob(data=data, file=file, etag=etag)
        self.blobs[name] = blob
        return blob

    def fail_next(self, name: str, *faults: str) -> None:
        """Queue one request's faults, e.g. fail_next("a", "status:429", "retry_after:1")."""
        with self._lock:
            self.faults[name].append(list(faults))

    def settle(self, timeout: float = 30.0) -> None:
        """Wait until every request that arrived is answered and recorded. A request is
        recorded after its last byte went out, or once a write to a client that went
        away fails: wait for this, never sleep, before counting requests or bytes."""
        with self._idle:
            if not self._idle.wait_for(lambda: self._in_flight == 0, timeout):
                raise AssertionError(f"{self._in_flight} request(s) still unanswered")

    def close(self) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    def __enter__(self) -> BlobServer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ---- serving ---------------------------------------------------------------------

    def _next_faults(self, name: str) -> dict[str, str]:
        with self._lock:
            queue = self.faults.get(name)
            items = queue.popleft() if queue else []
        parsed = {}
        for item in items:
            key, _, value = item.partition(":")
            parsed[key] = value
        return parsed

    def serve_blob(
        self,
        handler: BaseHTTPRequestHandler,
        name: str,
        extra_headers: dict[str, str] | None = None,
    ) -> None:
        began = time.monotonic()
        blob = self.blobs.get(name)
        if blob is None:
            handler.send_response(404)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            self._record(handler, name, 404, 0)
            return
        faults = self._next_faults(name)
        if "status" in faults:
            code = int(faults["status"])
            handler.send_response(code)
            if "retry_after" in faults:
                handler.send_header("Retry-After", faults["retry_after"])
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            self._record(handler, name, code, 0)
            return

        size = blob.size
        start, end = 0, size - 1
        status = 200
        asked = handler.headers.get("Range")
        if_range = handler.headers.get("If-Range")
        match = _RANGE.match(asked or "")
        if match and "ignore_range" not in faults and (if_range is None or if_range == blob.etag):
            start = int(match.group(1))
            end = int(match.group(2)) if match.group(2) else size - 1
            if start >= size:
                handler.send_response(416)
                handler.send_header("Content-Range", f"bytes */{size}")
                handler.send_header("Content-Length", "0")
                handler.end_headers()
                self._record(handler, name, 416, 0)
                return
            status = 206
        length = end - start + 1
        handler.send_response(status)
        announced = f"{length}, {length}" if "double_length" in faults else str(length)
        handler.send_header("Content-Length", faults.get("length", announced))
        handler.send_header("Accept-Ranges", "bytes")
        handler.send_header("ETag", blob.etag or "")
        handler.send_header("Content-Type", "application/octet-stream")
        if status == 206:
            shown = start + 1 if "bad_range" in faults else start
            handler.send_header("Content-Range", f"bytes {shown}-{end}/{size}")
        for key, value in (extra_headers or {}).items():
            handler.send_header(key, value)
        handler.end_headers()
        if handler.command == "HEAD":
            self._record(handler, name, status, 0)
            return

        limit = length
        for key in ("truncate", "reset", "stall"):
            if key in faults:
                limit = min(length, int(faults[key]))
        body_start = 0 if "lie_range" in faults else start
        throttle = int(faults["throttle"]) if "throttle" in faults else self.throttle
        throttle = self.connection_rates.get(_serial(handler), throttle)
        fast_first = int(faults.get("throttle_after", 0))  # as nginx's limit_rate_after
        sent = self._send_range(
            handler, blob, body_start, limit, "wrong_bytes" in faults, throttle, fast_first
        )
        self._record(handler, name, status, sent, began)
        if "stall" in faults:
            self.stopping.wait()
            handler.close_connection = True
        elif "reset" in faults:
            handler.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
            handler.close_connection = True
        elif "truncate" in faults:
            handler.close_connection = True

    def _send_range(
        self,
        handler: BaseHTTPRequestHandler,
        blob: Blob,
        start: int,
        length: int,
        wrong: bool,
        throttle: int | None,
        fast_first: int = 0,
    ) -> int:
        """Send `length` bytes from `start`; at most `throttle` bytes a second once the
        first `fast_first` bytes went out at full speed."""
        sent = 0
        step = 256 * 1024 if not throttle else max(1024, min(256 * 1024, throttle // 10))
        try:
            if blob.file is not None and not throttle and not wrong:
                handler.wfile.flush()
                with open(blob.file, "rb") as handle:
                    sent = handler.connection.sendfile(handle, start, length)
                return sent
            began, throttled_from = time.monotonic(), 0
            while sent < length and not self.stopping.is_set():
                size = min(step, length - sent)
                if sent < fast_first:
                    size = min(size, fast_first - sent)
                piece = self._read(blob, start + sent, size)
                if wrong:
                    piece = bytes(b ^ 0xFF for b in piece[:16]) + piece[16:]
                    wrong = False
                handler.wfile.write(piece)
                sent += len(piece)
                if throttle and sent <= fast_first:
                    began, throttled_from = time.monotonic(), sent
                elif throttle:
                    ahead = (sent - throttled_from) / throttle - (time.monotonic() - began)
                    if ahead > 0 and self.stopping.wait(ahead):
                        break
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True
        return sent

    @staticmethod
    def _read(blob: Blob, offset: int, length: int) -> bytes:
        if blob.data is not None:
            return blob.data[offset : offset + length]
        with open(blob.file, "rb") as handle:  # type: ignore[arg-type]
            handle.seek(offset)
            return handle.read(length)

    def _record(
        self,
        handler: BaseHTTPRequestHandler,
        name: str,
        status: int,
        sent: int,
        began: float | None = None,
    ) -> None:
        now = time.monotonic()
        with self._lock:
            self._answered(handler)
            self.bytes_sent[name] += sent
            self.requests.append(
                RequestRecord(
                    path=handler.path,
                    method=handler.command,
                    range=handler.headers.get("Range"),
                    if_range=handler.headers.get("If-Range"),
                    status=status,
                    sent=sent,
                    headers=dict(handler.headers.items()),
                    began=now if began is None else began,
                    ended=now,
                    connection=_serial(handler),
                )
            )

    def _arrived(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            handler.in_flight = True  # type: ignore[attr-defined]
            self._in_flight += 1

    def _answered(self, handler: BaseHTTPRequestHandler) -> None:
        """Count `handler`'s request as answered, once (the caller holds the lock)."""
        if getattr(handler, "in_flight", False):
            handler.in_flight = False  # type: ignore[attr-defined]
            self._in_flight -= 1
            self._idle.notify_all()

    def handle_other(self, handler: BaseHTTPRequestHandler) -> bool:
        """Hook for subclasses (the Hub server); True when the request was answered."""
        return False

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 30

            def log_message(self, *args: object) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                with server._lock:
                    server._connections += 1
                    self.serial = server._connections

            def _dispatch(self) -> None:
                server._arrived(self)
                try:
                    if server.gate is not None and not server.gate(self):
                        pass
                    elif self.path.startswith("/blobs/"):
                        server.serve_blob(self, self.path.removeprefix("/blobs/"))
                    elif not server.handle_other(self):
                        self.send_response(404)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                finally:
                    with server._lock:
                        server._answered(self)

            do_GET = _dispatch
            do_HEAD = _dispatch
            do_POST = _dispatch

        return Handler


def _serial(handler: BaseHTTPRequestHandler) -> int:
    return int(getattr(handler, "serial", 0))


def random_bytes(size: int, seed: int = 0) -> bytes:
    """Deterministic incompressible bytes (fast: repeated sha256 blocks)."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(b"%d:%d" % (seed, counter)).digest() * 32
        counter += 1
    return bytes(out[:size])


def make_file(path: Path, size: int, seed: int = 0) -> str:
    """Write `size` pseudo-random bytes to `path`; returns the sha256."""
    digest = hashlib.sha256()
    block = os.urandom(1 << 20) if seed < 0 else random_bytes(1 << 20, seed)
    with open(path, "wb") as handle:
        left = size
        counter = 0
        while left:
            piece = block[: min(left, len(block))]
            piece = counter.to_bytes(8, "little") + piece[8:] if len(piece) >= 8 else piece
            handle.write(piece)
            digest.update(piece)
            left -= len(piece)
            counter += 1
    return digest.hexdigest()
