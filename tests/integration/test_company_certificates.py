"""HTTPS signed by a company's own root certificate: nginx serves files with a
certificate from a CA made in the test. Unknown to the machine, the connection is refused
with a sentence naming the problem; once the CA is in the ca_bundle setting, the same
download verifies. The machine's own CA variables are unset here, so only the system
store and the setting count."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from clary_desktop.app import Registry
from clary_desktop.domain.access import Tier
from clary_desktop.domain.download_values import JobState
from clary_desktop.domain.layout import CatalogFile, VersionSpec
from clary_desktop.downloads.errors import DownloadFailed
from clary_desktop.downloads.hub_config import HubConfig
from clary_desktop.downloads.sources import resolve_tasks
from clary_desktop.errors import ClaryError
from clary_desktop.network.config import NetworkConfig
from clary_desktop.settings import Source
from tests.support.download_env import (
    FAST,
    REVISION,
    hub_entry,
    import_entries,
    url_entry,
    use_fast_manager,
    write_manifest,
)
from tests.support.fault_server import random_bytes
from tests.support.hub_server import HubServer
from tests.support.keychain import use_test_keychain
from tests.support.nginx_server import NginxServer, needed_tool
from tests.support.proxy_server import TinyProxy, ViaOnly
from tests.support.test_ca import TestCA

DATA = random_bytes(1024 * 1024 + 9, seed=21)
CA_VARIABLES = (
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
)
UNKNOWN_ISSUER = "the certificate is signed by an unknown issuer"
ADVICE = "point the ca_bundle setting at it (a PEM file)"


@pytest.fixture(autouse=True)
def _only_the_system_store_and_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CA_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def nginx() -> str:
    return needed_tool("nginx")


@pytest.fixture
def ca(tmp_path: Path) -> TestCA:
    return TestCA(tmp_path / "ca")


@pytest.fixture
def files(tmp_path: Path) -> Path:
    folder = tmp_path / "served"
    folder.mkdir()
    (folder / "model.bin").write_bytes(DATA)
    (folder / "catalog.json").write_text(json.dumps({"schema": 1, "models": []}))
    return folder


def _https(nginx: str, files: Path, tls: tuple[Path, Path]) -> NginxServer:
    return NginxServer(nginx, files, tls=tls)


@pytest.fixture
def server(nginx: str, files: Path, ca: TestCA) -> Iterator[NginxServer]:
    with _https(nginx, files, ca.server_files()) as running:
        yield running


def _registry(paths, url: str) -> Registry:
    registry = Registry.open(paths, tier_source=lambda: Tier.STANDARD)
    import_entries(registry, url_entry("tls-model", {"model.bin": (url, DATA)}))
    use_fast_manager(registry, FAST)
    return registry


@pytest.fixture
def reg(paths, server: NginxServer) -> Iterator[Registry]:
    registry = _registry(paths, server.url("model.bin"))
    yield registry
    registry.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("clary-download")]


def _use(reg: Registry, **changes: object) -> None:
    reg.apply_settings(reg.stored_settings.model_copy(update=changes))


def _download(reg: Registry, force: bool = False):
    return reg.downloads.wait(reg.downloads.start("tls-model", force=force), timeout=60)


def _target(reg: Registry) -> Path:
    [found] = [p for p in reg.models_dir.rglob("model.bin")] or [reg.models_dir / "none"]
    return found


def test_unknown_company_ca_is_refused_by_name_then_accepted_from_the_ca_bundle(
    reg, ca, server
) -> None:
    info = _download(reg)
    assert info.state == JobState.FAILED
    assert f"The secure connection to 127.0.0.1:{server.port} was refused" in (info.error or "")
    assert UNKNOWN_ISSUER in (info.error or ""), info.error
    assert ADVICE in (info.error or "")
    assert not _target(reg).exists()
    assert reg.get_model("tls-model").installed_version is None

    _use(reg, ca_bundle=str(ca.pem))
    info = reg.downloads.wait(reg.downloads.start("tls-model"), timeout=60)
    assert info.state == JobState.COMPLETED, info.error
    assert _target(reg).read_bytes() == DATA


@pytest.mark.parametrize(
    ("certificate", "says"),
    [
        ({"name": "old", "expired": True}, "the certificate has expired"),
        (
            {"name": "other", "host": "models.other.example"},
            "the certificate is for another host name, not 127.0.0.1",
        ),
    ],
)
def test_a_bad_certificate_from_a_trusted_ca_is_named(
    paths, nginx, files, ca, certificate, says
) -> None:
    with _https(nginx, files, ca.server_files(**certificate)) as server:
        registry = _registry(paths, server.url("model.bin"))
        try:
            _use(registry, ca_bundle=str(ca.pem))
            info = _download(registry)
        finally:
            registry.close()
    assert info.state == JobState.FAILED
    assert says in (info.error or ""), info.error


def test_hub_metadata_uses_the_same_trust(server, ca, tmp_path) -> None:
    spec = VersionSpec(
        model_id="hub-tls",
        model_type="layout",
        version="1.0",
        repo_id="corp/model",
        revision=REVISION,
        download_url=None,
        files=(CatalogFile(path="config.json", size_bytes=None, sha256=None, url=None),),
    )
    endpoint = f"https://127.0.0.1:{server.port}"
    with pytest.raises(DownloadFailed, match=UNKNOWN_ISSUER):
        resolve_tasks(spec, tmp_path, HubConfig(endpoint, None, network=NetworkConfig()))
    # Trusted now: nginx is no Hub, so the answer is an HTTP error, not a certificate one.
    trusted = HubConfig(endpoint, None, network=NetworkConfig(ca_bundle=ca.pem))
    with pytest.raises(DownloadFailed) as refused:
        resolve_tasks(spec, tmp_path, trusted)
    assert "certificate" not in str(refused.value) and "HTTP" in str(refused.value)


def test_catalog_sync_names_the_certificate_problem(reg, server, ca) -> None:
    with pytest.raises(ClaryError, match=UNKNOWN_ISSUER):
        reg.sync_catalog(server.url("catalog.json"))
    _use(reg, ca_bundle=str(ca.pem))
    with pytest.raises(ClaryError, match="not signed"):  # fetched: refused for what it is
        reg.sync_catalog(server.url("catalog.json"))


def test_https_through_an_authenticating_proxy(reg, ca, monkeypatch) -> None:
    use_test_keychain(monkeypatch)
    with TinyProxy(user="bob", password="tunnel-pass") as proxy:
        _use(reg, proxy=proxy.url, proxy_user="bob", ca_bundle=str(ca.pem))
        reg.set_proxy_password("wrong")
        info = _download(reg)
        assert info.state == JobState.FAILED
        assert f"The proxy at {proxy.display} refused the request" in (info.error or "")

        reg.set_proxy_password("tunnel-pass")
        info = reg.downloads.wait(reg.downloads.start("tls-model"), timeout=60)
        assert info.state == JobState.COMPLETED, info.error
        assert any(line.startswith("CONNECT 127.0.0.1:") for line in proxy.requests())
    assert _target(reg).read_bytes() == DATA


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "is not a file"),
        (b"not a certificate\n", "holds no PEM certificate"),
        (b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "cannot be used"),
    ],
)
def test_a_ca_bundle_that_is_no_pem_file_is_refused_and_nothing_saved(
    registry, tmp_path, content, says
) -> None:
    bundle = tmp_path / "bundle.pem"
    if content is not None:
        bundle.write_bytes(content)
    before = registry.stored_settings
    with pytest.raises(ClaryError, match=says):
        _use(registry, ca_bundle=str(bundle))
    assert registry.stored_settings == before
    assert not registry.paths.settings_file.exists() or "bundle.pem" not in (
        registry.paths.settings_file.read_text()
    )


def test_cli_sets_the_ca_bundle_and_refuses_a_bad_one(cli, tmp_path, ca, server) -> None:
    manifest = write_manifest(
        tmp_path / "catalog.json",
        url_entry("tls-model", {"model.bin": (server.url("model.bin"), DATA)}),
    )
    assert cli("catalog", "import", manifest).returncode == 0
    failed = cli("download", "tls-model")
    assert failed.returncode != 0 and UNKNOWN_ISSUER in failed.stderr
    assert "Traceback" not in failed.stderr

    bad = tmp_path / "bad.pem"
    bad.write_text("hello")
    result = cli("settings", "set", "ca_bundle", str(bad))
    assert result.returncode != 0 and "holds no PEM certificate" in result.stderr

    assert cli("settings", "set", "ca_bundle", str(ca.pem)).returncode == 0
    result = cli("download", "tls-model")
    assert result.returncode == 0, result.stderr


HUB_FILES = {
    "model.safetensors": random_bytes(1536 * 1024 + 7, seed=22),  # LFS: redirected to the CDN
    "config.json": b'{"model_type": "tls-test"}\n',
}


@pytest.mark.parametrize("mirrors", [False, True], ids=["the-hub", "second-of-two-mirrors"])
def test_a_hub_model_through_an_authenticating_proxy_over_company_https(
    paths, nginx, files, ca, monkeypatch, mirrors: bool
) -> None:
    """The Hub behind nginx's HTTPS (a certificate from the company CA, trusted through
    ca_bundle), reached through tinyproxy with a user and a keychain password: metadata,
    files and the CDN's redirect all verify. With `mirrors`, what a firm's desktop does:
    two Hub mirrors in the sources list, the first in an outage, and the model comes from
    the second."""
    use_test_keychain(monkeypatch)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    down, hub = HubServer(), HubServer()
    down.outage = 503
    for server in (down, hub):
        server.add_repo("corp/layout-tls", REVISION, HUB_FILES)
    via = ViaOnly()
    via.install(down, hub.cdn)  # plain http: must come through the proxy too
    try:
        with (
            NginxServer(nginx, files, tls=ca.server_files("hub"), upstream=hub.endpoint) as front,
            TinyProxy(user="carol", password="hub-pass") as proxy,
        ):
            company = f"https://127.0.0.1:{front.port}"
            first = Source(name="first-mirror", kind="hub", url=down.endpoint)
            second = Source(name="company-mirror", kind="hub", url=company)
            where = {"sources": [first, second]} if mirrors else {"hub_endpoint": company}
            registry = Registry.open(paths, tier_source=lambda: Tier.STANDARD)
            try:
                import_entries(registry, hub_entry("hub-tls", "corp/layout-tls", HUB_FILES))
                use_fast_manager(registry, FAST)
                _use(registry, **where, proxy=proxy.url, proxy_user="carol", ca_bundle=str(ca.pem))
                registry.set_proxy_password("hub-pass")
                info = registry.wait_for_download(registry.start_download("hub-tls"), 60)
                assert info.state == JobState.COMPLETED, info.error
                folder = next(registry.models_dir.rglob("config.json")).parent
                for name, data in HUB_FILES.items():
                    assert (folder / name).read_bytes() == data
                assert registry.get_model("hub-tls").installed_version == "1.0"
            finally:
                registry.close()
            tunnels = [line for line in proxy.requests() if line.startswith("CONNECT")]
            assert f"CONNECT 127.0.0.1:{front.port} HTTP/1.1" in tunnels
            assert via.bypassed == [] and hub.cdn.requests
            # With mirrors the first was asked (through the proxy) and failed over.
            assert bool(down.requests) == mirrors
            assert all(record.status == 503 for record in down.requests)
    finally:
        down.close()
        hub.close()
