"""A `BlobServer` that also misbehaves in ways no fault of one request covers.

    /forever      200 without a Content-Length, streaming bytes until the client
                  hangs up or the server stops (`forever_sent` counts them)
    /redirect?to=URL   302 to URL (any scheme, e.g. file:///etc/passwd)
    /loop         302 to itself, for ever

Blobs and their faults (`/blobs/<name>`) work as in `BlobServer`.
"""

from __future__ import annotations

import urllib.parse
from http.server import BaseHTTPRequestHandler

from tests.support.fault_server import BlobServer

CHUNK = b"\x5a" * (64 * 1024)


class HostileServer(BlobServer):
    def __init__(self) -> None:
        self.forever_sent = 0
        super().__init__()

    def handle_other(self, handler: BaseHTTPRequestHandler) -> bool:
        parts = urllib.parse.urlsplit(handler.path)
        if parts.path == "/forever":
            self._forever(handler)
        elif parts.path == "/redirect":
            self._redirect(handler, urllib.parse.parse_qs(parts.query)["to"][0])
        elif parts.path == "/loop":
            self._redirect(handler, "/loop")
        else:
            return False
        return True

    def _redirect(self, handler: BaseHTTPRequestHandler, location: str) -> None:
        handler.send_response(302)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        self._record(handler, handler.path, 302, 0)

    def _forever(self, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/octet-stream")
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.close_connection = True
        try:
            while not self.stopping.is_set():
                handler.wfile.write(CHUNK)
                self.forever_sent += len(CHUNK)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self._record(handler, handler.path, 200, self.forever_sent)
