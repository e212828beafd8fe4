"""Is the network there? A quick probe for the window's online/offline indicator and
for starting queued downloads by themselves when the network returns.

The probe is a plain TCP connect to the endpoint's host and port, with a short
timeout, and is never made in offline mode. It blocks for up to `timeout`
seconds: the GUI calls it from a worker thread on a timer (say every 30 s).
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from clary_desktop.errors import ClaryError
from clary_desktop.network.config import NetworkConfig
from clary_desktop.settings import Settings, offline_forced_by_environment

DEFAULT_ENDPOINT = "https://huggingface.co"


def network_allowed(settings: Settings) -> bool:
    """False in offline mode (the setting, or CLARY_OFFLINE=1): touch no network at all."""
    return not (settings.offline or offline_forced_by_environment())


def is_online(endpoint: str = DEFAULT_ENDPOINT, timeout: float = 3.0) -> bool:
    """True when a TCP connection to the endpoint's host opens within `timeout` seconds."""
    parts = urlsplit(endpoint if "//" in endpoint else f"//{endpoint}")
    host = parts.hostname
    if not host:
        return False
    port = parts.port or (80 if parts.scheme == "http" else 443)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def probe(settings: Settings, endpoint: str | None = None, timeout: float = 3.0) -> bool:
    """Online and allowed to use it: what decides whether queued downloads may start.
    Behind a proxy, the proxy is what must answer (the endpoint may be out of reach but
    through it)."""
    if not network_allowed(settings):
        return False
    target = endpoint or first_source_address(settings)
    try:
        proxy = NetworkConfig.from_settings(settings, read_password=False).proxy_address_for(
            target if "//" in target else f"https://{target}"
        )
    except ClaryError:
        return False  # a proxy setting that cannot be used: nothing gets through
    if proxy is not None:
        target = proxy.url()
    return is_online(target, timeout)


def first_source_address(settings: Settings) -> str:
    """Where the first download source is: on a network that reaches only an internal
    mirror, that mirror being there is what "online" means for downloads."""
    first = settings.sources_in_force()[0]
    return first.url or settings.hub_endpoint or DEFAULT_ENDPOINT
