"""The README's commands, run as it writes them: real `clary-models`, `clary-license` and
`clary-catalog` processes, real loopback servers and real SQLite files. Each test names
the README section it backs; what other test files already run is not repeated here."""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from tests.support import cli as cli_support
from tests.support.download_env import REVISION, hub_entry, sha, url_entry, write_manifest
from tests.support.fault_server import BlobServer, random_bytes
from tests.support.hub_server import HubServer

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
WEIGHTS = {"1.0": random_bytes(300_000, seed=31), "2.0": random_bytes(6 * 1024 * 1024, seed=32)}
SLOW = 256 * 1024  # bytes per second: 24 s for version 2.0, time to stop it half-way

Run = Callable[..., subprocess.CompletedProcess[str]]


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


def failed(result: subprocess.CompletedProcess[str]) -> str:
    """A user-facing error: exit 1, one plain line on stderr."""
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def jobs(cli: Run) -> list[dict]:
    return json.loads(ok(cli("downloads", "--json")).stdout)["jobs"]


# ---- Downloads -------------------------------------------------------------------------


@pytest.fixture
def blobs() -> Iterator[BlobServer]:
    with BlobServer() as server:
        for version, data in WEIGHTS.items():
            server.add(f"two-{version}.bin", data)
        yield server


@pytest.fixture
def two_versions(cli: Run, blobs: BlobServer, tmp_path: Path) -> str:
    """A lite model `two` with versions 1.0 and 2.0 served from 127.0.0.1."""
    entry = url_entry("two", {})
    entry["versions"] = [
        {
            "version": version,
            "files": [
                {
                    "path": "model.bin",
                    "url": blobs.url(f"two-{version}.bin"),
                    "size_bytes": len(data),
                    "sha256": sha(data),
                }
            ],
        }
        for version, data in WEIGHTS.items()
    ]
    ok(cli("catalog", "import", write_manifest(tmp_path / "two.json", entry)))
    return "two"


def model_file(data_dir: Path, version: str) -> Path:
    return data_dir / "models" / "llm" / "two" / version / "model.bin"


def fetches(blobs: BlobServer, version: str) -> int:
    return sum(1 for r in blobs.requests if r.path.endswith(f"two-{version}.bin"))


def test_download_version_force_downloads_and_remove_version(
    cli: Run, blobs: BlobServer, two_versions: str, data_dir: Path
) -> None:
    """`download ID [--version V] [--force]`, `downloads`, `remove ID [--version V]`."""
    old = ok(cli("download", "two", "--version", "1.0"))
    assert "two 1.0 installed and verified" in old.stdout
    assert model_file(data_dir, "1.0").read_bytes() == WEIGHTS["1.0"]
    assert not model_file(data_dir, "2.0").exists()

    newest = ok(cli("download", "two"))  # newest version by default
    assert "two 2.0 installed and verified" in newest.stdout
    assert model_file(data_dir, "2.0").read_bytes() == WEIGHTS["2.0"]

    before = fetches(blobs, "2.0")
    ok(cli("download", "two", "--version", "2.0", "--force"))
    assert fetches(blobs, "2.0") > before  # --force fetched the installed version again
    assert sha(model_file(data_dir, "2.0").read_bytes()) == sha(WEIGHTS["2.0"])

    table = ok(cli("downloads")).stdout.splitlines()
    assert table[0].split()[:4] == ["JOB", "MODEL", "VERSION", "STATE"]
    assert [line.split()[1:4] for line in table[2:]].count(["two", "2.0", "completed"]) == 2

    removed = ok(cli("remove", "two", "--version", "1.0"))
    assert "Removed two 1.0" in removed.stdout
    assert not model_file(data_dir, "1.0").parent.exists()
    assert model_file(data_dir, "2.0").read_bytes() == WEIGHTS["2.0"]
    versions = json.loads(ok(cli("versions", "two", "--json")).stdout)["versions"]
    assert {v["version"]: v["installed"] for v in versions} == {"2.0": True, "1.0": False}


def test_pause_from_another_process_keeps_the_partial_and_resume_finishes(
    cli: Run, blobs: BlobServer, two_versions: str, data_dir: Path
) -> None:
    """`pause JOB` (works across processes) and `resume JOB` (runs the job here)."""
    blobs.throttle = SLOW
    part = model_file(data_dir, "2.0").with_name("model.bin.part")
    downloading = subprocess.Popen(
        [*cli_support.script("clary-models"), "--data-dir", str(data_dir), "download", "two"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_support.clean_env(),
    )
    try:
        deadline = time.monotonic() + 60
        while not (part.exists() and part.stat().st_size > 0):
            assert time.monotonic() < deadline and downloading.poll() is None, "never started"
            time.sleep(0.05)
        assert part.with_name("model.bin.part.json").exists()  # the sidecar beside the part
        [job] = jobs(cli)
        paused = ok(cli("pause", str(job["job_id"])))
        assert f"Paused download job {job['job_id']}" in paused.stdout
        _, stderr = downloading.communicate(timeout=60)
    finally:
        if downloading.poll() is None:
            downloading.kill()
            downloading.wait(10)
    assert downloading.returncode == 1
    assert f"clary-models resume {job['job_id']}" in stderr and "Traceback" not in stderr
    assert [j["state"] for j in jobs(cli)] == ["paused"]
    kept = part.stat().st_size
    assert 0 < kept < len(WEIGHTS["2.0"])

    blobs.throttle = None
    resumed = ok(cli("resume", str(job["job_id"])))
    assert "two 2.0 installed and verified" in resumed.stdout
    assert "two 2.0: " in resumed.stderr  # the progress, one line per state off a terminal
    ranged = [r for r in blobs.requests if r.path.endswith("two-2.0.bin") and r.range]
    assert ranged and ranged[-1].range == f"bytes={kept}-"
    assert model_file(data_dir, "2.0").read_bytes() == WEIGHTS["2.0"]
    assert [j["state"] for j in jobs(cli)] == ["completed"]


def test_cancel_delete_partial(
    cli: Run, blobs: BlobServer, two_versions: str, data_dir: Path
) -> None:
    """`cancel JOB --delete-partial` deletes the partial file."""
    blobs.throttle = SLOW
    part = model_file(data_dir, "2.0").with_name("model.bin.part")
    cli_support.kill_when(
        "--data-dir",
        data_dir,
        "download",
        "two",
        env=cli_support.clean_env(),
        ready=lambda: part.exists() and part.stat().st_size > 0,
    )
    [job] = jobs(cli)
    assert job["state"] == "paused"
    cancelled = ok(cli("cancel", str(job["job_id"]), "--delete-partial"))
    assert "partial files deleted" in cancelled.stdout
    assert not part.exists() and not part.with_name("model.bin.part.json").exists()
    assert [j["state"] for j in jobs(cli)] == ["cancelled"]


def settings_file(data_dir: Path, **values: object) -> None:
    """Write settings.json in the config folder (the data dir, with --data-dir)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "settings.json").write_text(json.dumps(values), encoding="utf-8")


HUB_FILES = {"model.safetensors": random_bytes(200_000, seed=33), "config.json": b"{}\n"}


@pytest.mark.parametrize("how", ["settings", "environment"])
def test_hub_endpoint_and_token_from_the_settings_or_the_environment(
    cli: Run, data_dir: Path, tmp_path: Path, how: str
) -> None:
    """ "The Hub endpoint is the `hub_endpoint` setting, else `HF_ENDPOINT`; the token is
    `hub_token`, else `HF_TOKEN`." A private repo only answers with the token."""
    with HubServer() as hub:
        hub.add_repo("acme/private-layout", REVISION, HUB_FILES, token="hf_secret")
        if how == "settings":
            settings_file(data_dir, hub_endpoint=hub.endpoint, hub_token="hf_secret")
            env = cli_support.clean_env(HF_HUB_OFFLINE="0")
        else:
            env = cli_support.clean_env(
                HF_HUB_OFFLINE="0", HF_ENDPOINT=hub.endpoint, HF_TOKEN="hf_secret"
            )
        manifest = write_manifest(
            tmp_path / "hub.json", hub_entry("private-layout", "acme/private-layout", HUB_FILES)
        )
        ok(cli("catalog", "import", manifest, env=env))
        ok(cli("download", "private-layout", env=env))
        asked = {r.headers.get("Authorization") for r in hub.requests}
    assert asked == {"Bearer hf_secret"}
    folder = data_dir / "models" / "layout" / "private-layout" / "1.0"
    assert {p: (folder / p).read_bytes() for p in HUB_FILES} == HUB_FILES


# ---- Catalog updates ---------------------------------------------------------------------


@pytest.fixture
def publisher(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A catalog key pair (the public half trusted through CLARY_DEV_LICENSE_KEYS)."""
    from tests.support.licenses import Signer

    signer = Signer(kid="catalog-test")
    signer.write_public(tmp_path / "trusted")
    private = signer.write_private(tmp_path / "vendor-secret")
    return private, cli_support.clean_env(CLARY_DEV_LICENSE_KEYS=str(tmp_path / "trusted"))


def signed_catalog(tmp_path: Path, private: Path, sequence: int, *ids: str) -> bytes:
    """`clary-catalog sign --key VENDOR.key --in catalog.json --out ... --sequence N`."""
    entries = [url_entry(i, {"m.bin": (f"https://models.example/{i}.bin", b"x" * 10)}) for i in ids]
    plain = write_manifest(tmp_path / f"catalog-{sequence}.json", *entries)
    out = tmp_path / f"catalog-{sequence}.signed.json"
    ok(
        cli_support.run(
            "clary-catalog",
            "sign",
            "--key",
            private,
            "--in",
            plain,
            "--out",
            out,
            "--sequence",
            str(sequence),
        )
    )
    return out.read_bytes()


def listed_ids(cli: Run, env: dict[str, str]) -> set[str]:
    return {m["id"] for m in json.loads(ok(cli("list", "--json", env=env)).stdout)["models"]}


@pytest.mark.parametrize("how", ["catalog_url setting", "CLARY_CATALOG_URL"])
def test_catalog_sync_without_from_uses_the_setting_else_the_environment(
    cli: Run, data_dir: Path, tmp_path: Path, publisher, how: str
) -> None:
    private, env = publisher
    with BlobServer() as server:
        server.add("catalog.json", signed_catalog(tmp_path, private, 7, "synced-model"))
        if how == "CLARY_CATALOG_URL":
            env = {**env, "CLARY_CATALOG_URL": server.url("catalog.json")}
        else:
            settings_file(data_dir, catalog_url=server.url("catalog.json"))
            env = {**env, "CLARY_CATALOG_URL": server.base_url + "/blobs/not-this-one.json"}
        synced = ok(cli("catalog", "sync", env=env))
        assert "(sequence 7): 1 added" in synced.stdout
        again = ok(cli("catalog", "sync", env=env))  # the same sequence again changes nothing
        assert "nothing changed" in again.stdout
        assert all(r.path == "/blobs/catalog.json" for r in server.requests)
    assert "synced-model" in listed_ids(cli, env)


def test_catalog_sync_unsigned_local_file_only_with_allow_unsigned(
    cli: Run, data_dir: Path, tmp_path: Path
) -> None:
    plain = write_manifest(
        tmp_path / "ours.json",
        url_entry("our-model", {"m.bin": ("https://models.example/m.bin", b"x" * 10)}),
    )
    env = cli_support.clean_env()
    refused = failed(cli("catalog", "sync", "--from", plain, env=env))
    assert "--allow-unsigned" in refused
    assert "our-model" not in listed_ids(cli, env)
    accepted = ok(cli("catalog", "sync", "--from", plain, "--allow-unsigned", env=env))
    assert "(unsigned): 1 added" in accepted.stdout
    assert "our-model" in listed_ids(cli, env)


# ---- License -----------------------------------------------------------------------------


def test_license_tool_as_the_readme_writes_it(data_dir: Path, tmp_path: Path) -> None:
    """`clary-license keygen --out DIR`, `issue ... [--serial N] [--grace-days N]
    [--license-id ID] --out FILE`, then `CLARY_DEV_LICENSE_KEYS=DIR clary-models --license
    FILE list`; a replayed (older serial) file means Lite."""
    keys = tmp_path / "devkeys"
    ok(cli_support.run("clary-license", "keygen", "--out", keys))
    [private] = keys.glob("*.key")
    assert (keys / f"{private.stem}.pub").is_file()
    assert private.stat().st_mode & 0o777 == 0o600

    def issue(serial: int, out: Path) -> Path:
        ok(
            cli_support.run(
                "clary-license",
                "issue",
                "--key",
                private,
                "--tier",
                "professional",
                "--licensee",
                "Me",
                "--email",
                "me@example.com",
                "--days",
                "365",
                "--serial",
                str(serial),
                "--grace-days",
                "5",
                "--license-id",
                "lic-team",
                "--out",
                out,
            )
        )
        return out

    pro = issue(3, tmp_path / "pro.json")
    env = cli_support.clean_env(CLARY_DEV_LICENSE_KEYS=str(keys))

    def models(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return cli_support.run("clary-models", "--data-dir", data_dir, *args, env=env)

    rows = ok(models("--license", pro, "list")).stdout.splitlines()
    llama = next(row for row in rows if row.startswith("llama-3-8b"))
    assert "professional" in llama and "locked" not in llama

    status = json.loads(ok(models("--license", pro, "license", "show", "--json")).stdout)
    assert (status["state"], status["tier"]) == ("valid", "professional")
    assert (status["license_id"], status["serial"]) == ("lic-team", 3)
    expires = status["expires_at"].replace("Z", "+00:00")
    grace = status["grace_ends_at"].replace("Z", "+00:00")
    assert (datetime.fromisoformat(grace) - datetime.fromisoformat(expires)).days == 5

    ok(models("license", "install", pro))
    older = issue(2, tmp_path / "older.json")
    replayed = json.loads(ok(models("--license", older, "license", "show", "--json")).stdout)
    assert (replayed["state"], replayed["tier"], replayed["reason_code"]) == (
        "invalid",
        "lite",
        "replayed",
    )
    assert "older than one already used" in replayed["reason"]


# ---- The local API and model usage --------------------------------------------------------


@pytest.fixture
def serve(data_dir: Path) -> Iterator[Callable[..., str]]:
    """`clary-models serve ARGS` in the background; returns its URL from the banner."""
    started: list[subprocess.Popen[str]] = []

    def start(*args: str) -> str:
        process = subprocess.Popen(
            [*cli_support.script("clary-models"), "--data-dir", str(data_dir), "serve", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=cli_support.clean_env(),
        )
        started.append(process)
        banner = process.stderr.readline()  # type: ignore[union-attr]
        match = re.search(r"API on (http://127\.0\.0\.1:\d+) \(OpenAPI: \1/docs\)", banner)
        assert match, banner
        return match.group(1)

    yield start
    for process in started:
        process.terminate()  # a plain `kill` stops it cleanly too
        assert process.wait(30) == 0
        assert "Traceback" not in process.stderr.read()  # type: ignore[union-attr]


def test_api_keys_use_usage_metrics_and_the_endpoints(
    cli: Run, blobs: BlobServer, two_versions: str, serve, data_dir: Path
) -> None:
    import requests

    ok(cli("download", "two"))
    key = ok(cli("apikey", "create", "pipeline")).stdout.strip()
    keys = ok(cli("apikey", "list")).stdout.splitlines()
    assert keys[0].split()[:2] == ["NAME", "KEY"]
    assert keys[2].startswith("pipeline") and key not in "\n".join(keys)
    ok(cli("use", "llm", "two"))
    usage = ok(cli("usage")).stdout.splitlines()
    assert usage[0].split() == ["TASK", "MODEL", "VERSION", "PATH"]
    assert usage[2].split()[:3] == ["llm", "two", "2.0"]

    url = serve("--port", "0", "--host", "127.0.0.1") + "/api/v1"
    headers = {"X-API-Key": key}
    assert requests.get(url + "/models", timeout=10).status_code == 401  # every request
    found = requests.get(
        url + "/models",
        params={"search": "two", "tier": "lite", "model_type": "llm"},
        headers=headers,
        timeout=10,
    )
    assert found.status_code == 200 and [m["id"] for m in found.json()] == ["two"]
    docs = requests.get(url.removesuffix("/api/v1") + "/docs", timeout=10)
    assert docs.status_code == 200 and "openapi.json" in docs.text

    before = fetches(blobs, "2.0")
    started = requests.post(
        url + "/models/two/download", params={"force": "true"}, headers=headers, timeout=10
    )
    assert started.status_code == 202, started.text
    job_id = started.json()["job_id"]
    deadline = time.monotonic() + 60
    while (job := requests.get(f"{url}/downloads/{job_id}", headers=headers, timeout=10).json())[
        "state"
    ] not in ("completed", "failed"):
        assert time.monotonic() < deadline, job
        time.sleep(0.1)
    assert job["state"] == "completed" and fetches(blobs, "2.0") > before
    assert any(
        j["job_id"] == job_id
        for j in requests.get(url + "/downloads", headers=headers, timeout=10).json()
    )

    answer = requests.get(url + "/usage/llm", headers=headers, timeout=10).json()
    assert answer["model_id"] == "two" and answer["version"] == "2.0"
    assert Path(answer["files"][0]).read_bytes() == WEIGHTS["2.0"]
    reported = requests.post(
        url + "/models/two/metrics",
        headers=headers,
        timeout=10,
        json={"latency_ms": 120.0, "throughput": 30.0, "success": True},
    )
    assert reported.status_code == 201, reported.text

    metrics = json.loads(ok(cli("metrics", "two", "--json")).stdout)
    assert metrics["installed_version"] == "2.0"
    assert metrics["runs"]["runs"] == 1 and metrics["runs"]["median_latency_ms"] == 120.0


def test_serve_on_another_host_warns_first(cli: Run) -> None:
    """Another host than 127.0.0.1 gets a warning; an address this machine does not have
    (TEST-NET-1) then fails in one line, so nothing listens beyond loopback here."""
    result = cli("serve", "--host", "192.0.2.1", "--port", "0")
    lines = result.stderr.splitlines()
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith("Warning: listening on 192.0.2.1 makes the API reachable")
    assert "Cannot listen on 192.0.2.1" in lines[-1]
