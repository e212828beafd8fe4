"""Which proxy a request goes through and which certificates are trusted: the one
answer every HTTP client of the program (transfers, Hub metadata, catalog sync, the
network probe) asks for.

Proxy choice, per request:
- the `proxy` setting, when set, carries every request (loopback addresses included)
  except hosts listed in the `no_proxy` setting; the environment's proxy variables are
  then ignored;
- else HTTPS_PROXY / HTTP_PROXY / ALL_PROXY from the environment (and, on Windows and
  macOS, the system's proxy settings, as the standard library reads them), except hosts
  in NO_PROXY. Loopback gets no special treatment: list localhost,127.0.0.1 in NO_PROXY
  (or no_proxy) to reach a server on this computer directly.

A proxy that wants a user name and password: the user is the `proxy_user` setting, the
password lives in the OS keychain (see secrets.py), never in the settings file.

TLS is always verified: against the operating system's trust store (truststore), so a
company root installed on the machine is trusted, plus the certificates of the optional
`ca_bundle` setting (a PEM file). There is no way to switch verification off.
"""

from __future__ import annotations

import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from clary_desktop.errors import ClaryError
from clary_desktop.network.secrets import proxy_password
from clary_desktop.network.tls import check_ca_bundle, trust_context
from clary_desktop.settings import Settings

if TYPE_CHECKING:
    import ssl

HTTP_SCHEMES = ("http", "https")


@dataclass(frozen=True)
class ProxyAddress:
    """A proxy's URL without credentials, split for messages and for adding them."""

    scheme: str
    host: str
    port: int

    @property
    def display(self) -> str:
        """HOST:PORT, the words error messages name the proxy by."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def url(self, user: str | None = None, password: str | None = None) -> str:
        auth = ""
        if user:
            auth = urllib.parse.quote(user, safe="")
            if password is not None:
                auth += ":" + urllib.parse.quote(password, safe="")
            auth += "@"
        return f"{self.scheme}://{auth}{self.display}"


def parse_proxy(text: str) -> tuple[ProxyAddress, str | None, str | None]:
    """(address, user, password) of a proxy URL such as http://user:pw@host:3128;
    "host:port" means http. Raises ValueError with a plain sentence."""
    value = text.strip()
    if "://" not in value:
        value = f"http://{value}"
    parts = urllib.parse.urlsplit(value)
    scheme = parts.scheme.lower()
    if scheme not in HTTP_SCHEMES:
        raise ValueError(
            f"the proxy {text!r} is not an http:// or https:// proxy (SOCKS proxies are not "
            "supported)"
        )
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"the proxy {text!r} has an invalid port") from None
    if not parts.hostname:
        raise ValueError(f"the proxy {text!r} names no host")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"the proxy {text!r} must be only a scheme, a host and a port")
    address = ProxyAddress(scheme, parts.hostname, port or (443 if scheme == "https" else 80))
    user = urllib.parse.unquote(parts.username) if parts.username else None
    password = urllib.parse.unquote(parts.password) if parts.password is not None else None
    return address, user, password


def check_network_settings(settings: Settings) -> None:
    """Refuse a `proxy` that is not a usable proxy address or that carries a password
    (passwords go to the keychain, never into the settings file), and a `ca_bundle` that
    is not a PEM file of certificates. Raises ClaryError with a plain sentence."""
    if settings.proxy:
        try:
            _address, user, password = parse_proxy(settings.proxy)
        except ValueError as error:
            raise ClaryError(f"The proxy setting cannot be used: {error}.") from None
        if user or password:
            raise ClaryError(
                "The proxy address must not carry a user name or password: put the user name "
                "in the proxy user setting; the password is kept in the system keychain. "
                "Nothing was saved."
            )
    if settings.proxy_user and not settings.proxy:
        raise ClaryError("A proxy user needs a proxy: set the proxy address too.")
    if settings.ca_bundle:
        check_ca_bundle(Path(settings.ca_bundle).expanduser())


@dataclass(frozen=True)
class NetworkConfig:
    """The proxy and trust set-up of one moment's settings (and environment)."""

    proxy: ProxyAddress | None = None
    proxy_user: str | None = None
    proxy_password: str | None = field(default=None, repr=False)
    no_proxy: str | None = None
    ca_bundle: Path | None = None

    @classmethod
    def from_settings(cls, settings: Settings, read_password: bool = True) -> NetworkConfig:
        """Reads the keychain when a proxy user is set (unless `read_password` is False:
        the probe only needs the proxy's address). A proxy setting that cannot be used
        (a hand-edited settings file) raises ClaryError."""
        try:
            address = parse_proxy(settings.proxy)[0] if settings.proxy else None
        except ValueError as error:
            raise ClaryError(
                f"The proxy setting cannot be used: {error}. Correct it, or clear it to go "
                "without a proxy."
            ) from None
        user = settings.proxy_user or None
        password = None
        if address is not None and user is not None and read_password:
            password = proxy_password(address.display, user)
        return cls(
            proxy=address,
            proxy_user=user,
            proxy_password=password,
            no_proxy=settings.no_proxy or None,
            ca_bundle=Path(settings.ca_bundle).expanduser() if settings.ca_bundle else None,
        )

    # ---- proxies ---------------------------------------------------------------------

    def proxy_for(self, url: str) -> str | None:
        """The proxy URL (credentials included) a request to `url` goes through, or
        None: straight to the server."""
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        if self.proxy is not None:
            if self.no_proxy and bypassed(host, netloc, self.no_proxy):
                return None
            return self.proxy.url(self.proxy_user, self.proxy_password)
        found = urllib.request.getproxies()
        proxy = found.get(parts.scheme.lower()) or found.get("all")
        if not proxy or (host and urllib.request.proxy_bypass(netloc)):
            return None
        return proxy if "://" in proxy else f"http://{proxy}"

    def proxy_address_for(self, url: str) -> ProxyAddress | None:
        """The proxy of `url` without credentials (for messages and the probe)."""
        proxy = self.proxy_for(url)
        if proxy is None:
            return None
        try:
            return parse_proxy(proxy)[0]
        except ValueError:
            return None

    # ---- certificates ----------------------------------------------------------------

    @cached_property
    def ssl_context(self) -> ssl.SSLContext:
        """The OS trust store plus `ca_bundle`; raises ClaryError for a bad bundle."""
        return trust_context(self.ca_bundle)


def bypassed(host: str, netloc: str, rules: str) -> bool:
    """Whether `host` (or HOST:PORT `netloc`) is among comma-separated `rules`, read as
    NO_PROXY is: "*" for every host, a name for itself and its subdomains (a leading "."
    or "*." changes nothing), HOST:PORT for that port only."""
    host, netloc = host.lower(), netloc.lower()
    for rule in rules.split(","):
        name = rule.strip().lower().removeprefix("*").lstrip(".")
        if rule.strip() == "*":
            return True
        if name and (name in (host, netloc) or host.endswith("." + name)):
            return True
    return False
