"""huggingface_hub's shared HTTP client (httpx2), set up by a NetworkConfig.

huggingface_hub makes its requests through one process-wide client built by a factory;
`use_for_hub` installs a factory whose client routes each request the way NetworkConfig
says (the same proxy choice and trust as our own transfers) and turns proxy and
certificate failures into plain words. The client is rebuilt only when the config
changes.
"""

from __future__ import annotations

import threading

import httpx2
from huggingface_hub import set_client_factory

# The Hub's own request hook (offline mode, request ids) has no public name; the client we
# build keeps it, as the default client does.
from huggingface_hub.utils._http import hf_request_event_hook

from clary_desktop.network.config import NetworkConfig
from clary_desktop.network.problems import explain, proxy_refused, refused_by_proxy

_lock = threading.Lock()
_installed: NetworkConfig | None = None


def use_for_hub(config: NetworkConfig) -> None:
    """Make huggingface_hub's requests follow `config` from now on."""
    global _installed
    with _lock:
        if _installed == config:
            return
        set_client_factory(lambda: _client(config))
        _installed = config


def _client(config: NetworkConfig) -> httpx2.Client:
    return httpx2.Client(
        transport=RoutingTransport(config),
        trust_env=False,
        event_hooks={"request": [hf_request_event_hook]},
        follow_redirects=True,
        timeout=None,
    )


class RoutingTransport(httpx2.BaseTransport):
    """One pool per proxy (None: direct); each request goes where the config says."""

    def __init__(self, config: NetworkConfig) -> None:
        self._config = config
        self._lock = threading.Lock()
        self._pools: dict[str | None, httpx2.HTTPTransport] = {}

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        url = str(request.url)
        proxy = self._config.proxy_for(url)
        with self._lock:
            pool = self._pools.get(proxy)
            if pool is None:
                pool = httpx2.HTTPTransport(
                    verify=self._config.ssl_context, trust_env=False, proxy=proxy
                )
                self._pools[proxy] = pool
        try:
            response = pool.handle_request(request)
        except httpx2.TransportError as error:
            better = explain(error, url, self._config.proxy_address_for(url))
            if better is None:
                raise
            raise better from None
        refused = proxy and refused_by_proxy(response.status_code, response.headers.get("Via"))
        address = self._config.proxy_address_for(url) if refused else None
        if address is not None:
            response.close()
            raise proxy_refused(address)
        return response

    def close(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()
