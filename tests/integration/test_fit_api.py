"""The facts, the estimate and the verdict through the local API over real HTTP."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from clary_desktop.api.server import ApiServer
from clary_desktop.app import Registry
from clary_desktop.domain.access import Tier
from tests.support.download_env import REVISION, hub_entry, import_entries, use_fast_manager
from tests.support.gguf_files import kv_cache_bytes, write_llm_gguf
from tests.support.hub_server import HubServer


@pytest.fixture
def setup(paths, monkeypatch, tmp_path: Path) -> Iterator[tuple[Registry, ApiServer, str]]:
    path, _ = write_llm_gguf(
        tmp_path / "tiny.gguf",
        block_count=8,
        context_length=4096,
        embedding_length=128,
        head_count=4,
        head_count_kv=2,
        vocab_size=3000,
    )
    files = {"tiny.gguf": path.read_bytes()}
    hub = HubServer()
    hub.add_repo("org/tiny-gguf", REVISION, files)
    monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
    registry = Registry.open(paths, tier_source=lambda: Tier.STANDARD)
    import_entries(
        registry,
        hub_entry("tiny-llm", "org/tiny-gguf", files, model_type="llm", pinned=("tiny.gguf",)),
    )
    use_fast_manager(registry)
    server = ApiServer(registry, port=0)
    server.start()
    _, key = registry.api_keys.create("tests")
    try:
        yield registry, server, key
    finally:
        server.stop()
        registry.close()
        hub.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("clary-api")]


def get(server: ApiServer, key: str, path: str, **params: object) -> requests.Response:
    return requests.get(server.url + path, headers={"X-API-Key": key}, params=params, timeout=30)


def test_model_detail_has_facts_and_verdict(setup) -> None:
    _, server, key = setup
    body = get(server, key, "/api/v1/models/tiny-llm").json()
    # Nothing read yet, and a plain GET never reaches the network.
    assert body["facts"] is None and body["fit"]["verdict"] == "unknown"
    assert "not read from its header" in body["fit"]["reason"]
    assert body["id"] == "tiny-llm" and body["tier"] == "lite"  # the seed's fields stay

    read = get(server, key, "/api/v1/models/tiny-llm", read_header="true", context=2048)
    assert read.status_code == 200, read.text
    body = read.json()
    assert (body["facts"]["block_count"], body["facts"]["head_count_kv"]) == (8, 2)
    estimate = body["fit"]["estimate"]
    assert estimate["context_length"] == 2048
    assert estimate["kv_cache_bytes"] == kv_cache_bytes(8, 2048, 2, 128 // 4)
    assert body["fit"]["verdict"] in {"fits_gpu", "fits_ram"}
    # Cached: the next plain GET has the facts.
    assert get(server, key, "/api/v1/models/tiny-llm").json()["facts"] == body["facts"]
    assert get(server, key, "/api/v1/models/tiny-llm", context=0).status_code == 422


def test_usage_has_the_estimate_at_the_chosen_parameters(setup) -> None:
    registry, server, key = setup
    job = registry.start_download("tiny-llm")
    assert registry.wait_for_download(job, timeout=60).state == "completed"
    registry.use_model("llm", "tiny-llm")
    registry.set_model_parameters("tiny-llm", {"context_length": 1024})
    usage = get(server, key, "/api/v1/usage/llm")
    assert usage.status_code == 200, usage.text
    body = usage.json()
    assert body["parameters"]["context_length"] == 1024
    fit = body["fit"]
    assert fit["facts"]["source"] == "file"  # read from the installed file
    assert fit["estimate"]["context_length"] == 1024
    assert fit["estimate"]["kv_cache_bytes"] == kv_cache_bytes(8, 1024, 2, 32)
    assert fit["disk"] == "installed"
