"""tinyproxy (Debian's `tinyproxy` package, installed by .ci/run) as a child process on
127.0.0.1: the corporate proxy of the network tests, with or without BasicAuth.

It runs in the foreground (`-d`) as a ChildServer: config, pid file and log in a private
temporary folder, a free port picked (and another one when that was taken meanwhile).
Requests it forwards carry its `Via: ... (tinyproxy/...)` header; `ViaOnly` makes a test
origin refuse (and record) every request that arrives without it.
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler
from pathlib import Path

from tests.support.child_server import ChildServer, free_port
from tests.support.fault_server import BlobServer
from tests.support.nginx_server import needed_tool

__all__ = ["TinyProxy", "ViaOnly", "free_port"]

VIA_MARK = "tinyproxy/"

_CONFIG = """\
Port {port}
Listen 127.0.0.1
Timeout 60
MaxClients 200
LogFile "{prefix}/tinyproxy.log"
LogLevel Connect
PidFile "{prefix}/tinyproxy.pid"
{auth}
"""


class TinyProxy(ChildServer):
    """`with TinyProxy(user="u", password="p") as proxy: proxy.url` ("http://127.0.0.1:N")."""

    program = "tinyproxy"
    attempts = 5

    def __init__(self, user: str | None = None, password: str | None = None) -> None:
        super().__init__()
        self.user = user
        self.password = password

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def display(self) -> str:
        return f"127.0.0.1:{self.port}"

    def requests(self) -> list[str]:
        """The request lines tinyproxy logged ("GET http://...", "CONNECT host:port")."""
        log = self.log()
        lines = log.read_text(errors="replace").splitlines() if log and log.exists() else []
        return [line.split("): ", 1)[1] for line in lines if "Request (file descriptor" in line]

    def __enter__(self) -> TinyProxy:
        super().__enter__()
        return self

    def command(self, prefix: Path) -> list[str]:
        auth = f"BasicAuth {self.user} {self.password}" if self.user else ""
        config = prefix / "tinyproxy.conf"
        config.write_text(_CONFIG.format(port=self.port, prefix=prefix, auth=auth))
        return [needed_tool("tinyproxy"), "-d", "-c", str(config)]

    def log(self) -> Path | None:
        return self.prefix / "tinyproxy.log" if self.prefix is not None else None


class ViaOnly:
    """A gate for a test origin: requests without tinyproxy's Via header are answered
    403 and recorded, so a test fails should anything bypass the proxy."""

    def __init__(self) -> None:
        self.bypassed: list[str] = []

    def check(self, handler: BaseHTTPRequestHandler) -> bool:
        """True when `handler`'s request came through the proxy; else answers it."""
        if VIA_MARK in handler.headers.get("Via", ""):
            return True
        self.bypassed.append(f"{handler.command} {handler.path}")
        handler.send_response(403)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return False

    def install(self, *servers: BlobServer) -> None:
        """Gate every request of the BlobServer/HubServer `servers`."""
        for server in servers:
            server.gate = self.check
