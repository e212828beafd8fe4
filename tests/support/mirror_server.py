"""A URL mirror on 127.0.0.1: a `BlobServer` that serves its blobs at the paths a mirror
of other servers keeps them under (`/<host>:<port>/blobs/<name>`, the `wget -x` layout),
with the same Range handling, faults and byte counts."""

from __future__ import annotations

import urllib.parse
from http.server import BaseHTTPRequestHandler

from tests.support.fault_server import BlobServer


class MirrorServer(BlobServer):
    """`mirror.copy(origin, name)` mirrors `origin`'s blob `name` (or `data` instead: a
    lying mirror); requests for it go by that blob's name in `requests`/`bytes_sent`."""

    def __init__(self) -> None:
        self.paths: dict[str, str] = {}
        super().__init__()

    def copy(self, origin: BlobServer, name: str, data: bytes | None = None) -> str:
        """Serve `origin.url(name)` at the mirror's path for it; returns that path."""
        parts = urllib.parse.urlsplit(origin.url(name))
        path = f"/{parts.netloc}{parts.path}"
        self.paths[path] = name
        self.add(name, data if data is not None else origin.blobs[name].data)
        return path

    def handle_other(self, handler: BaseHTTPRequestHandler) -> bool:
        path = urllib.parse.urlsplit(handler.path).path
        name = self.paths.get(path)
        if name is None:  # a file the mirror lacks: answered and recorded like the others
            handler.send_response(404)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            self._record(handler, path, 404, 0)
            return True
        self.serve_blob(handler, name)
        return True
