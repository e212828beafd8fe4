"""requests sessions that follow a NetworkConfig: each request picks its proxy from the
config (never from requests' own reading of the environment), and every HTTPS
connection, through a proxy or not, verifies with the config's trust (OS store plus
ca_bundle). Proxy and certificate failures come out in plain words (problems.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from clary_desktop.network.config import NetworkConfig
from clary_desktop.network.problems import (
    ProxyUnreachable,
    explain,
    proxy_refused,
    refused_by_proxy,
)


class ProxyUnreachableError(requests.exceptions.ProxyError, ProxyUnreachable):
    """A requests error (so every caller's network-error handling retries it) whose
    message says the proxy cannot be reached."""


class NetworkAdapter(HTTPAdapter):
    def __init__(self, config: NetworkConfig, **kwargs: Any) -> None:
        self.network = config
        self._context = config.ssl_context
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **pool_kwargs: Any) -> None:
        pool_kwargs["ssl_context"] = self._context
        super().init_poolmanager(*args, **pool_kwargs)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        proxy_kwargs.setdefault("ssl_context", self._context)
        return super().proxy_manager_for(proxy, **proxy_kwargs)

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        """Always verify, and only with the context's trust: requests would add its own
        CA bundle (or REQUESTS_CA_BUNDLE's) on top, and a caller's `verify` could turn it off."""
        super().cert_verify(conn, url, True, cert)
        conn.ca_certs = None
        conn.ca_cert_dir = None

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        url = request.url or ""
        proxy = self.network.proxy_for(url)
        chosen = {"http": proxy, "https": proxy} if proxy else {}
        try:
            response = super().send(request, stream, timeout, True, cert, chosen)
        except requests.RequestException as error:
            better = explain(error, url, self.network.proxy_address_for(url))
            if better is None:
                raise
            if isinstance(better, ProxyUnreachable):
                raise ProxyUnreachableError(str(better), request=request) from None
            raise better from None
        refused = proxy and refused_by_proxy(response.status_code, response.headers.get("Via"))
        address = self.network.proxy_address_for(url) if refused else None
        if address is not None:  # a plain-http request the proxy itself refused
            response.close()
            raise proxy_refused(address)
        return response


def new_session(config: NetworkConfig) -> requests.Session:
    """A session whose every request follows `config`."""
    session = requests.Session()
    session.trust_env = False  # the config has read the environment already
    adapter = NetworkAdapter(config)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def sibling_session(base: requests.Session) -> requests.Session:
    """A new session (its own connections) set up as `base` is: for parallel parts."""
    adapter = base.get_adapter("https://")
    if isinstance(adapter, NetworkAdapter):
        return new_session(adapter.network)
    session = requests.Session()
    session.proxies = dict(base.proxies)
    session.trust_env = base.trust_env
    session.verify = base.verify
    session.cert = base.cert
    return session
