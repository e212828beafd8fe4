"""The README's commands, run as it writes them: real `clary-models`, `clary-license` and
`clary-catalog` processes, real loopback servers and real SQLite files. Each test names
the README section it backs; what other test files already run is not repeated here."""

from __future__ import annotations

import json
import re
import signal
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


def test_cancel_asks_on_a_terminal_else_follows_the_flag(
    cli: Run, blobs: BlobServer, two_versions: str, data_dir: Path
) -> None:
    """`cancel JOB [--keep-partial | --delete-partial]   # asks when it can`: on a terminal
    it asks whether to keep the partial file; `--delete-partial` deletes it."""
    import os
    import pty

    part = model_file(data_dir, "2.0").with_name("model.bin.part")

    def interrupted() -> int:
        """A download of `two` killed once its partial file has grown."""
        start = part.stat().st_size if part.exists() else 0
        blobs.throttle = SLOW
        cli_support.kill_when(
            "--data-dir",
            data_dir,
            "download",
            "two",
            env=cli_support.clean_env(),
            ready=lambda: part.exists() and part.stat().st_size > start,
        )
        blobs.throttle = None
        [job] = [j for j in jobs(cli) if j["state"] == "paused"]
        return job["job_id"]

    job_id = interrupted()
    controller, terminal = pty.openpty()
    try:
        os.write(controller, b"y\n")  # the answer waits in the terminal until it is asked
        asked = subprocess.run(
            [
                *cli_support.script("clary-models"),
                "--data-dir",
                str(data_dir),
                "cancel",
                str(job_id),
            ],
            stdin=terminal,
            capture_output=True,
            text=True,
            env=cli_support.clean_env(),
            timeout=120,
        )
    finally:
        os.close(terminal)
        os.close(controller)
    assert asked.returncode == 0, asked.stderr
    assert "Keep the part already downloaded" in asked.stdout
    assert "partial files kept" in asked.stdout
    assert part.exists()
    strays = json.loads(ok(cli("downloads", "--json")).stdout)["stray_partials"]
    assert [Path(s["path"]) for s in strays] == [part]  # `downloads` lists stray .part files
    assert "1 partial file(s) no job will resume" in ok(cli("downloads")).stdout

    job_id = interrupted()  # continues from the kept part, and is stopped again
    cancelled = ok(cli("cancel", str(job_id), "--delete-partial"))
    assert "partial files deleted" in cancelled.stdout
    assert not part.exists() and not part.with_name("model.bin.part.json").exists()
    assert [j["state"] for j in jobs(cli)] == ["cancelled", "cancelled"]


def test_a_lower_tier_deletes_nothing_and_the_license_unlocks_again(
    blobs: BlobServer, data_dir: Path, tmp_path: Path
) -> None:
    """Dropping to a lower tier deletes nothing: higher models stay on disk, shown as
    locked, and unlock when a valid license returns."""
    from datetime import UTC, timedelta

    from tests.support.licenses import Signer

    signer = Signer(kid="tier-test")
    signer.write_public(tmp_path / "keys")
    now = datetime.now(UTC)
    pro = tmp_path / "pro.json"
    pro.write_bytes(
        signer.license(issued_at=now - timedelta(days=1), expires_at=now + timedelta(days=30))
    )
    env = cli_support.clean_env(CLARY_DEV_LICENSE_KEYS=str(tmp_path / "keys"))

    def models(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return cli_support.run("clary-models", "--data-dir", data_dir, *args, env=env)

    data = WEIGHTS["1.0"]
    entry = url_entry(
        "pro-model", {"model.bin": (blobs.url("two-1.0.bin"), data)}, tier="professional"
    )
    ok(models("catalog", "import", write_manifest(tmp_path / "pro.json.catalog", entry)))
    ok(models("--license", pro, "download", "pro-model"))
    installed = data_dir / "models" / "llm" / "pro-model" / "1.0" / "model.bin"

    def status(*license_args: str | Path) -> str:
        listed = json.loads(
            ok(models(*license_args, "list", "--tier", "professional", "--json")).stdout
        )
        return next(m["status"] for m in listed["models"] if m["id"] == "pro-model")

    assert status("--license", pro) == "installed"
    assert status() == "locked"  # no license: Lite
    assert installed.read_bytes() == data
    assert status("--license", pro) == "installed"
    assert installed.read_bytes() == data


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

    # --license FILE comes before CLARY_LICENSE_FILE, which comes before the installed one.
    (tmp_path / "junk.json").write_text("not a license")
    env["CLARY_LICENSE_FILE"] = str(tmp_path / "junk.json")
    assert json.loads(ok(models("--license", pro, "list", "--json")).stdout)["user_tier"] == (
        "professional"
    )
    # `license install` verifies, then copies the file to where the license is read from.
    ok(models("license", "install", pro))
    assert (tmp_path / "junk.json").read_bytes() == pro.read_bytes()
    assert not (data_dir / "license.json").exists()
    del env["CLARY_LICENSE_FILE"]
    assert json.loads(ok(models("list", "--json")).stdout)["user_tier"] == "lite"
    ok(models("license", "install", pro))
    assert (data_dir / "license.json").read_bytes() == pro.read_bytes()
    assert json.loads(ok(models("list", "--json")).stdout)["user_tier"] == "professional"
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
        match = re.search(r"API on (http://127\.0\.0\.1:\d+) \(OpenAPI: \1/openapi\.json\)", banner)
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
    root = url.removesuffix("/api/v1")
    document = requests.get(root + "/openapi.json", timeout=10)
    assert document.status_code == 200 and "/api/v1/usage/{task}" in document.json()["paths"]
    assert requests.get(root + "/docs", headers=headers, timeout=10).status_code == 404

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


# ---- Offline and air-gapped use -----------------------------------------------------------


@pytest.fixture
def offline(tmp_path: Path) -> Iterator[Callable[..., Run]]:
    """`clary-models` with offline mode on and every internet connection refused and logged."""
    from tests.support.storage_env import no_network_env

    log = tmp_path / "network.log"

    def for_dir(data_dir: Path, **env: str) -> Run:
        def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
            return cli_support.run(
                "clary-models", "--data-dir", data_dir, *args, env=no_network_env(log, **env)
            )

        return run

    yield for_dir
    assert not log.exists(), log.read_text()


def test_import_file_as_symlink_and_a_deleted_original_shows_as_missing(
    offline, tmp_path: Path
) -> None:
    """`import-file ./my-finetune.gguf --id my-finetune --as symlink`; symlinked installs
    break if the original is deleted, and `clary-models storage` then lists them as missing."""
    from tests.support.gguf_files import write_gguf

    models = offline(tmp_path / "data")
    original = write_gguf(tmp_path / "my-finetune.gguf", context_length=2048)
    imported = ok(models("import-file", original, "--id", "my-finetune", "--as", "symlink"))
    assert "my-finetune" in imported.stdout and "Q4_K_M" in imported.stdout
    [installed] = (tmp_path / "data" / "models").rglob("my-finetune.gguf")
    assert installed.is_symlink() and installed.resolve() == original.resolve()
    assert ok(models("verify", "my-finetune")).returncode == 0

    original.unlink()
    report = json.loads(ok(models("storage", "--json")).stdout)
    assert [(m["model_id"], m["missing_files"]) for m in report["models"]] == [
        ("my-finetune", ["my-finetune.gguf"])
    ]
    assert "Missing files of my-finetune" in ok(models("storage")).stdout
    assert models("verify", "my-finetune").returncode == 1  # exit 1 if not all ok


@pytest.mark.parametrize("how", ["copy", "hardlink"])
def test_hf_cache_from_hf_home_linked_as_copy_or_hardlink(
    offline, tmp_path: Path, how: str
) -> None:
    """`hf-cache --link ID --as hardlink|copy`, with the cache found through HF_HOME."""
    from tests.support.storage_env import file_entry

    weights = random_bytes(150_000, seed=34)
    blob = tmp_path / "hf-home" / "hub" / "models--acme--ocr-small" / "blobs" / sha(weights)
    blob.parent.mkdir(parents=True)
    blob.write_bytes(weights)
    models = offline(tmp_path / "data", HF_HOME=str(tmp_path / "hf-home"))
    manifest = write_manifest(
        tmp_path / "c.json", file_entry("ocr-small", {"ocr.bin": weights}, model_type="ocr")
    )
    ok(models("catalog", "import", manifest))
    assert "ocr-small" in ok(models("hf-cache")).stdout
    linked = ok(models("hf-cache", "--link", "ocr-small", "--as", how))
    assert "ocr-small 1.0 is installed" in linked.stdout
    installed = tmp_path / "data" / "models" / "ocr" / "ocr-small" / "1.0" / "ocr.bin"
    assert installed.read_bytes() == weights and not installed.is_symlink()
    assert installed.samefile(blob) == (how == "hardlink")
    assert ok(models("verify", "ocr-small")).returncode == 0


def test_storage_move_keep_old(offline, tmp_path: Path) -> None:
    """`storage move NEW_DIR --keep-old`: the new folder is used, the old copy stays."""
    from tests.support.gguf_files import write_gguf

    models = offline(tmp_path / "data")
    ok(models("import-file", write_gguf(tmp_path / "keep.gguf"), "--id", "keep"))
    old = tmp_path / "data" / "models"
    before = {p.relative_to(old): p.read_bytes() for p in old.rglob("*") if p.is_file()}
    new = tmp_path / "big-disk" / "clary-models"
    ok(models("storage", "move", new, "--keep-old"))
    assert {p.relative_to(old): p.read_bytes() for p in old.rglob("*") if p.is_file()} == before
    assert {p.relative_to(new): p.read_bytes() for p in new.rglob("*") if p.is_file()} == before
    report = json.loads(ok(models("storage", "--json")).stdout)
    assert report["models_dir"] == str(new.resolve())
    assert [Path(m["folder"]).is_relative_to(new.resolve()) for m in report["models"]] == [True]
    assert json.loads(ok(models("verify", "--json")).stdout)["ok"]


# ---- Where things live ----------------------------------------------------------------------


def test_without_data_dir_everything_goes_to_the_per_user_folders(tmp_path: Path) -> None:
    """On Linux: ~/.local/share/clary-desktop (database, models), ~/.config/clary-desktop
    (settings, license), ~/.local/state/clary-desktop/log (logs)."""
    from datetime import UTC, timedelta

    from tests.support.licenses import Signer

    home = tmp_path / "user-home"
    signer = Signer(kid="home-test")
    signer.write_public(tmp_path / "keys")
    now = datetime.now(UTC)
    license_file = tmp_path / "mine.json"
    license_file.write_bytes(
        signer.license(issued_at=now - timedelta(days=1), expires_at=now + timedelta(days=30))
    )
    env = cli_support.clean_env(HOME=str(home), CLARY_DEV_LICENSE_KEYS=str(tmp_path / "keys"))
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env.pop(name, None)

    ok(cli_support.run("clary-models", "license", "install", license_file, env=env))
    listed = json.loads(ok(cli_support.run("clary-models", "list", "--json", env=env)).stdout)
    assert listed["user_tier"] == "professional"

    assert (home / ".local/share/clary-desktop/catalog.db").is_file()
    assert (home / ".config/clary-desktop/license.json").read_bytes() == license_file.read_bytes()
    assert (
        "Loaded the default catalog"
        in (home / ".local/state/clary-desktop/log/clary-desktop.log").read_text()
    )
    assert not (tmp_path / "home").exists()  # the test's own HOME was not used


# ---- What the README names: options, settings, parameters, packages, the default catalog ----


def _parsers() -> dict[str, object]:
    from clary_desktop.cli import catalog_tool, license_tool
    from clary_desktop.cli import main as models_main
    from clary_desktop.gui import app as desktop_app

    return {
        "clary-models": models_main.build_parser(),
        "clary-license": license_tool.build_parser(),
        "clary-catalog": catalog_tool.build_parser(),
        "clary-desktop": desktop_app.build_parser(),
    }


def readme_command_lines() -> list[str]:
    """Every command line the README shows: code blocks and inline `...` spans that start
    with one of the programs (after `VAR=value` prefixes), continuation lines joined."""
    text = README.replace("\\\n", " ")
    candidates = re.findall(r"`([^`\n]+)`", text) + text.splitlines()
    lines = []
    for candidate in candidates:
        words = candidate.split("#", 1)[0].split()
        while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):
            words = words[1:]
        if words and words[0] in (
            "clary-models",
            "clary-license",
            "clary-catalog",
            "clary-desktop",
        ):
            lines.append(" ".join(words))
    return lines


def _options_of(parser) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {name: action for action in parser._actions for name in action.option_strings}


def _subcommands(parser) -> dict[str, object]:  # type: ignore[no-untyped-def]
    for action in parser._actions:
        if action.choices and not action.option_strings and isinstance(action.choices, dict):
            return action.choices
    return {}


def test_every_option_the_readme_shows_exists() -> None:
    """Each `--option` in a README command belongs to that (sub)command, and a literal value
    of an option with choices is one of them."""
    parsers = _parsers()
    lines = readme_command_lines()
    assert len(lines) > 40, lines  # the extraction found the README's commands
    problems = []
    for line in lines:
        program, *words = line.split()
        parser = parsers[program]
        allowed = _options_of(parser)
        tokens = [t for w in words for t in w.strip("[]").split("|") if t and t != "..."]
        for index, token in enumerate(tokens):
            if token in _subcommands(parser):
                parser = _subcommands(parser)[token]
                allowed = {**allowed, **_options_of(parser)}
            elif token.startswith("-"):
                option = token.split("=", 1)[0]
                if option not in allowed:
                    problems.append(f"{line}: {option}")
                    continue
                choices = allowed[option].choices  # type: ignore[attr-defined]
                value = tokens[index + 1] if index + 1 < len(tokens) else ""
                if choices and re.fullmatch(r"[a-z]+", value) and value not in choices:
                    problems.append(f"{line}: {option} {value}")
    assert problems == []


#: The settings the README names, with the default it gives (None: no default stated).
DOCUMENTED_SETTINGS = {
    "models_dir": None,
    "offline": False,
    "catalog_url": None,
    "keep_previous_versions": 1,
    "update_check_hours": 6,
    "download_stall_seconds": 30,
    "download_space_margin_bytes": ...,
    "concurrent_downloads": 2,
    "resume_on_start": False,
    "hub_endpoint": None,
    "hub_token": None,
    "part_threshold_bytes": 64 * 1024 * 1024,
    "parallel_parts": 8,
    "single_stream_fast_bps": 200_000_000,
    "bandwidth_limit_bps": None,
    "max_unknown_size_bytes": 64 * 1024**3,
    "sources": None,
    "proxy": None,
    "no_proxy": None,
    "proxy_user": None,
    "ca_bundle": None,
}


def test_the_settings_the_readme_names_exist_with_its_defaults() -> None:
    from clary_desktop.settings import Settings

    named = set(re.findall(r"`([a-z_]+)` setting", README))
    assert named <= set(DOCUMENTED_SETTINGS), named - set(DOCUMENTED_SETTINGS)
    defaults = Settings()
    for name, default in DOCUMENTED_SETTINGS.items():
        assert f"`{name}`" in README, name
        assert name in Settings.model_fields, name
        if default is not ...:
            assert getattr(defaults, name) == default, name


def test_download_settings_reach_the_engine(paths) -> None:
    """settings.json's download settings become the engine's options."""
    from clary_desktop.app import Registry

    chosen = {
        "download_stall_seconds": 12.5,
        "download_space_margin_bytes": 1234,
        "parallel_parts": 3,
        "part_threshold_bytes": 5 * 1024 * 1024,
        "single_stream_fast_bps": 0,
        "bandwidth_limit_bps": 1_000_000,
        "concurrent_downloads": 4,
    }
    settings_file(paths.config_dir, **chosen)
    registry = Registry.open(paths)
    try:
        options = registry.downloads.options
        assert (
            options.stall_seconds,
            options.space_margin_bytes,
            options.parallel_parts,
            options.part_threshold_bytes,
            options.single_stream_fast_bps,
            options.bandwidth_limit_bps,
        ) == tuple(chosen[k] for k in list(chosen)[:6])
        assert registry.downloads.settings.concurrent_downloads == 4
    finally:
        registry.close()


def test_the_settable_parameters_are_the_ones_the_core_accepts() -> None:
    from clary_desktop.domain.pipeline_values import RUNTIME_PARAMETERS

    sentence = README.split("Settable parameters are", 1)[1].split(";", 1)[0]
    assert re.findall(r"`([a-z_]+)`", sentence) == list(RUNTIME_PARAMETERS)


def test_before_you_start_lists_the_packages_the_window_check_names() -> None:
    from clary_desktop.gui.platform_check import DEBIAN_PACKAGES, FEDORA_PACKAGES

    section = README.split("Before you start", 1)[1].split("`clary-desktop --check-display`")[0]
    flat = " ".join(section.split())
    apt = re.search(r"sudo apt-get install ([^`]+)`", flat).group(1).split()  # type: ignore[union-attr]
    dnf = re.search(r"sudo dnf install ([^`]+)`", flat).group(1).split()  # type: ignore[union-attr]
    assert apt == ["python3-venv", *DEBIAN_PACKAGES]
    assert dnf == FEDORA_PACKAGES


def test_the_default_catalog_table_matches_the_shipped_catalog() -> None:
    shipped = json.loads((Path(__file__).parents[2] / "resources/catalog/default.json").read_text())
    section = README.split("## The default catalog", 1)[1].split("\n## ", 1)[0]
    rows = [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in section.splitlines()
        if line.startswith("| ") and not line.startswith("| id ")
    ]
    table = {(r[0], r[1], r[2], r[3].split()[0].rstrip(":")) for r in rows}
    assert table == {
        (m["id"], m["tier"], m["type"], m["versions"][-1]["repo_id"]) for m in shipped["models"]
    }
    non_commercial = {m["id"] for m in shipped["models"] if not m["license"]["commercial_use"]}
    assert non_commercial == {r[0] for r in rows if "non-commercial" in r[3]}


def test_the_window_takes_data_dir_license_and_v(tmp_path: Path) -> None:
    """`clary-desktop` takes the same `--data-dir`, `--license FILE` and `-v` as the
    command line: the window (offscreen) opens the catalog there, reads that license
    (its serial lands in the data dir's license memory) and prints the log."""
    import sys
    from datetime import UTC, timedelta

    from tests.support.licenses import Signer

    signer = Signer(kid="window-test")
    signer.write_public(tmp_path / "keys")
    now = datetime.now(UTC)
    license_file = tmp_path / "pro.json"
    license_file.write_bytes(
        signer.license(
            license_id="lic-window",
            serial=4,
            issued_at=now - timedelta(days=1),
            expires_at=now + timedelta(days=30),
        )
    )
    data = tmp_path / "window-data"
    stderr_file = tmp_path / "stderr.txt"
    env = cli_support.clean_env(
        QT_QPA_PLATFORM="offscreen", CLARY_DEV_LICENSE_KEYS=str(tmp_path / "keys")
    )
    with stderr_file.open("w") as stderr:
        window = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "clary_desktop",
                "--data-dir",
                str(data),
                "--license",
                str(license_file),
                "-v",
            ],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env=env,
        )
    memory = data / "license-state.json"

    def remembered() -> dict:
        try:
            return json.loads(memory.read_text())["serials"]
        except (OSError, ValueError, KeyError):
            return {}

    try:
        deadline = time.monotonic() + 90
        while not (remembered() and "Loaded the default catalog" in stderr_file.read_text()):
            assert window.poll() is None, stderr_file.read_text()
            assert time.monotonic() < deadline, stderr_file.read_text()
            time.sleep(0.1)
    finally:
        window.terminate()
        window.wait(30)
    assert remembered() == {"lic-window": 4}
    assert (data / "catalog.db").is_file()
    assert "Loaded the default catalog" in (data / "logs" / "clary-desktop.log").read_text()
    assert "Traceback" not in stderr_file.read_text()


def test_the_screenshot_script_renders_every_screenshot_the_readme_shows(tmp_path: Path) -> None:
    """`QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py` (here into a
    temporary folder with its `--out DIR`)."""
    import sys

    script = Path(__file__).parents[2] / "scripts" / "screenshots.py"
    # -X faulthandler: should the script ever hang, SIGABRT makes it print every thread's
    # stack, so the failure says where it stood.
    process = subprocess.Popen(
        [sys.executable, "-X", "faulthandler", str(script), "--out", str(tmp_path / "shots")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_support.clean_env(QT_QPA_PLATFORM="offscreen"),
    )
    try:
        stdout, stderr = process.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)
        stdout, stderr = process.communicate(timeout=30)
        pytest.fail(f"the screenshot script hung for 240 s; its threads:\n{stderr[-8000:]}")
    result = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    shown = re.findall(r"\(docs/screenshots/([\w-]+\.png)\)", README)
    assert len(shown) >= 4
    # The small-screen and scale-2 pictures come from runs with --size / QT_SCALE_FACTOR
    # (the README gives the command); they are checked as committed.
    other_screens = [name for name in shown if re.search(r"-(\d+x\d+|scale2)\.png$", name)]
    for name in shown:
        folder = Path(__file__).parents[2] / "docs" / "screenshots"
        image = ((folder if name in other_screens else tmp_path / "shots") / name).read_bytes()
        assert image.startswith(b"\x89PNG\r\n\x1a\n") and len(image) > 10_000, name
    assert other_screens == ["main-window-1024x700.png", "main-window-scale2.png"]
    small = (Path(__file__).parents[2] / "docs" / "screenshots" / other_screens[0]).read_bytes()
    assert small[16:24] == (1024).to_bytes(4, "big") + (700).to_bytes(4, "big")


# ---- JSON output (stable) ------------------------------------------------------------------

SEED_FIELDS = (
    "id, name, description, type, version, size_bytes, filename, repo_id, download_url, "
    "tier, created_at, updated_at, parameters, tags"
)
MODEL_KEYS = {
    *SEED_FIELDS.split(", "),
    "license",
    "origin",
    "locked",
    "status",
    "installed_version",
    "update_available",
    "retired",
    "unverified",
    "recommended",
}
VERSION_KEYS = {
    "model_id",
    "version",
    "filename",
    "size_bytes",
    "download_url",
    "repo_id",
    "revision",
    "created_at",
    "changes",
    "files",
    "installed",
    "active",
}


#: The fields of `facts` as the README lists them (the test checks the output against it).
FACTS_KEYS = {
    name.strip()
    for name in " ".join(README.split())
    .split('(see "Will it run here?": `', 1)[1]
    .split(" [", 1)[0]
    .split(",")
} | {"source"}


def test_json_output_has_the_documented_shape(cli: Run) -> None:
    """`list --json`, `show ID --json` and `versions ID --json` as "JSON output (stable)"
    describes them."""
    assert f"`{SEED_FIELDS}`" in " ".join(README.split())  # the README's own list
    listed = json.loads(ok(cli("list", "--tier", "professional", "--json")).stdout)
    assert set(listed) == {"tier", "user_tier", "count", "models"}
    assert (listed["tier"], listed["user_tier"], listed["count"]) == ("professional", "lite", 6)
    names = [m["name"] for m in listed["models"]]
    assert names == sorted(names)  # sorted by name
    for model in listed["models"]:
        assert set(model) == MODEL_KEYS
        assert set(model["license"]) == {"id", "name", "url", "commercial_use"}
        for stamp in (model["created_at"], model["updated_at"]):
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", stamp), stamp

    shown = json.loads(ok(cli("show", "layoutlmv3", "--json")).stdout)
    assert set(shown) == MODEL_KEYS | {"versions", "facts"}
    facts = json.loads(ok(cli("show", "llama-3-8b", "--json")).stdout)["facts"]
    assert set(facts) == FACTS_KEYS
    assert all(
        set(f) == {"path", "format", "weight_bytes", "parameter_count"} for f in facts["files"]
    )
    fits = json.loads(ok(cli("list", "--fits", "--ram", "16GB", "--json")).stdout)
    assert set(fits) == {"tier", "user_tier", "count", "machine", "models"}
    assert all(set(m) == MODEL_KEYS | {"fit"} for m in fits["models"])
    assert all(set(m["fit"]) == {"verdict", "total_bytes", "reason"} for m in fits["models"])
    versions = json.loads(ok(cli("versions", "layoutlmv3", "--json")).stdout)
    assert set(versions) == {"model_id", "versions"} and versions["model_id"] == "layoutlmv3"
    assert versions["versions"] == shown["versions"]
    for version in versions["versions"]:
        assert set(version) == VERSION_KEYS
        assert all(set(f) == {"path", "size_bytes", "sha256", "url"} for f in version["files"])


def test_logs_rotate_in_clary_desktop_log(tmp_path: Path) -> None:
    """ "Logs rotate in `clary-desktop.log`": a long-running program never grows one file
    without end (run in a child process, so this process's logging is left alone)."""
    import sys

    log_file = tmp_path / "logs" / "clary-desktop.log"
    code = (
        "import logging, sys\n"
        "from pathlib import Path\n"
        "from clary_desktop.logging_setup import setup_logging\n"
        "setup_logging(Path(sys.argv[1]))\n"
        "for i in range(30_000):\n"
        "    logging.getLogger('clary_desktop.test').info('line %d %s', i, 'x' * 100)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(log_file)],
        capture_output=True,
        text=True,
        timeout=120,
        env=cli_support.clean_env(),
    )
    assert result.returncode == 0, result.stderr
    rotated = sorted(p.name for p in log_file.parent.iterdir())
    assert rotated[:2] == ["clary-desktop.log", "clary-desktop.log.1"], rotated
    assert all(p.stat().st_size <= 2_000_000 for p in log_file.parent.iterdir())
    assert "line 29999" in log_file.read_text()
