"""Failures only the proxy or the certificates explain, in plain words.

Every HTTP client of the program passes its exceptions through `explain`: a proxy
that wants credentials (407), a proxy that cannot be reached, and a certificate the
connection refused each become one sentence naming the proxy or the problem and what to
do. Anything else is left to the caller's own handling.
"""

from __future__ import annotations

import re
import socket
import ssl
import urllib.parse
from collections.abc import Iterator

from clary_desktop.errors import DownloadFailed
from clary_desktop.network.config import ProxyAddress
from clary_desktop.network.secrets import PROXY_PASSWORD_ENV

_UNKNOWN_ISSUER = {2, 18, 19, 20, 21}  # X509_V_ERR_*: no trusted issuer for the chain
_EXPIRED = 10
_NOT_YET_VALID = 9
_HOST_MISMATCH = 62
# The proxy's answer to CONNECT, as urllib3 ("Tunnel connection failed: 407 ...") and
# httpcore ("407 Proxy Authentication Required") report it.
_TUNNEL_STATUS = re.compile(r"(?:Tunnel connection failed: |^)(\d{3})\b([^|']*)")


class ProxyRefused(DownloadFailed):
    """The proxy answered 407: no or wrong credentials. Retrying cannot help."""


class CertificateRefused(DownloadFailed):
    """The server's certificate failed verification. Retrying cannot help."""


class ProxyUnreachable(ConnectionError):
    """No connection to the proxy. Retried like any lost connection; its message says
    that it is the proxy, not the server, that cannot be reached."""


def proxy_refused(proxy: ProxyAddress) -> ProxyRefused:
    return ProxyRefused(
        f"The proxy at {proxy.display} refused the request: it needs a user name and "
        "password (or the ones given are wrong). Set the proxy user in the settings and keep "
        f"its password in the system keychain (or set {PROXY_PASSWORD_ENV}); ask IT for the "
        "right ones if they are set already."
    )


def proxy_unreachable(proxy: ProxyAddress) -> ProxyUnreachable:
    return ProxyUnreachable(
        f"the proxy at {proxy.display} cannot be reached (check the proxy setting, or "
        "HTTPS_PROXY/HTTP_PROXY, and that the proxy is running)"
    )


def proxy_failed_upstream(proxy: ProxyAddress, url: str, status: str) -> ProxyUnreachable:
    return ProxyUnreachable(
        f"the proxy at {proxy.display} could not reach {_host(url)} (it answered {status})"
    )


def certificate_refused(error: ssl.SSLCertVerificationError, url: str) -> CertificateRefused:
    code = getattr(error, "verify_code", None)
    text = str(getattr(error, "verify_message", "") or error)
    if code == _HOST_MISMATCH or "mismatch" in text.lower():  # a host name or an IP address
        host = urllib.parse.urlsplit(url).hostname or _host(url)
        problem = f"the certificate is for another host name, not {host}"
    elif code == _EXPIRED:
        problem = "the certificate has expired (or this computer's clock is wrong)"
    elif code == _NOT_YET_VALID:
        problem = "the certificate is not valid yet (or this computer's clock is wrong)"
    elif code in _UNKNOWN_ISSUER:
        problem = "the certificate is signed by an unknown issuer (a certificate authority "
        problem += "this computer does not trust)"
    else:
        problem = f"the certificate was refused ({text})"
    return CertificateRefused(
        f"The secure connection to {_host(url)} was refused: {problem}. If your company "
        "inspects HTTPS with its own root certificate, add that certificate to the system's "
        "trust store, or point the ca_bundle setting at it (a PEM file). Certificate checks "
        "are never switched off."
    )


def refused_by_proxy(status: int, via: str | None) -> bool:
    """Whether an answer to a request sent through a proxy is the proxy refusing it: a
    407, or a 401 the proxy wrote itself (some proxies, tinyproxy among them, answer wrong
    credentials so). An answer the proxy only forwarded carries a Via header, which every
    proxy must add (RFC 9110, 7.6.3); one without it is the proxy's own."""
    return status == 407 or (status == 401 and not via)


def explain(error: BaseException, url: str, proxy: ProxyAddress | None) -> Exception | None:
    """The plain-words exception for `error` (a request to `url` through `proxy`, or
    straight when None), or None when neither the proxy nor a certificate explains it."""
    chain = list(_chain(error))
    for item in chain:
        if isinstance(item, ssl.SSLCertVerificationError):
            return certificate_refused(item, url)
        if isinstance(item, ProxyRefused | CertificateRefused | ProxyUnreachable):
            return item
    if proxy is None:
        return None
    for item in chain:
        proxy_said = type(item).__name__ == "ProxyError" or "Tunnel connection" in str(item)
        tunnel = _TUNNEL_STATUS.search(str(item)) if proxy_said else None
        if tunnel and tunnel.group(1) in ("401", "407"):  # CONNECT: only the proxy answers
            return proxy_refused(proxy)
        if tunnel:
            return proxy_failed_upstream(proxy, url, "".join(tunnel.groups()).strip())
    if any(_is_connect_failure(item) for item in chain):
        return proxy_unreachable(proxy)
    return None


def _is_connect_failure(error: BaseException) -> bool:
    """A failure to open the TCP connection (which, through a proxy, is the proxy's)."""
    if isinstance(error, ConnectionRefusedError | socket.gaierror):
        return True
    name = type(error).__name__
    return name in ("NewConnectionError", "ConnectTimeout", "ConnectTimeoutError") or (
        name == "ConnectError" and "ssl" not in str(error).lower()
    )


def _chain(error: BaseException) -> Iterator[BaseException]:
    """`error` and every exception it wraps (causes, contexts, urllib3's reasons and the
    exceptions carried in args), each once."""
    seen: set[int] = set()
    todo = [error]
    while todo:
        item = todo.pop(0)
        if id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        linked = [item.__cause__, item.__context__, getattr(item, "reason", None)]
        linked += [arg for arg in item.args if isinstance(arg, BaseException)]
        todo += [e for e in linked if isinstance(e, BaseException)]


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc or url
