"""`clary-models download` and friends, run as a user would, against the test Hub."""

from __future__ import annotations

import json

import pytest

from tests.support import cli as cli_support
from tests.support.download_env import REVISION, hub_entry, sha, write_manifest
from tests.support.fault_server import random_bytes
from tests.support.hub_server import HubServer

FILES = {
    "model.safetensors": random_bytes(4 * 1024 * 1024 + 5, seed=11),
    "config.json": b'{"model_type": "layoutlmv3", "hidden_size": 768}\n',
    "preprocessor_config.json": b'{"apply_ocr": false}\n',
    "tokenizer_config.json": b'{"model_max_length": 512}\n',
    "merges.txt": random_bytes(30_000, seed=12),
    "vocab/vocab.json": random_bytes(60_000, seed=13),
}
REPO = "microsoft/layoutlmv3-base"


@pytest.fixture
def hub():
    server = HubServer()
    server.add_repo(REPO, REVISION, FILES)
    yield server
    server.close()


@pytest.fixture
def env(hub):
    return cli_support.clean_env(HF_ENDPOINT=hub.endpoint, HF_HUB_OFFLINE="0")


@pytest.fixture
def catalog(cli, env, tmp_path):
    manifest = write_manifest(
        tmp_path / "catalog.json",
        hub_entry("layout-cli", REPO, FILES, pinned=("config.json",)),
        hub_entry("pro-layout", REPO, FILES, tier="professional"),
    )
    result = cli("catalog", "import", manifest, env=env)
    assert result.returncode == 0, result.stderr


def test_download_multi_file_model_then_verify(cli, env, catalog, data_dir):
    result = cli("download", "layout-cli", env=env)
    assert result.returncode == 0, result.stderr
    assert "installed and verified" in result.stdout
    folder = data_dir / "models" / "layout" / "layout-cli" / "1.0"
    for path, data in FILES.items():
        assert sha((folder / path).read_bytes()) == sha(data)

    verify = cli("verify", "layout-cli", "--json", env=env)
    assert verify.returncode == 0, verify.stderr
    report = json.loads(verify.stdout)
    assert report["ok"] is True
    assert {r["path"]: r["status"] for r in report["results"]} == dict.fromkeys(FILES, "ok")

    jobs = json.loads(cli("downloads", "--json", env=env).stdout)["jobs"]
    assert [(j["model_id"], j["state"]) for j in jobs] == [("layout-cli", "completed")]

    (folder / "merges.txt").write_bytes(b"tampered")
    (folder / "config.json").unlink()
    verify = cli("verify", "--json", env=env)
    assert verify.returncode == 1
    statuses = {r["path"]: r["status"] for r in json.loads(verify.stdout)["results"]}
    assert statuses["merges.txt"] == "corrupt" and statuses["config.json"] == "missing"

    removed = cli("remove", "layout-cli", env=env)
    assert removed.returncode == 0 and not folder.exists()


def test_tier_and_unknown_ids_are_one_clean_line(cli, env, catalog):
    result = cli("download", "pro-layout", env=env)
    assert result.returncode == 1
    assert "requires professional" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    result = cli("download", "nope", env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    result = cli("pause", "42", env=env)
    assert result.returncode == 1 and "No download job 42" in result.stderr


def test_sigkill_half_way_then_resume(cli, env, catalog, hub, data_dir):
    big = FILES["model.safetensors"]
    hub.cdn.throttle = 2 * 1024 * 1024  # ~2 s for the big file: room to kill it half-way
    part = data_dir / "models" / "layout" / "layout-cli" / "1.0" / "model.safetensors.part"
    cli_support.kill_when(
        "--data-dir",
        data_dir,
        "download",
        "layout-cli",
        env=env,
        ready=lambda: part.exists() and part.stat().st_size > len(big) // 3,
    )
    on_disk = part.stat().st_size
    assert 0 < on_disk < len(big)

    hub.cdn.throttle = None
    listing = json.loads(cli("downloads", "--json", env=env).stdout)["jobs"]
    assert [j["state"] for j in listing] == ["paused"]  # the dead process's job came back paused

    result = cli("download", "layout-cli", env=env)
    assert result.returncode == 0, result.stderr
    hub.cdn.settle()  # the server records a request after its last byte went out
    resumed = next(r for r in hub.cdn.requests if r.method == "GET" and r.range)
    assert resumed.range == f"bytes={on_disk}-" and resumed.status == 206
    assert resumed.sent == len(big) - on_disk < len(big)  # only the missing bytes moved
    target = part.with_name("model.safetensors")
    assert sha(target.read_bytes()) == sha(big)
    jobs = json.loads(cli("downloads", "--json", env=env).stdout)["jobs"]
    assert [j["state"] for j in jobs] == ["completed"]


def _interrupted_download(cli, env, hub, data_dir) -> tuple[int, object]:
    """A CLI download killed half-way: its job comes back paused with a partial file."""
    hub.cdn.throttle = 2 * 1024 * 1024
    part = data_dir / "models" / "layout" / "layout-cli" / "1.0" / "model.safetensors.part"
    cli_support.kill_when(
        "--data-dir", data_dir, "download", "layout-cli", env=env, ready=part.exists, settle=0.3
    )
    hub.cdn.throttle = None
    jobs = json.loads(cli("downloads", "--json", env=env).stdout)["jobs"]
    [job] = [j for j in jobs if j["state"] == "paused"]
    return job["job_id"], part


def test_cancel_keeps_or_deletes_the_partial(cli, env, catalog, hub, data_dir):
    job_id, part = _interrupted_download(cli, env, hub, data_dir)
    kept = cli("cancel", str(job_id), "--keep-partial", env=env)
    assert kept.returncode == 0 and "partial files kept" in kept.stdout
    assert part.exists()

    assert cli("download", "layout-cli", env=env).returncode == 0  # continues from the part
    assert cli("remove", "layout-cli", env=env).returncode == 0

    # Nobody to ask (stdin is not a terminal) and no flag: the partial file goes.
    job_id, part = _interrupted_download(cli, env, hub, data_dir)
    deleted = cli("cancel", str(job_id), env=env)
    assert deleted.returncode == 0 and "partial files deleted" in deleted.stdout
    assert not part.exists()

    unknown = cli("cancel", "999", env=env)
    assert unknown.returncode == 1 and "No download job 999" in unknown.stderr
