"""Which Host headers the local API answers (the rule behind the 421s; the HTTP side is
in tests/integration/test_api_guard.py)."""

from __future__ import annotations

import pytest

from clary_desktop.api.guard import RequestGuard


def guard(host: str, port: int = 8765) -> RequestGuard:
    return RequestGuard(lambda *_: None, authenticate=lambda _secret: None, host=host, port=port)


@pytest.mark.parametrize(
    ("listen", "allowed", "refused"),
    [
        (
            "127.0.0.1",
            ["127.0.0.1:8765", "localhost:8765", "[::1]:8765"],
            ["127.0.0.1", "evil.example:8765", "192.168.1.5:8765", "localhost:80"],
        ),
        ("::1", ["[::1]:8765", "127.0.0.1:8765"], ["[::2]:8765", "::1"]),
        ("192.168.1.5", ["192.168.1.5:8765", "localhost:8765"], ["192.168.1.6:8765"]),
        # On every address: any IP literal of the right port, never a DNS name.
        (
            "0.0.0.0",
            ["192.168.1.5:8765", "10.0.0.2:8765", "[fe80::1]:8765", "localhost:8765"],
            ["attacker.example:8765", "192.168.1.5:8766", "192.168.1.5"],
        ),
        ("::", ["[fe80::1]:8765", "127.0.0.1:8765"], ["rebind.example:8765"]),
    ],
)
def test_host_rule(listen: str, allowed: list[str], refused: list[str]) -> None:
    rule = guard(listen)
    for host in allowed:
        assert rule._check_host(host) is None, host
    for host in refused:
        status, message = rule._check_host(host)
        assert status == 421 and repr(host) in message, host


def test_port_80_may_be_left_out_and_no_host_is_a_400() -> None:
    assert guard("127.0.0.1", port=80)._check_host("localhost") is None
    status, message = guard("127.0.0.1")._check_host(None)
    assert status == 400 and "Host: 127.0.0.1:8765" in message
