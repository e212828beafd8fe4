"""Downloads, Hub metadata and catalog sync through a real proxy (tinyproxy on 127.0.0.1),
with and without a user name and password.

The origin servers accept only requests that carry tinyproxy's Via header (ViaOnly): a
request that went around the proxy is refused and recorded, so every test here fails
should anything bypass it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from clary_desktop.app import Registry
from clary_desktop.domain.access import Tier
from clary_desktop.domain.download_values import JobState
from clary_desktop.errors import ClaryError
from clary_desktop.storage import network as network_probe
from tests.support.download_env import (
    FAST,
    REVISION,
    hub_entry,
    import_entries,
    url_entry,
    use_fast_manager,
    write_manifest,
)
from tests.support.fault_server import BlobServer, random_bytes
from tests.support.hub_server import HubServer
from tests.support.keychain import use_test_keychain
from tests.support.proxy_server import TinyProxy, ViaOnly, free_port

USER, PASSWORD = "alice", "corp-Secret-42"
BIG = random_bytes(3 * 1024 * 1024 + 5, seed=11)  # in parts (see PARTS)
SMALL = random_bytes(20_000, seed=12)
HUB_FILES = {
    "model.safetensors": random_bytes(2 * 1024 * 1024 + 3, seed=13),  # LFS: via the CDN
    "config.json": b'{"model_type": "proxy-test"}\n',
}
PARTS = FAST.__class__(
    **{
        **FAST.__dict__,
        "parallel_parts": 4,
        "part_threshold_bytes": 1024 * 1024,
        "part_min_bytes": 256 * 1024,
        "part_max_bytes": 512 * 1024,
        "single_stream_fast_bps": 0,  # split at once: the parts' own sessions are tested
    }
)


@pytest.fixture(autouse=True)
def _hub_reachable(monkeypatch: pytest.MonkeyPatch) -> None:
    # (the machine's proxy variables are unset for every test: tests/conftest.py)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)


@pytest.fixture
def proxy() -> Iterator[TinyProxy]:
    with TinyProxy() as server:
        yield server


@pytest.fixture
def auth_proxy() -> Iterator[TinyProxy]:
    with TinyProxy(user=USER, password=PASSWORD) as server:
        yield server


@pytest.fixture
def origin() -> Iterator[BlobServer]:
    with BlobServer() as server:
        server.add("big.bin", BIG)
        server.add("small.bin", SMALL)
        yield server


@pytest.fixture
def hub() -> Iterator[HubServer]:
    server = HubServer()
    server.add_repo("corp/proxy-model", REVISION, HUB_FILES)
    yield server
    server.close()


@pytest.fixture
def via(origin: BlobServer, hub: HubServer) -> ViaOnly:
    gate = ViaOnly()
    gate.install(origin, hub, hub.cdn)
    return gate


@pytest.fixture
def reg(paths, origin: BlobServer, hub: HubServer) -> Iterator[Registry]:
    registry = Registry.open(paths, tier_source=lambda: Tier.STANDARD)
    import_entries(
        registry,
        url_entry(
            "url-model",
            {
                "big.bin": (origin.url("big.bin"), BIG),
                "small.bin": (origin.url("small.bin"), SMALL),
            },
        ),
        hub_entry("hub-model", "corp/proxy-model", HUB_FILES),
    )
    registry.apply_settings(
        registry.stored_settings.model_copy(update={"hub_endpoint": hub.endpoint})
    )
    use_fast_manager(registry, PARTS)
    yield registry
    registry.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("clary-download")]


def _use(reg: Registry, **changes: object) -> None:
    reg.apply_settings(reg.stored_settings.model_copy(update=changes))


def _download(reg: Registry, model_id: str):
    job = reg.downloads.start(model_id)
    return reg.downloads.wait(job, timeout=60)


def _installed_files(reg: Registry, model_id: str) -> list[str]:
    """Finished files of `model_id` on disk (a failed job keeps its partials to retry)."""
    found = [p for p in reg.models_dir.rglob("*") if p.is_file() and model_id in str(p)]
    return sorted(p.name for p in found if not p.name.endswith((".part", ".part.json")))


def test_plain_urls_in_parts_and_hub_metadata_all_go_through_the_proxy(
    reg, proxy, origin, hub, via
) -> None:
    _use(reg, proxy=proxy.url)

    info = _download(reg, "url-model")
    assert info.state == JobState.COMPLETED, info.error
    info = _download(reg, "hub-model")
    assert info.state == JobState.COMPLETED, info.error
    origin.settle()
    hub.settle()
    hub.cdn.settle()

    assert via.bypassed == []
    ranged = [r for r in origin.requests if r.path.endswith("big.bin") and r.range]
    assert len(ranged) > 1, "the big file was not fetched in parts"
    assert all("tinyproxy" in r.headers.get("Via", "") for r in origin.requests)
    seen = proxy.requests()
    assert any("/paths-info/" in line and line.startswith("POST") for line in seen), seen
    assert any(line.startswith("GET") and "/resolve/" in line for line in seen), seen
    assert any(line.startswith("GET") and "big.bin" in line for line in seen), seen
    assert reg.get_model("url-model").installed_version == "1.0"
    assert reg.get_model("hub-model").installed_version == "1.0"


def test_the_guard_catches_a_request_that_goes_around_the_proxy(reg, origin, via) -> None:
    """Without a proxy the origin refuses, and records, the direct request: what makes
    every other test here fail should a path bypass the proxy."""
    info = _download(reg, "url-model")
    assert info.state == JobState.FAILED
    assert via.bypassed and "HTTP 403" in (info.error or "")
    assert reg.get_model("url-model").installed_version is None


def test_environment_proxies_are_used_no_proxy_is_respected_and_the_setting_wins(
    reg, proxy, origin, via, monkeypatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    assert _download(reg, "url-model").state == JobState.COMPLETED
    assert via.bypassed == []
    reg.remove("url-model")

    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    assert _download(reg, "url-model").state == JobState.FAILED
    assert via.bypassed, "NO_PROXY was not respected"
    via.bypassed.clear()

    # The setting wins over the environment, NO_PROXY included; a dead environment
    # proxy is never tried.
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{free_port()}")
    _use(reg, proxy=proxy.url)
    info = reg.downloads.wait(reg.downloads.start("url-model", force=True), timeout=60)
    assert info.state == JobState.COMPLETED, info.error
    assert via.bypassed == []


def test_no_proxy_setting_sends_those_hosts_straight(reg, proxy, origin) -> None:
    _use(reg, proxy=proxy.url, no_proxy="127.0.0.1")
    assert _download(reg, "url-model").state == JobState.COMPLETED
    assert proxy.requests() == []


def test_authenticating_proxy_with_the_password_in_the_keychain(
    reg, auth_proxy, origin, hub, via, monkeypatch
) -> None:
    use_test_keychain(monkeypatch)
    _use(reg, proxy=auth_proxy.url, proxy_user=USER)
    said = reg.set_proxy_password(PASSWORD)
    assert "system keychain" in said
    assert PASSWORD not in reg.paths.settings_file.read_text()
    assert reg.proxy_password_source() == "the system keychain"

    for model_id in ("url-model", "hub-model"):
        info = _download(reg, model_id)
        assert info.state == JobState.COMPLETED, info.error
    assert via.bypassed == []


@pytest.mark.parametrize("model_id", ["url-model", "hub-model"])
def test_wrong_proxy_password_says_the_proxy_refused_and_installs_nothing(
    reg, auth_proxy, origin, hub, via, monkeypatch, model_id
) -> None:
    use_test_keychain(monkeypatch)
    _use(reg, proxy=auth_proxy.url, proxy_user=USER)
    reg.set_proxy_password("not-the-password")

    info = _download(reg, model_id)
    assert info.state == JobState.FAILED
    assert (
        f"The proxy at {auth_proxy.display} refused the request: it needs a user name and "
        "password (or the ones given are wrong)"
    ) in (info.error or "")
    assert reg.get_model(model_id).installed_version is None
    assert _installed_files(reg, model_id) == []
    assert origin.requests == [] and hub.requests == [] and hub.cdn.requests == []


def test_no_password_at_all_is_the_same_clear_refusal(reg, auth_proxy, monkeypatch) -> None:
    use_test_keychain(monkeypatch)
    _use(reg, proxy=auth_proxy.url)  # no user: nothing to send
    info = _download(reg, "url-model")
    assert info.state == JobState.FAILED
    assert f"The proxy at {auth_proxy.display} refused the request" in (info.error or "")


def test_unreachable_proxy_is_named_as_the_proxy(reg, origin, hub) -> None:
    dead = f"127.0.0.1:{free_port()}"
    _use(reg, proxy=f"http://{dead}")
    for model_id in ("url-model", "hub-model"):
        info = _download(reg, model_id)
        assert info.state == JobState.FAILED
        assert f"the proxy at {dead} cannot be reached" in (info.error or ""), info.error
        assert reg.get_model(model_id).installed_version is None
    assert origin.requests == [] and hub.requests == []

    with pytest.raises(ClaryError, match=f"the proxy at {dead} cannot be reached"):
        reg.sync_catalog(origin.url("catalog.json"))


def test_catalog_sync_goes_through_the_proxy(reg, proxy, origin, via) -> None:
    origin.add("catalog.json", json.dumps({"schema": 1, "models": []}).encode())
    _use(reg, proxy=proxy.url)
    # An unsigned catalog from the network is refused, but only after it came through.
    with pytest.raises(ClaryError, match="not signed"):
        reg.sync_catalog(origin.url("catalog.json"))
    origin.settle()
    assert via.bypassed == []
    assert any("catalog.json" in line for line in proxy.requests())


def test_the_network_probe_asks_the_proxy(reg, proxy) -> None:
    dead_endpoint = f"http://127.0.0.1:{free_port()}"
    settings = reg.settings.model_copy(update={"proxy": proxy.url})
    assert network_probe.probe(settings, dead_endpoint, timeout=5)
    settings = reg.settings.model_copy(update={"proxy": f"http://127.0.0.1:{free_port()}"})
    assert not network_probe.probe(settings, dead_endpoint, timeout=5)


def test_a_password_in_the_proxy_address_is_refused(reg) -> None:
    before = reg.paths.settings_file.read_text()
    with pytest.raises(ClaryError, match="must not carry a user name or password"):
        _use(reg, proxy=f"http://{USER}:{PASSWORD}@127.0.0.1:3128")
    assert reg.paths.settings_file.read_text() == before


# ---- the command line ------------------------------------------------------------------


@pytest.fixture
def cli_catalog(cli, tmp_path: Path, origin: BlobServer) -> Path:
    manifest = write_manifest(
        tmp_path / "catalog.json",
        url_entry(
            "url-model",
            {
                "big.bin": (origin.url("big.bin"), BIG),
                "small.bin": (origin.url("small.bin"), SMALL),
            },
        ),
    )
    assert cli("catalog", "import", manifest).returncode == 0
    return manifest


def _env() -> dict[str, str]:
    from tests.support.cli import clean_env

    return clean_env()


def test_cli_sets_the_proxy_keeps_the_password_in_the_keychain_and_downloads(
    cli, cli_catalog, auth_proxy, via, data_dir, monkeypatch
) -> None:
    use_test_keychain(monkeypatch)
    for name, value in (("proxy", auth_proxy.url), ("proxy_user", USER)):
        result = cli("settings", "set", name, value, env=_env())
        assert result.returncode == 0, result.stderr
    result = cli("network", "password", input=PASSWORD + "\n", env=_env())
    assert result.returncode == 0, result.stderr
    assert "system keychain" in result.stdout

    shown = json.loads(cli("network", "show", "--json", env=_env()).stdout)
    assert shown["proxy"] == auth_proxy.url and shown["proxy_user"] == USER
    assert shown["proxy_password"] == "the system keychain"
    settings_text = next(data_dir.rglob("settings.json")).read_text()
    assert PASSWORD not in settings_text

    result = cli("download", "url-model", env=_env())
    assert result.returncode == 0, result.stderr
    assert via.bypassed == []


def test_cli_wrong_password_is_one_clear_line_and_nothing_installed(
    cli, cli_catalog, auth_proxy, via, data_dir, monkeypatch
) -> None:
    use_test_keychain(monkeypatch)
    cli("settings", "set", "proxy", auth_proxy.url, env=_env())
    cli("settings", "set", "proxy_user", USER, env=_env())
    cli("network", "password", input="wrong\n", env=_env())

    result = cli("download", "url-model", env=_env())
    assert result.returncode != 0
    assert f"The proxy at {auth_proxy.display} refused the request" in result.stderr
    assert "Traceback" not in result.stderr
    listed = json.loads(cli("list", "--json", env=_env()).stdout)["models"]
    assert [m.get("installed_version") for m in listed if m["id"] == "url-model"] == [None]
    assert not [p for p in data_dir.rglob("*.bin")]


def test_cli_without_a_keychain_points_to_the_environment_variable(
    cli, cli_catalog, auth_proxy, via, data_dir, monkeypatch
) -> None:
    use_test_keychain(monkeypatch, available=False)
    cli("settings", "set", "proxy", auth_proxy.url, env=_env())
    cli("settings", "set", "proxy_user", USER, env=_env())
    result = cli("network", "password", input=PASSWORD + "\n", env=_env())
    assert result.returncode != 0
    assert "no usable system keychain" in result.stderr
    assert "CLARY_PROXY_PASSWORD" in result.stderr
    assert PASSWORD not in next(data_dir.rglob("settings.json")).read_text()

    env = {**_env(), "CLARY_PROXY_PASSWORD": PASSWORD}
    result = cli("download", "url-model", env=env)
    assert result.returncode == 0, result.stderr
    assert via.bypassed == []
