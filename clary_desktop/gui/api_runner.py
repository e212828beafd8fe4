"""The local API inside the window: one ApiServer on the window's own Registry, so a
download started through the API shows in the window's queue.

`apply()` and `stop()` block (binding, joining uvicorn's thread): the window calls
them on a worker thread, and `stop()` once more at shutdown.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from clary_desktop.app.registry import Registry

if TYPE_CHECKING:
    from clary_desktop.api.server import ApiServer  # loaded when the API is switched on

log = logging.getLogger(__name__)


class ApiRunner:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self._lock = threading.Lock()
        self._server: ApiServer | None = None
        self._address: tuple[str, int] | None = None
        self._closed = False

    @property
    def url(self) -> str | None:
        server = self._server
        return server.url if server is not None else None

    @property
    def running(self) -> bool:
        return self._server is not None

    def apply(self, enabled: bool, host: str, port: int) -> str | None:
        """Run the API as the settings say (start, restart on a new address, or stop);
        returns its URL when it runs. Raises ClaryError when the port is taken."""
        with self._lock:
            wanted = (host, port) if enabled and not self._closed else None
            if wanted == self._address and (wanted is None or self._server is not None):
                return self.url
            self._stop_locked()
            if wanted is None:
                return None
            # FastAPI and uvicorn load only when the API is switched on (heavy, slow to import).
            from clary_desktop.api.server import ApiServer

            server = ApiServer(self._registry, host=host, port=port)
            server.start()
            self._server = server
            self._address = wanted
            log.info("local API on %s", server.url)
            return server.url

    def stop(self) -> None:
        with self._lock:
            self._stop_locked()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._stop_locked()

    def _stop_locked(self) -> None:
        server, self._server, self._address = self._server, None, None
        if server is not None:
            server.stop()
