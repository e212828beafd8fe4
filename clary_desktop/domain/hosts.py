"""Whether an address the API listens on is reachable only from this computer: one rule
for the window (settings warning, status bar), `clary-models api serve` and the server."""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    """True for "localhost" and loopback addresses: IPv4 127.0.0.0/8, IPv6 ::1 and
    IPv4-mapped ::ffff:127.x.y.z, with or without [brackets] and spaces around."""
    text = host.strip().strip("[]")
    if text.lower() == "localhost":
        return True
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)  # only IPv6 addresses have one
    return address.is_loopback or (mapped is not None and mapped.is_loopback)
