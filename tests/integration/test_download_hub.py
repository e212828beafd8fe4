"""Downloads from the Hub test server, through huggingface_hub's metadata calls."""

from __future__ import annotations

import threading

import pytest

from clary_desktop.app import Registry
from clary_desktop.domain.access import Tier
from clary_desktop.domain.download_values import JobState
from clary_desktop.errors import AccessDeniedError, NotFoundError
from tests.support.download_env import (
    REVISION,
    hub_entry,
    import_entries,
    sha,
    use_fast_manager,
)
from tests.support.fault_server import random_bytes
from tests.support.hub_server import HubServer

LAYOUT_FILES = {
    "model.safetensors": random_bytes(3 * 1024 * 1024 + 17, seed=1),
    "config.json": b'{"model_type": "layout-test"}\n',
    "preprocessor_config.json": b'{"apply_ocr": false}\n',
    "tokenizer/merges.txt": random_bytes(40_000, seed=2),
    "tokenizer/vocab.json": random_bytes(90_000, seed=3),
}


@pytest.fixture
def hub():
    server = HubServer()
    server.add_repo("microsoft/layoutlmv3-base", REVISION, LAYOUT_FILES)
    yield server
    server.close()


@pytest.fixture
def reg(paths, hub, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
    registry = Registry.open(paths, tier_source=lambda: Tier.STANDARD)
    import_entries(
        registry,
        hub_entry(
            "layout-test", "microsoft/layoutlmv3-base", LAYOUT_FILES, pinned=("config.json",)
        ),
        hub_entry("pro-model", "microsoft/layoutlmv3-base", LAYOUT_FILES, tier="professional"),
    )
    use_fast_manager(registry)
    yield registry
    registry.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("clary-download")]


def test_multi_file_hub_model_installs_verified(reg, hub):
    job = reg.downloads.start("layout-test")
    info = reg.downloads.wait(job, timeout=30)
    assert info.state == JobState.COMPLETED, info.error
    folder = reg.models_dir / "layout" / "layout-test" / "1.0"
    for path, data in LAYOUT_FILES.items():
        assert sha((folder / path).read_bytes()) == sha(data)
    assert not list(folder.rglob("*.part*"))
    assert reg.get_model("layout-test").status == "installed"
    results = reg.verify("layout-test")
    assert {r.path: r.status for r in results} == dict.fromkeys(LAYOUT_FILES, "ok")
    # The Hub's LFS sha256 was recorded in the catalog for files that had none.
    files = {f.path: f for f in reg.versions("layout-test")[0].files}
    assert files["model.safetensors"].sha256 == sha(LAYOUT_FILES["model.safetensors"])
    # The big file came through the CDN redirect, and Accept-Encoding was identity.
    hub.cdn.settle()  # the server records a request after its last byte went out
    cdn = [r for r in hub.cdn.requests if r.method == "GET"]
    assert cdn and all(r.headers.get("Accept-Encoding") == "identity" for r in cdn)


def test_same_version_twice_joins_the_job(reg):
    first = reg.downloads.start("layout-test")
    assert reg.downloads.start("layout-test") == first
    assert reg.downloads.wait(first, timeout=30).state == JobState.COMPLETED
    again = reg.downloads.start("layout-test")  # already installed: completes at once
    assert reg.downloads.job(again).state == JobState.COMPLETED


def test_tier_is_enforced_in_the_engine(reg):
    with pytest.raises(AccessDeniedError, match="requires professional"):
        reg.downloads.start("pro-model")
    with pytest.raises(NotFoundError):
        reg.downloads.start("no-such-model")


def test_gated_repo_fails_with_what_to_do(reg, hub):
    hub.repos["microsoft/layoutlmv3-base"].gated = True
    info = reg.downloads.wait(reg.downloads.start("layout-test"), timeout=30)
    assert info.state == JobState.FAILED
    assert "gated" in info.error and "token" in info.error
    assert reg.get_model("layout-test").status == "not installed"


def test_remove_deletes_files_and_install(reg):
    reg.downloads.wait(reg.downloads.start("layout-test"), timeout=30)
    assert reg.remove("layout-test") == ["1.0"]
    assert not (reg.models_dir / "layout" / "layout-test").exists()
    assert reg.get_model("layout-test").status == "not installed"
