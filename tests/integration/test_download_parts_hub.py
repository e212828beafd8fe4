"""Parts behind the Hub's redirect, files of a model at once, and kill-and-resume."""

from __future__ import annotations

import dataclasses
import json
import threading

import pytest

from clary_desktop.app import Registry
from clary_desktop.domain.access import Tier
from clary_desktop.domain.download_values import JobState
from clary_desktop.paths import resolve_paths
from tests.support import cli as cli_support
from tests.support.download_env import (
    FAST,
    REVISION,
    hub_entry,
    import_entries,
    sha,
    use_fast_manager,
    write_manifest,
)
from tests.support.fault_server import random_bytes
from tests.support.hub_server import HubServer

KiB = 1024
REPO = "microsoft/layoutlmv3-base"
FILES = {
    "model.safetensors": random_bytes(3 * 1024 * KiB + 17, seed=41),
    "extra/a.bin": random_bytes(600 * KiB, seed=42),
    "extra/b.bin": random_bytes(600 * KiB + 5, seed=43),
    "config.json": b'{"model_type": "layoutlmv3"}\n',
    "tokenizer/vocab.json": random_bytes(50_000, seed=44),
}
PARTS = dataclasses.replace(
    FAST,
    parallel_parts=4,
    part_threshold_bytes=1024 * KiB,
    part_min_bytes=128 * KiB,
    part_max_bytes=512 * KiB,
    part_chunk_bytes=64 * KiB,
    single_stream_fast_bps=0,  # no probe: split from the first request (see the probe tests)
)


@pytest.fixture
def hub():
    server = HubServer(throttle=2 * 1024 * KiB)
    server.add_repo(REPO, REVISION, FILES, token="hub-secret")
    yield server
    server.close()


@pytest.fixture
def reg(paths, hub, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
    registry = Registry.open(paths, tier_source=lambda: Tier.STANDARD)
    registry.settings.hub_token = "hub-secret"
    import_entries(registry, hub_entry("layout-parts", REPO, FILES))
    use_fast_manager(registry, PARTS)
    yield registry
    registry.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("clary-download")]


def overlaps(a, b) -> bool:
    return a.began < b.ended and b.began < a.ended


def test_parts_behind_the_redirect_and_files_at_once(reg, hub):
    info = reg.downloads.wait(reg.downloads.start("layout-parts"), timeout=30)
    assert info.state == JobState.COMPLETED, info.error
    folder = reg.models_dir / "layout" / "layout-parts" / "1.0"
    for path, data in FILES.items():
        assert sha((folder / path).read_bytes()) == sha(data)
    assert {r.path: r.status for r in reg.verify("layout-parts")} == dict.fromkeys(FILES, "ok")
    hub.settle()  # the servers record a request after its last byte
    hub.cdn.settle()

    big = sha(FILES["model.safetensors"])
    resolves = [r for r in hub.requests if r.path.endswith("/model.safetensors")]
    assert len(resolves) == 1  # the redirect is followed once; the parts go to the CDN
    parts = [r for r in hub.cdn.requests if r.path == f"/blobs/{big}"]
    assert len(parts) >= 4 and all(r.status == 206 for r in parts)
    assert hub.cdn.bytes_sent[big] == len(FILES["model.safetensors"])
    assert not [r for r in hub.cdn.requests if "Authorization" in r.headers]  # token stays home

    a, b = (
        next(r for r in hub.cdn.requests if r.path == f"/blobs/{sha(FILES[p])}")
        for p in ("extra/a.bin", "extra/b.bin")
    )
    others = [r for r in hub.cdn.requests if r is not a]
    assert any(overlaps(a, other) for other in others)  # files of the model run at once
    assert any(overlaps(b, other) for other in hub.cdn.requests if other is not b)


def test_a_failing_file_stops_the_others(reg, hub):
    hub.cdn.fail_next(sha(FILES["extra/a.bin"]), "status:404")
    info = reg.downloads.wait(reg.downloads.start("layout-parts"), timeout=30)
    assert info.state == JobState.FAILED and "404" in info.error
    assert reg.get_model("layout-parts").status != "installed"


def test_sigkill_half_way_resumes_each_part(cli, tmp_path, data_dir):
    big = FILES["model.safetensors"]
    with HubServer(throttle=256 * KiB) as hub:  # 4 parts: about 3 s for the big file
        hub.add_repo(REPO, REVISION, FILES)
        env = cli_support.clean_env(HF_ENDPOINT=hub.endpoint, HF_HUB_OFFLINE="0")
        manifest = write_manifest(tmp_path / "catalog.json", hub_entry("layout-cli", REPO, FILES))
        assert cli("catalog", "import", manifest, env=env).returncode == 0
        parts_on = {"parallel_parts": 4, "part_threshold_bytes": 1 << 20}
        resolve_paths(data_dir).settings_file.write_text(json.dumps(parts_on))

        folder = data_dir / "models" / "layout" / "layout-cli" / "1.0"
        sidecar = folder / "model.safetensors.part.json"
        cli_support.kill_when(
            "--data-dir",
            data_dir,
            "download",
            "layout-cli",
            env=env,
            ready=lambda: sum(r[2] for r in _saved_ranges(sidecar)) > len(big) // 3,
        )
        saved = _saved_ranges(sidecar)
        kept = sum(r[2] for r in saved)
        assert 0 < kept < len(big) and len([r for r in saved if r[2]]) >= 2

        hub.cdn.throttle = None
        hub.cdn.settle()  # the server records the killed connections once their writes fail
        before = hub.cdn.bytes_sent[sha(big)]
        resumed_from = len(hub.cdn.requests)
        result = cli("download", "layout-cli", env=env)
        assert result.returncode == 0, result.stderr
        hub.cdn.settle()
        moved = hub.cdn.bytes_sent[sha(big)] - before
        assert moved <= len(big) - kept  # only what the sidecar did not hold moved again
        again = [r for r in hub.cdn.requests[resumed_from:] if r.path == f"/blobs/{sha(big)}"]
        mid_range = {int(r.range.split("=")[1].split("-")[0]) for r in again} - {
            s for s, _e, _d in saved
        }
        assert mid_range  # at least one part resumed from inside its range
        assert sha((folder / "model.safetensors").read_bytes()) == sha(big)
        jobs = json.loads(cli("downloads", "--json", env=env).stdout)["jobs"]
        assert [j["state"] for j in jobs] == ["completed"]


def _saved_ranges(sidecar) -> list[list[int]]:
    try:
        return json.loads(sidecar.read_text())["ranges"]
    except (OSError, ValueError, KeyError):
        return []
