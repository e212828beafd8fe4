"""Run the API with uvicorn on a background thread: inside the window, or
headless for `clary-models serve`."""

from __future__ import annotations

import logging
import socket
import threading

import uvicorn

from clary_desktop.api.app import create_app
from clary_desktop.app import Registry
from clary_desktop.domain.hosts import is_loopback
from clary_desktop.errors import ClaryError

log = logging.getLogger(__name__)
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
_HANDLER_THREAD_NAME = "AnyIO worker thread"  # anyio's pool for FastAPI's sync handlers


class ApiServer:
    """The API on `host:port` (port 0 picks a free one). `start()` returns once it listens."""

    def __init__(self, registry: Registry, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT):
        self.registry = registry
        self.host = host
        self.port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> None:
        if not is_loopback(self.host):
            log.warning("The API listens on %s, reachable from other machines", self.host)
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as error:
            sock.close()
            raise ClaryError(
                f"Cannot listen on {self.host}:{self.port} ({error.strerror}). "
                "Another program may use that port; choose another with --port."
            ) from None
        sock.listen(128)
        self.port = sock.getsockname()[1]
        self._socket = sock
        config = uvicorn.Config(
            create_app(self.registry, host=self.host, port=self.port),
            log_level="warning",
            access_log=False,
            lifespan="off",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="clary-api", daemon=True
        )
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise ClaryError("The API server stopped while starting; see the log.")
            self._thread.join(0.02)
        log.info("API listening on %s", self.url)

    def stop(self, timeout: float = 10) -> None:
        """Stop serving; returns once the server thread and the worker threads that ran
        its handlers have ended (they end with the server's event loop)."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            for worker in threading.enumerate():
                if worker.name == _HANDLER_THREAD_NAME:
                    worker.join(timeout)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def wait(self) -> None:
        """Block until the server stops (Ctrl+C in `clary-models serve`)."""
        if self._thread is not None:
            while self._thread.is_alive():
                self._thread.join(0.5)
