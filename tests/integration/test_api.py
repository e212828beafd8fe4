"""The local API over real HTTP on 127.0.0.1, with a real download from the Hub test server."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from clary_desktop.api.server import ApiServer
from clary_desktop.app import Registry
from clary_desktop.domain.access import Tier
from clary_desktop.paths import AppPaths
from tests.support.download_env import REVISION, hub_entry, import_entries, use_fast_manager
from tests.support.fault_server import random_bytes
from tests.support.hub_server import HubServer
from tests.support.manifests import SEED_MODEL_FIELDS

GGUF_BYTES = b"GGUF" + random_bytes(600_000, seed=7)
FILES = {"tiny-q4.gguf": GGUF_BYTES}


class Api:
    def __init__(self, registry: Registry, server: ApiServer) -> None:
        self.registry = registry
        self.server = server
        _, self.key = registry.api_keys.create("tests")

    def call(
        self, method: str, path: str, key: str | None = "default", **kwargs
    ) -> requests.Response:
        headers = {} if key is None else {"X-API-Key": self.key if key == "default" else key}
        return requests.request(
            method, self.server.url + path, headers=headers, timeout=10, **kwargs
        )


@pytest.fixture
def hub() -> Iterator[HubServer]:
    server = HubServer()
    server.add_repo("org/tiny-gguf", REVISION, FILES)
    yield server
    server.close()


def _open_api(paths: AppPaths, hub: HubServer, tier: Tier, monkeypatch: pytest.MonkeyPatch) -> Api:
    monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
    registry = Registry.open(paths, tier_source=lambda: tier)
    import_entries(
        registry,
        hub_entry("tiny-llm", "org/tiny-gguf", FILES, model_type="llm", pinned=("tiny-q4.gguf",)),
        hub_entry("tiny-pro", "org/tiny-gguf", FILES, model_type="llm", tier="professional"),
    )
    registry.update_model("tiny-llm", parameters={"context_length": 2048, "batch_size": 256})
    use_fast_manager(registry)
    server = ApiServer(registry, port=0)
    server.start()
    return Api(registry, server)


@pytest.fixture
def api_for(paths: AppPaths, hub: HubServer, monkeypatch: pytest.MonkeyPatch):
    opened: list[Api] = []

    def make(tier: Tier) -> Api:
        opened.append(_open_api(paths, hub, tier, monkeypatch))
        return opened[-1]

    yield make
    for api in opened:
        api.server.stop()
        api.registry.close()
    assert not [
        t for t in threading.enumerate() if t.name.startswith(("clary-api", "clary-download"))
    ]


ENDPOINTS = [
    ("GET", "/api/v1/models"),
    ("GET", "/api/v1/models/tiny-llm"),
    ("POST", "/api/v1/models/tiny-llm/download"),
    ("GET", "/api/v1/downloads"),
    ("GET", "/api/v1/downloads/1"),
    ("GET", "/api/v1/usage/llm"),
    ("POST", "/api/v1/models/tiny-llm/metrics"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_every_endpoint_needs_a_valid_unrevoked_key(api_for, method: str, path: str) -> None:
    api = api_for(Tier.PROFESSIONAL)
    _, revoked = api.registry.api_keys.create("old")
    api.registry.api_keys.revoke("old")
    for key in (None, "clary_wrong", revoked):
        response = api.call(method, path, key=key, json={"latency_ms": 1})
        assert response.status_code == 401, (key, response.text)
        assert "X-API-Key" in response.json()["detail"]
    assert api.registry.downloads.jobs() == []  # nothing was started by a refused call


def test_models_default_to_the_callers_tier_and_refuse_higher_ones(api_for) -> None:
    api = api_for(Tier.LITE)
    listed = api.call("GET", "/api/v1/models")
    assert listed.status_code == 200
    ids = {m["id"] for m in listed.json()}
    assert "tiny-llm" in ids and "tiny-pro" not in ids and "llama-3-8b" not in ids
    assert all(m["tier"] == "lite" for m in listed.json())
    assert set(listed.json()[0]) >= SEED_MODEL_FIELDS

    only_llm = api.call("GET", "/api/v1/models", params={"model_type": "llm"}).json()
    assert {m["type"] for m in only_llm} == {"llm"}

    assert api.call("GET", "/api/v1/models", params={"tier": "standard"}).status_code == 403
    denied = api.call("GET", "/api/v1/models/tiny-pro")
    assert denied.status_code == 403 and "requires professional" in denied.json()["detail"]
    denied = api.call("POST", "/api/v1/models/tiny-pro/download")
    assert denied.status_code == 403 and "requires professional" in denied.json()["detail"]
    assert api.registry.downloads.jobs() == []
    assert api.call("GET", "/api/v1/models/no-such").status_code == 404
    assert api.call("POST", "/api/v1/models/no-such/download").status_code == 404
    assert api.call("GET", "/api/v1/downloads/999").status_code == 404


def test_professional_key_sees_everything(api_for) -> None:
    api = api_for(Tier.PROFESSIONAL)
    ids = {m["id"] for m in api.call("GET", "/api/v1/models").json()}
    assert {"tiny-pro", "llama-3-8b", "layoutlmv3"} <= ids
    assert api.call("GET", "/api/v1/models/tiny-pro").json()["tier"] == "professional"


def test_errors_carry_the_next_step_as_data_and_name_no_command(api_for) -> None:
    api = api_for(Tier.LITE)
    unknown = api.call("GET", "/api/v1/models/no-such")
    assert unknown.status_code == 404
    assert unknown.json() == {
        "detail": "No model with id 'no-such' in the catalog.",
        "hint": {"action": "list_models"},
    }
    no_job = api.call("GET", "/api/v1/downloads/999").json()
    assert no_job["hint"] == {"action": "list_downloads"}
    unselected = api.call("GET", "/api/v1/usage/llm")
    assert unselected.status_code == 404
    assert unselected.json()["hint"] == {"action": "select_for_task", "task": "llm"}
    denied = api.call("GET", "/api/v1/models/tiny-pro").json()  # a message, no next step
    assert denied["hint"] is None and "requires professional" in denied["detail"]

    api.registry.apply_settings(api.registry.stored_settings.model_copy(update={"offline": True}))
    refused = api.call("POST", "/api/v1/models/tiny-llm/download")
    assert refused.status_code == 409
    assert refused.json()["hint"] == {"action": "import_model"}
    assert "offline mode" in refused.json()["detail"]
    assert api.registry.download_jobs() == []
    for answer in (unknown, unselected, refused):
        assert "clary-models" not in answer.text and "--" not in answer.text

    doc = api.call("GET", "/openapi.json", key=None).json()
    assert "hint" in doc["components"]["schemas"]["ErrorBody"]["properties"]


def test_bad_parameters_answer_422(api_for) -> None:
    api = api_for(Tier.STANDARD)
    assert api.call("GET", "/api/v1/models", params={"tier": "gold"}).status_code == 422
    assert api.call("GET", "/api/v1/models", params={"limit": 0}).status_code == 422
    assert api.call("GET", "/api/v1/downloads/0").status_code == 422
    assert api.call("GET", "/api/v1/downloads/abc").status_code == 422
    for body in ({}, {"latency_ms": -5}, {"latency_ms": "fast"}, {"latency_ms": 1, "extra": 1}):
        response = api.call("POST", "/api/v1/models/tiny-llm/metrics", json=body)
        assert response.status_code == 422, body
    assert api.registry.run_summary("tiny-llm").runs == 0


def test_download_usage_and_metrics_through_the_api(api_for) -> None:
    api = api_for(Tier.STANDARD)
    started = api.call("POST", "/api/v1/models/tiny-llm/download")
    assert started.status_code == 202, started.text
    job_id = started.json()["job_id"]
    deadline = time.monotonic() + 30
    while True:
        job = api.call("GET", f"/api/v1/downloads/{job_id}").json()
        if job["state"] in ("completed", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert job["state"] == "completed", job
    assert job["bytes_done"] == len(GGUF_BYTES)
    assert any(j["job_id"] == job_id for j in api.call("GET", "/api/v1/downloads").json())

    assert api.call("GET", "/api/v1/usage/llm").status_code == 404
    api.registry.use_model("llm", "tiny-llm")
    api.registry.set_model_parameters("tiny-llm", {"context_length": 1024})
    usage = api.call("GET", "/api/v1/usage/llm")
    assert usage.status_code == 200, usage.text
    body = usage.json()
    assert body["model_id"] == "tiny-llm" and body["version"] == "1.0"
    assert body["parameters"]["context_length"] == 1024
    assert body["parameters"]["batch_size"] == 256
    [path] = body["files"]
    with open(path, "rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == hashlib.sha256(GGUF_BYTES).hexdigest()

    for latency, ok in ((120.0, True), (80.0, True), (100.0, True), (400.0, False)):
        reported = api.call(
            "POST",
            "/api/v1/models/tiny-llm/metrics",
            json={"latency_ms": latency, "throughput": 10.0, "success": ok},
        )
        assert reported.status_code == 201
    summary = api.registry.run_summary("tiny-llm")
    assert (summary.runs, summary.failures) == (4, 1)
    assert summary.median_latency_ms == 100.0 and summary.p95_latency_ms == 120.0


def test_openapi_document_describes_the_api(api_for) -> None:
    api = api_for(Tier.LITE)
    doc = api.call("GET", "/openapi.json", key=None).json()
    assert set(doc["paths"]) == {
        "/api/v1/models",
        "/api/v1/models/{model_id}",
        "/api/v1/models/{model_id}/download",
        "/api/v1/downloads",
        "/api/v1/downloads/{job_id}",
        "/api/v1/usage/{task}",
        "/api/v1/models/{model_id}/metrics",
    }
    schemes = doc["components"]["securitySchemes"]
    assert any(s.get("name") == "X-API-Key" and s.get("in") == "header" for s in schemes.values())
    assert "403" in doc["paths"]["/api/v1/models/{model_id}"]["get"]["responses"]


def test_fuzzed_requests_never_cause_a_server_error(api_for) -> None:
    """schemathesis generates requests from the OpenAPI document; none may answer 5xx."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings

    api = api_for(Tier.STANDARD)
    schema = schemathesis.openapi.from_url(api.server.url + "/openapi.json")
    checked = 0
    statuses: list[int] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        strategy = operation.as_strategy() | operation.as_strategy(
            generation_mode=schemathesis.GenerationMode.NEGATIVE
        )

        @settings(
            max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        @given(case=strategy)
        def fuzz(case) -> None:  # type: ignore[no-untyped-def]
            response = case.call(
                base_url=api.server.url, headers={"X-API-Key": api.key}, timeout=10
            )
            statuses.append(response.status_code)
            assert response.status_code < 500, (case.method, case.formatted_path, response.text)

        fuzz()
        checked += 1
    assert checked == 7
    assert len(statuses) > 7 * 10 and {200, 404, 422} <= set(statuses)
