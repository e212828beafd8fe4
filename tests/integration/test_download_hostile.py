"""Hostile servers and odd files: the token stays home, empty files install, unknown
sizes are capped, unchecked files are never called verified, and a server's
nonsense fails at once with its own words.

Real servers on 127.0.0.1 (a Hub, a "foreign" file server, a hostile one), real
SQLite, the real CLI in a subprocess where the user's view matters.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from typing import Any

import pytest
import requests
from sqlalchemy import select

from clary_desktop.api.server import ApiServer
from clary_desktop.app import Registry
from clary_desktop.db.tables import Installation
from clary_desktop.domain.access import Tier
from clary_desktop.domain.download_values import JobState
from clary_desktop.downloads.transfer import TransferOptions
from clary_desktop.errors import ClaryError
from clary_desktop.paths import resolve_paths
from tests.support import cli as cli_support
from tests.support.download_env import (
    FAST,
    REVISION,
    import_entries,
    sha,
    url_entry,
    use_fast_manager,
    write_manifest,
)
from tests.support.fault_server import BlobServer, random_bytes
from tests.support.hostile_server import HostileServer
from tests.support.hub_server import HubServer

KiB = 1024
MiB = 1024 * KiB
PARTS = dataclasses.replace(
    FAST,
    parallel_parts=4,
    part_threshold_bytes=1 * MiB,
    part_min_bytes=128 * KiB,
    part_max_bytes=512 * KiB,
    part_chunk_bytes=64 * KiB,
    single_stream_fast_bps=0,
)
OPTIONS = pytest.mark.parametrize("options", [FAST, PARTS], ids=["one-stream", "parts"])
DATA = random_bytes(2 * MiB + 123, seed=71)
EMPTY_SHA = sha(b"")
TOKEN = "hub-secret"


def no_download_threads() -> bool:
    return not [t for t in threading.enumerate() if t.name.startswith("clary-download")]


def open_registry(
    paths, *entries: dict[str, Any], options: TransferOptions = FAST, tier: Tier = Tier.LITE
) -> Registry:
    registry = Registry.open(paths, tier_source=lambda: tier)
    import_entries(registry, *entries)
    use_fast_manager(registry, options)
    return registry


def download(registry: Registry, model_id: str):
    return registry.downloads.wait(registry.downloads.start(model_id), timeout=60)


def folder(registry: Registry, model_id: str, model_type: str = "llm"):
    return registry.models_dir / model_type / model_id / "1.0"


def file_entry(path: str, url: str, data: bytes | None = None) -> dict[str, Any]:
    """A catalog file; with `data`, its size and sha256 are listed too."""
    known = {} if data is None else {"size_bytes": len(data), "sha256": sha(data)}
    return {"path": path, "url": url, **known}


def model(model_id: str, *files: dict[str, Any], **version: Any) -> dict[str, Any]:
    return {
        "id": model_id,
        "name": model_id,
        "type": "llm",
        "tier": "lite",
        "versions": [{"version": "1.0", "files": list(files), **version}],
    }


def api_model(registry: Registry, model_id: str) -> dict[str, Any]:
    """The model as the local API shows it."""
    server = ApiServer(registry, port=0)
    server.start()
    try:
        _, key = registry.api_keys.create("hostile-tests")
        answer = requests.get(
            f"{server.url}/api/v1/models/{model_id}", headers={"X-API-Key": key}, timeout=10
        )
        assert answer.status_code == 200, answer.text
        return answer.json()
    finally:
        server.stop()


def gets(server: BlobServer):
    server.settle()  # the server records a request after its last byte went out
    return [r for r in server.requests if r.method == "GET"]


# ---- the Hub token goes to the Hub alone --------------------------------------------

HUB_FILES = {
    "config.json": b'{"model_type": "test"}\n',
    "model.safetensors": random_bytes(2 * MiB + 7, seed=72),  # LFS: 302 to the CDN
    "extra.bin": random_bytes(2 * MiB + 9, seed=73),  # the catalog sends it elsewhere
    "notes.txt": b"served by the Hub itself, through an explicit url\n",
}


@OPTIONS
def test_hub_token_goes_only_to_the_hub_endpoint(paths, options):
    with HubServer() as hub, BlobServer() as foreign:
        hub.add_repo("org/private", REVISION, HUB_FILES, token=TOKEN)
        foreign.add("extra.bin", HUB_FILES["extra.bin"])
        hub_url = f"{hub.endpoint}/org/private/resolve/{REVISION}/notes.txt"
        entry = {
            "id": "hub-mixed",
            "name": "hub-mixed",
            "type": "llm",
            "tier": "lite",
            "versions": [
                {
                    "version": "1.0",
                    "repo_id": "org/private",
                    "revision": REVISION,
                    "files": [
                        {"path": "config.json"},
                        {"path": "model.safetensors"},
                        {"path": "extra.bin", "url": foreign.url("extra.bin")},
                        {"path": "notes.txt", "url": hub_url},
                    ],
                }
            ],
        }
        registry = open_registry(paths, entry, options=options)
        try:
            registry.settings.hub_endpoint = hub.endpoint
            registry.settings.hub_token = TOKEN
            info = download(registry, "hub-mixed")
            assert info.state == JobState.COMPLETED, info.error
            for path, data in HUB_FILES.items():
                assert sha((folder(registry, "hub-mixed") / path).read_bytes()) == sha(data)
        finally:
            registry.close()
        # The foreign host and the CDN behind the Hub's redirect never saw the token...
        assert gets(foreign) and not [r for r in foreign.requests if "Authorization" in r.headers]
        assert gets(hub.cdn)
        assert not [r for r in hub.cdn.requests if "Authorization" in r.headers]
        # ...while the Hub itself got it (the private repo answered).
        hub.settle()
        assert all(r.headers.get("Authorization") == f"Bearer {TOKEN}" for r in hub.requests)
        assert any("notes.txt" in r.path for r in hub.requests)
    assert no_download_threads()


def test_hub_token_is_not_sent_over_plain_http_to_the_hub_host_on_another_port(paths):
    """Same host, other port (here: the CDN's) is another origin: no token."""
    with HubServer() as hub:
        hub.add_repo("org/private", REVISION, HUB_FILES, token=TOKEN)
        lfs_sha = sha(HUB_FILES["model.safetensors"])
        entry = {
            "id": "hub-cdn",
            "name": "hub-cdn",
            "type": "llm",
            "tier": "lite",
            "versions": [
                {
                    "version": "1.0",
                    "repo_id": "org/private",
                    "revision": REVISION,
                    "files": [{"path": "model.safetensors", "url": hub.cdn.url(lfs_sha)}],
                }
            ],
        }
        registry = open_registry(paths, entry)
        try:
            registry.settings.hub_endpoint = hub.endpoint
            registry.settings.hub_token = TOKEN
            assert download(registry, "hub-cdn").state == JobState.COMPLETED
        finally:
            registry.close()
        assert gets(hub.cdn)
        assert not [r for r in hub.cdn.requests if "Authorization" in r.headers]


# ---- zero-byte files ----------------------------------------------------------------


@OPTIONS
def test_empty_url_file_downloads_and_verifies(paths, options):
    with BlobServer() as server:
        server.add("empty.txt", b"")
        server.add("m.gguf", DATA)
        entry = model(
            "with-empty",
            file_entry("empty.txt", server.url("empty.txt"), b""),
            file_entry("m.gguf", server.url("m.gguf"), DATA),
        )
        registry = open_registry(paths, entry, options=options)
        try:
            info = download(registry, "with-empty")
            assert info.state == JobState.COMPLETED, info.error
            target = folder(registry, "with-empty") / "empty.txt"
            assert target.is_file() and target.stat().st_size == 0
            assert sha((folder(registry, "with-empty") / "m.gguf").read_bytes()) == sha(DATA)
            assert {r.path: r.status for r in registry.verify("with-empty")} == {
                "empty.txt": "ok",
                "m.gguf": "ok",
            }
            model_info = registry.get_model("with-empty")
            assert model_info.status == "installed" and not model_info.unverified
            assert not list(target.parent.glob("*.part*"))
        finally:
            registry.close()
    assert no_download_threads()


@OPTIONS
def test_empty_hub_file_downloads_and_verifies(paths, options, monkeypatch):
    files = {"empty.txt": b"", "model.safetensors": DATA, "config.json": b"{}\n"}
    with HubServer() as hub:
        hub.add_repo("org/with-empty", REVISION, files)
        monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
        entry = {
            "id": "hub-empty",
            "name": "hub-empty",
            "type": "llm",
            "tier": "lite",
            "versions": [
                {
                    "version": "1.0",
                    "repo_id": "org/with-empty",
                    "revision": REVISION,
                    "files": [{"path": p} for p in files],
                }
            ],
        }
        registry = open_registry(paths, entry, options=options)
        try:
            info = download(registry, "hub-empty")
            assert info.state == JobState.COMPLETED, info.error
            target = folder(registry, "hub-empty") / "empty.txt"
            assert target.is_file() and target.stat().st_size == 0
            assert {r.path: r.status for r in registry.verify("hub-empty")} == dict.fromkeys(
                files, "ok"
            )
            recorded = {f.path: f.sha256 for f in registry.versions("hub-empty")[0].files}
            assert recorded["empty.txt"] == EMPTY_SHA  # the Hub's blob id vouched for it
        finally:
            registry.close()


# ---- unknown sizes: capped, never in parts ------------------------------------------


def _settings_file(data_dir, **values: Any) -> None:
    path = resolve_paths(data_dir).settings_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(values), encoding="utf-8")


def test_endless_stream_is_stopped_by_the_cap_setting(cli, data_dir, tmp_path):
    with HostileServer() as server:
        manifest = write_manifest(
            tmp_path / "catalog.json",
            model("endless", file_entry("endless.bin", f"{server.base_url}/forever")),
        )
        env = cli_support.clean_env()
        assert cli("catalog", "import", manifest, env=env).returncode == 0
        _settings_file(data_dir, max_unknown_size_bytes=4 * MiB)
        result = cli("download", "endless", env=env, timeout=60)
        assert result.returncode == 1, result.stdout
        assert "no size" in result.stderr and "max_unknown_size_bytes" in result.stderr
        assert "(4,194,304 bytes)" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    model_dir = data_dir / "models" / "llm" / "endless"
    assert not [p for p in model_dir.rglob("*") if p.is_file()]  # nothing left behind
    listed = json.loads(cli("list", "--json", env=env).stdout)["models"]
    assert [m["status"] for m in listed if m["id"] == "endless"] == ["not installed"]
    jobs = json.loads(cli("downloads", "--json", env=env).stdout)["jobs"]
    assert [j["state"] for j in jobs] == ["failed"]


def test_announced_length_over_the_cap_fails_before_the_body(paths):
    with BlobServer() as server:
        server.add("big.bin", DATA)
        registry = open_registry(
            paths,
            model("big-unknown", file_entry("big.bin", server.url("big.bin"))),
            options=dataclasses.replace(FAST, max_unknown_bytes=1 * MiB),
        )
        try:
            info = download(registry, "big-unknown")
            assert info.state == JobState.FAILED
            assert "no size" in info.error and "max_unknown_size_bytes" in info.error
            assert len(gets(server)) == 1  # not retried
            assert not [p for p in folder(registry, "big-unknown").parent.rglob("*") if p.is_file()]
        finally:
            registry.close()


def test_endless_stream_stops_at_the_free_space_margin(paths, monkeypatch):
    from clary_desktop.downloads import transfer

    with HostileServer() as server:
        registry = open_registry(
            paths,
            model("endless", file_entry("endless.bin", f"{server.base_url}/forever")),
            options=dataclasses.replace(FAST, space_margin_bytes=64 * MiB),
        )
        try:
            written = folder(registry, "endless") / "endless.bin.part"
            real_free = transfer.free_bytes
            # The disk "fills" as the partial grows: 8 MiB above the margin at the start.
            monkeypatch.setattr(
                transfer,
                "free_bytes",
                lambda _folder: 72 * MiB - (written.stat().st_size if written.exists() else 0),
            )
            info = download(registry, "endless")
            assert info.state == JobState.PAUSED, info.error
            assert info.error.startswith("not enough space")
            assert written.stat().st_size <= 8 * MiB
            monkeypatch.setattr(transfer, "free_bytes", real_free)
        finally:
            registry.close()


def test_unknown_size_is_never_split_into_parts(paths):
    with BlobServer() as server:
        server.add("m.gguf", DATA)
        registry = open_registry(
            paths,
            url_entry("no-size", {"m.gguf": (server.url("m.gguf"), DATA)}, known=False),
            options=PARTS,
        )
        try:
            assert download(registry, "no-size").state == JobState.COMPLETED
            assert [r.range for r in gets(server)] == [None]
        finally:
            registry.close()


# ---- no published digest: installed, never "verified" -------------------------------


@pytest.mark.parametrize("size_known", [False, True], ids=["no-size", "size-only"])
def test_spliced_file_without_digest_is_never_recorded_verified(cli, paths, data_dir, size_known):
    with BlobServer() as server:
        server.add("m.gguf", DATA)
        server.fail_next("m.gguf", "truncate:700000")
        server.fail_next("m.gguf", "lie_range")  # 206 "bytes 7xxxxx-...", bytes from 0
        listed = {"size_bytes": len(DATA)} if size_known else {}
        registry = open_registry(
            paths, model("spliced", {**file_entry("m.gguf", server.url("m.gguf")), **listed})
        )
        try:
            info = download(registry, "spliced")
            assert info.state == JobState.COMPLETED, info.error
            on_disk = (folder(registry, "spliced") / "m.gguf").read_bytes()
            assert sha(on_disk) != sha(DATA)  # the splice went unnoticed: nothing to check
            assert [r.range for r in gets(server)][1] is not None  # it was a resume
            # ...so nothing may call it verified, and its digest is not recorded.
            recorded = registry.versions("spliced")[0].files[0]
            assert recorded.sha256 is None
            assert recorded.size_bytes == (len(DATA) if size_known else None)
            results = registry.verify("spliced")
            assert [r.status for r in results] == ["unverified"]
            assert results[0].actual_sha256 == sha(on_disk)
            model_info = registry.get_model("spliced")
            assert model_info.status == "installed" and model_info.unverified
            with registry.db.read() as session:
                install = session.scalar(select(Installation))
                assert install.verified_at is None
            assert api_model(registry, "spliced")["unverified"] is True
        finally:
            registry.close()
    env = cli_support.clean_env()
    shown = cli("show", "spliced", env=env)
    assert "installed, unverified" in shown.stdout
    assert "installed, unverified" in cli("list", env=env).stdout
    assert json.loads(cli("show", "spliced", "--json", env=env).stdout)["unverified"] is True
    verify = cli("verify", "spliced", env=env)
    assert verify.returncode == 1 and "unverified" in verify.stdout
    assert "no published sha256" in verify.stdout
    assert "1 unverified" in verify.stderr
    report = json.loads(cli("verify", "--json", env=env).stdout)
    assert report["ok"] is False and report["results"][0]["status"] == "unverified"


def test_cli_download_of_a_file_without_digest_says_unverified(cli, tmp_path):
    with BlobServer() as server:
        server.add("m.gguf", DATA)
        manifest = write_manifest(
            tmp_path / "catalog.json",
            url_entry("bare", {"m.gguf": (server.url("m.gguf"), DATA)}, known=False),
        )
        env = cli_support.clean_env()
        assert cli("catalog", "import", manifest, env=env).returncode == 0
        result = cli("download", "bare", env=env)
    assert result.returncode == 0, result.stderr
    assert "unverified" in result.stdout and "installed and verified" not in result.stdout


# ---- a server's nonsense fails at once, in its own words ----------------------------


@OPTIONS
def test_invalid_content_length_fails_at_once(paths, options):
    with BlobServer() as server:
        server.add("m.gguf", DATA)
        server.fail_next("m.gguf", "length:abc")
        registry = open_registry(
            paths,
            model("bad-length", file_entry("m.gguf", server.url("m.gguf"), DATA)),
            options=options,
        )
        try:
            info = download(registry, "bad-length")
            assert info.state == JobState.FAILED
            assert "invalid Content-Length 'abc'" in info.error
            assert "connection" not in info.error
            assert len(gets(server)) == 1  # not retried (the next answer would be fine)
            assert not (folder(registry, "bad-length") / "m.gguf").exists()
        finally:
            registry.close()


@OPTIONS
def test_repeated_equal_content_length_is_legal(paths, options):
    with BlobServer() as server:
        server.add("m.gguf", DATA)
        for _ in range(64):  # every request of the download
            server.fail_next("m.gguf", "double_length")
        registry = open_registry(
            paths,
            model("double-length", file_entry("m.gguf", server.url("m.gguf"), DATA)),
            options=options,
        )
        try:
            info = download(registry, "double-length")
            assert info.state == JobState.COMPLETED, info.error
            assert [r.status for r in registry.verify("double-length")] == ["ok"]
        finally:
            registry.close()


def test_unknown_size_with_invalid_content_length_fails_at_once(paths):
    with BlobServer() as server:
        server.add("m.gguf", DATA)
        server.fail_next("m.gguf", "length:100000, 200000")
        registry = open_registry(
            paths, model("two-lengths", file_entry("m.gguf", server.url("m.gguf")))
        )
        try:
            info = download(registry, "two-lengths")
            assert info.state == JobState.FAILED
            assert "100000, 200000" in info.error and "connection" not in info.error
            assert len(gets(server)) == 1
        finally:
            registry.close()


@OPTIONS
def test_redirect_to_a_local_file_fails_at_once(paths, options):
    with HostileServer() as server:
        url = f"{server.base_url}/redirect?to=file:///etc/passwd"
        registry = open_registry(
            paths, model("to-passwd", file_entry("m.gguf", url, DATA)), options=options
        )
        try:
            info = download(registry, "to-passwd")
            assert info.state == JobState.FAILED
            assert "redirected to file:///etc/passwd" in info.error
            assert "not an http(s) address" in info.error
            assert len(gets(server)) == 1
            assert not (folder(registry, "to-passwd") / "m.gguf").exists()
            assert registry.get_model("to-passwd").status == "not installed"
        finally:
            registry.close()


@OPTIONS
def test_redirect_loop_fails_at_once(paths, options):
    with HostileServer() as server:
        registry = open_registry(
            paths,
            model("looping", file_entry("m.gguf", f"{server.base_url}/loop", DATA)),
            options=options,
        )
        try:
            info = download(registry, "looping")
            assert info.state == JobState.FAILED
            assert "too many redirects" in info.error and "connection" not in info.error
            assert len(gets(server)) <= 31  # one chain of redirects, not one per retry
        finally:
            registry.close()


# ---- the same mistakes in the catalog sync ------------------------------------------


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/redirect?to=file:///etc/passwd", "file:///etc/passwd"),
        ("/loop", "too many redirects"),
    ],
)
def test_catalog_sync_names_the_servers_odd_answer(registry, path, words):
    with HostileServer() as server, pytest.raises(ClaryError) as raised:
        registry.sync_catalog(server.base_url + path)
    assert words in str(raised.value) and "network connection" not in str(raised.value)
    assert registry.list_models(tier=Tier.PROFESSIONAL)  # the catalog is still there
