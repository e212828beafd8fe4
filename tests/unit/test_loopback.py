"""Whether a listening address is loopback has one owner (`domain.hosts.is_loopback`).
The window and the server once had copies that disagreed on the rows marked so."""

from __future__ import annotations

import pytest

from clary_desktop.domain.hosts import is_loopback


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.255.0.9", True),
        ("::1", True),
        ("0:0:0:0:0:0:0:1", True),
        ("localhost", True),
        # The server's copy said no to these; the window's said yes.
        ("LocalHost", True),
        (" 127.0.0.1 ", True),
        ("[::1]", True),
        # Both copies said no: an IPv4-mapped loopback is loopback.
        ("::ffff:127.0.0.1", True),
        ("[::ffff:127.1.2.3]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("::ffff:10.0.0.1", False),
        ("192.168.1.5", False),
        ("128.0.0.1", False),
        ("localhost.evil.example", False),
        ("evil.example", False),
        ("", False),
    ],
)
def test_loopback_addresses(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
