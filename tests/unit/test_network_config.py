"""The network set-up's rules without a network: which proxy a URL goes through, how
the proxy address is read and checked, the messages for proxy and certificate failures,
and that no code anywhere switches certificate checks off."""

from __future__ import annotations

import re
import ssl
from pathlib import Path

import pytest

from clary_desktop.errors import ClaryError
from clary_desktop.network.config import (
    NetworkConfig,
    ProxyAddress,
    bypassed,
    check_network_settings,
    parse_proxy,
)
from clary_desktop.network.problems import (
    CertificateRefused,
    ProxyRefused,
    ProxyUnreachable,
    explain,
    refused_by_proxy,
)
from clary_desktop.settings import Settings

PROXY = ProxyAddress("http", "proxy.corp", 3128)


def test_the_setting_carries_every_host_but_its_own_exceptions(monkeypatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://env-proxy:8080")
    monkeypatch.setenv("NO_PROXY", "*")
    config = NetworkConfig(proxy=PROXY, no_proxy="mirror.corp, .internal")
    assert config.proxy_for("https://huggingface.co/a") == "http://proxy.corp:3128"
    assert config.proxy_for("http://127.0.0.1:8000/a") == "http://proxy.corp:3128"
    assert config.proxy_for("https://mirror.corp/a") is None
    assert config.proxy_for("https://cdn.mirror.corp/a") is None
    assert config.proxy_for("https://x.internal/a") is None
    assert config.proxy_for("https://notmirror.corp/a") == "http://proxy.corp:3128"


def test_without_the_setting_the_environment_decides(monkeypatch) -> None:
    config = NetworkConfig()
    assert config.proxy_for("https://huggingface.co/a") is None
    monkeypatch.setenv("HTTPS_PROXY", "env-proxy:8080")
    monkeypatch.setenv("HTTP_PROXY", "http://plain-proxy:80")
    assert config.proxy_for("https://huggingface.co/a") == "http://env-proxy:8080"
    assert config.proxy_for("http://example.org/a") == "http://plain-proxy:80"
    monkeypatch.setenv("NO_PROXY", "huggingface.co,localhost")
    assert config.proxy_for("https://cdn.huggingface.co/a") is None
    assert config.proxy_for("http://localhost:9/a") is None
    assert config.proxy_for("http://example.org/a") == "http://plain-proxy:80"


def test_credentials_are_quoted_into_the_proxy_url() -> None:
    config = NetworkConfig(proxy=PROXY, proxy_user="CORP\\al ice", proxy_password="p@ss:w/rd")
    assert (
        config.proxy_for("https://x/") == "http://CORP%5Cal%20ice:p%40ss%3Aw%2Frd@proxy.corp:3128"
    )
    assert "p@ss" not in repr(config)
    assert config.proxy_address_for("https://x/") == PROXY


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("socks5://proxy:1080", "not an http:// or https:// proxy"),
        ("http://proxy:99999", "invalid port"),
        ("http://:3128", "names no host"),
        ("http://proxy:3128/path", "only a scheme, a host and a port"),
    ],
)
def test_a_proxy_address_that_cannot_be_used_is_refused(text, says) -> None:
    with pytest.raises(ValueError, match=says):
        parse_proxy(text)
    with pytest.raises(ClaryError, match=says):
        check_network_settings(Settings(proxy=text))


def test_proxy_address_defaults() -> None:
    assert parse_proxy("proxy.corp:3128")[0] == PROXY
    assert parse_proxy("https://proxy.corp")[0] == ProxyAddress("https", "proxy.corp", 443)
    assert parse_proxy("http://[::1]:3128")[0].display == "[::1]:3128"


def test_settings_checks() -> None:
    with pytest.raises(ClaryError, match="must not carry a user name or password"):
        check_network_settings(Settings(proxy="http://u:p@proxy.corp:3128"))
    with pytest.raises(ClaryError, match="A proxy user needs a proxy"):
        check_network_settings(Settings(proxy_user="alice"))
    check_network_settings(Settings(proxy="http://proxy.corp:3128", proxy_user="alice"))


def test_no_proxy_rules() -> None:
    assert bypassed("a.b.corp", "a.b.corp:443", "*")
    assert bypassed("b.corp", "b.corp:443", "*.b.corp")
    assert bypassed("host", "host:8080", "host:8080")
    assert not bypassed("host", "host:8081", "host:8080")
    assert not bypassed("evilcorp", "evilcorp", "corp")


def test_proxy_failures_in_plain_words() -> None:
    refused = explain(
        OSError("Tunnel connection failed: 407 Proxy Authentication Required"), "https://h/x", PROXY
    )
    assert isinstance(refused, ProxyRefused)
    assert str(refused).startswith("The proxy at proxy.corp:3128 refused the request")
    down = explain(ConnectionRefusedError(111, "refused"), "https://h/x", PROXY)
    assert isinstance(down, ProxyUnreachable)
    assert "the proxy at proxy.corp:3128 cannot be reached" in str(down)
    upstream = explain(
        OSError("Tunnel connection failed: 502 Bad Gateway"), "https://h:8443/x", PROXY
    )
    assert "could not reach h:8443 (it answered 502 Bad Gateway)" in str(upstream)
    # Straight to the server: a refused connection is the server's, not a proxy's.
    assert explain(ConnectionRefusedError(111, "refused"), "https://h/x", None) is None
    # A port that happens to contain 407 is no proxy refusal.
    assert (
        explain(OSError("HTTPConnectionPool(host='h', port=40712)"), "https://h/x", PROXY) is None
    )
    assert refused_by_proxy(407, "1.1 squid") and refused_by_proxy(401, None)
    assert not refused_by_proxy(401, "1.1 tinyproxy")


def _verify_error(code: int, message: str) -> ssl.SSLCertVerificationError:
    error = ssl.SSLCertVerificationError(1, message)
    error.verify_code = code
    error.verify_message = message
    return error


@pytest.mark.parametrize(
    ("code", "message", "says"),
    [
        (20, "unable to get local issuer certificate", "signed by an unknown issuer"),
        (19, "self-signed certificate in certificate chain", "signed by an unknown issuer"),
        (10, "certificate has expired", "the certificate has expired"),
        (
            62,
            "Hostname mismatch, certificate is not valid for 'h'.",
            "for another host name, not h",
        ),
    ],
)
def test_certificate_problems_are_named(code, message, says) -> None:
    wrapped = ConnectionError("outer")
    wrapped.__cause__ = _verify_error(code, message)
    found = explain(wrapped, "https://h:8443/x", None)
    assert isinstance(found, CertificateRefused)
    assert says in str(found) and "ca_bundle" in str(found)


def test_no_code_switches_certificate_checks_off() -> None:
    package = Path(__file__).parents[2] / "clary_desktop"
    forbidden = re.compile(
        r"verify\s*=\s*False|CERT_NONE|check_hostname\s*=\s*False|_create_unverified"
    )
    found = [
        f"{path.relative_to(package)}:{number}"
        for path in package.rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if forbidden.search(line)
    ]
    assert found == []
