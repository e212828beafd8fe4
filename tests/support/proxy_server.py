"""tinyproxy (Debian's `tinyproxy` package, installed by .ci/run) as a child process on
127.0.0.1: the corporate proxy of the network tests, with or without BasicAuth.

Its config, pid file and log live in a private temporary folder; it runs in the
foreground (`-d`), so stopping it is one signal to one pid. tinyproxy cannot take port 0,
so a free port is picked and the start is retried should another process take it first.
Requests it forwards carry its `Via: ... (tinyproxy/...)` header; `ViaOnly` makes a test
origin refuse (and record) every request that arrives without it.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from tests.support.fault_server import BlobServer

VIA_MARK = "tinyproxy/"
_SYSTEM_DIRS = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

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


def tinyproxy_path() -> str:
    found = shutil.which("tinyproxy") or shutil.which("tinyproxy", path=_SYSTEM_DIRS)
    if not found:
        raise RuntimeError(
            "tinyproxy is not installed: the proxy tests need it (as root: "
            "apt-get install -y tinyproxy; .ci/run installs it)"
        )
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class TinyProxy:
    """`with TinyProxy(user="u", password="p") as proxy: proxy.url` ("http://127.0.0.1:N")."""

    def __init__(self, user: str | None = None, password: str | None = None) -> None:
        self.user = user
        self.password = password
        self.port = 0
        self._prefix: tempfile.TemporaryDirectory[str] | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def display(self) -> str:
        return f"127.0.0.1:{self.port}"

    def requests(self) -> list[str]:
        """The request lines tinyproxy logged ("GET http://...", "CONNECT host:port")."""
        if self._prefix is None:
            return []
        log = Path(self._prefix.name) / "tinyproxy.log"
        lines = log.read_text(errors="replace").splitlines() if log.exists() else []
        return [line.split("): ", 1)[1] for line in lines if "Request (file descriptor" in line]

    def __enter__(self) -> TinyProxy:
        self._prefix = tempfile.TemporaryDirectory(prefix="clary-tinyproxy-")
        try:
            for _attempt in range(5):  # another process may take the free port first
                if self._start(Path(self._prefix.name)):
                    return self
            raise RuntimeError(f"tinyproxy did not start: {self._log()}")
        except BaseException:
            self.__exit__()
            raise

    def __exit__(self, *_exc: object) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        if self._prefix is not None:
            self._prefix.cleanup()
            self._prefix = None

    def _start(self, prefix: Path) -> bool:
        self.port = free_port()
        auth = f"BasicAuth {self.user} {self.password}" if self.user else ""
        config = prefix / "tinyproxy.conf"
        config.write_text(_CONFIG.format(port=self.port, prefix=prefix, auth=auth))
        self._process = subprocess.Popen(
            [tinyproxy_path(), "-d", "-c", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._process = None
                return False  # most likely the port was taken meanwhile: try another
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return True
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"tinyproxy did not listen on port {self.port} within 15 s")

    def _log(self) -> str:
        if self._prefix is None:
            return ""
        log = Path(self._prefix.name) / "tinyproxy.log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"


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
