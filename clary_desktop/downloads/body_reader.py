"""Reading a response body into buffers the caller owns.

`read1` makes a new bytes object for every read. At a gigabyte a second that is a
thousand fresh megabyte buffers a second, freed by other threads at other times; the
allocator kept the holes they left, so the process grew with the file (66 MiB over a
2 GiB download in parts, past the 64 MiB the downloads promise). `BodyReader` reads
into a buffer from a `BufferPool` instead, with `read1`'s meaning: whatever one read
of the socket brings (at least one byte), so a stalled connection still hands over
every byte it sent before it stalled.

For a body with a length or read to the close (not chunked), it reads through the
http.client response under urllib3's, from the socket straight into the buffer, and
keeps that response's count of what is left, as its own `read1` does (so the
connection can serve the next request). A body that ends before its announced
length, and a failure other than a stall or a reset, are raised as urllib3's
ProtocolError, as urllib3 would. Any other body (chunked, or a
response urllib3 has already read from) is read with urllib3's `read1` and copied.
"""

from __future__ import annotations

import http.client

import requests
import urllib3


class BodyReader:
    """`readinto(view)`: the next bytes of the body, up to len(view), into `view`; how
    many (0 at the body's end)."""

    def __init__(self, response: requests.Response) -> None:
        self._raw = response.raw
        self._direct = _plain_http_client_response(response.raw)

    @property
    def reads_directly(self) -> bool:
        """True when the bytes go from the socket into the caller's buffer (no copy)."""
        return self._direct is not None

    def readinto(self, view: memoryview) -> int:
        direct = self._direct
        if direct is None:
            data = self._raw.read1(len(view))
            view[: len(data)] = data
            return len(data)
        try:
            return _readinto1(direct, view)
        except (TimeoutError, ConnectionError):  # a stall, a reset: the callers know these
            raise
        except OSError as error:  # a TLS failure, among others
            raise urllib3.exceptions.ProtocolError(f"Connection broken: {error!r}", error) from None


def _plain_http_client_response(raw: object) -> http.client.HTTPResponse | None:
    """The http.client response under urllib3's, when its body is not chunked and urllib3
    has not read from it yet (its own buffers would hold bytes we never see)."""
    inner = getattr(raw, "_fp", None)
    if not isinstance(inner, http.client.HTTPResponse) or inner.chunked:
        return None
    if not hasattr(inner.fp, "readinto1"):  # not the buffered socket file it reads from
        return None
    if getattr(raw, "_uncached_read_occurred", True) or getattr(raw, "_decoded_buffer", None):
        return None
    return inner


def _readinto1(inner: http.client.HTTPResponse, view: memoryview) -> int:
    """http.client's `read1`, into `view`: one read of the socket at most (or of what
    http.client holds already), the length left kept up to date, the response closed
    at the body's end as http.client's own reads close it."""
    fp = inner.fp
    if fp is None:
        return 0
    length: int | None = inner.length
    if length is not None:
        view = view[:length]
    count = fp.readinto1(view) if len(view) else 0
    if length is not None:
        inner.length = length - count
    if count == 0 or inner.length == 0:
        inner.close()  # the connection is free for the next request
    if count == 0 and length:  # closed before the length it announced, as urllib3 says it
        error = http.client.IncompleteRead(b"", length)
        raise urllib3.exceptions.ProtocolError(f"Connection broken: {error!r}", error)
    return count
