"""A cancel is final whichever process asked: `clary-models cancel` from a second
process stops a download running in another one, for good, partial files included."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path
from subprocess import Popen

import pytest

from clary_desktop.paths import resolve_paths
from tests.support import cli as cli_support
from tests.support.download_env import url_entry, write_manifest
from tests.support.fault_server import BlobServer, random_bytes
from tests.support.waiting import wait_until

DATA = random_bytes(4 * 1024 * 1024, seed=61)
ROUNDS = 10


@pytest.fixture
def server():
    # A minute for the file: still going when the cancel arrives, even on a loaded machine.
    with BlobServer(throttle=64 * 1024) as blob_server:
        blob_server.add("m.bin", DATA)
        yield blob_server


@pytest.fixture
def env(cli, server, tmp_path, data_dir) -> dict[str, str]:
    env = cli_support.clean_env()
    manifest = write_manifest(
        tmp_path / "catalog.json", url_entry("slow-model", {"m.bin": (server.url("m.bin"), DATA)})
    )
    assert cli("catalog", "import", manifest, env=env).returncode == 0
    # A stalled read is given up only after a minute: the cancel must not wait for that.
    paths = resolve_paths(data_dir)
    paths.settings_file.write_text(json.dumps({"download_stall_seconds": 60}))
    return env


def jobs(data_dir: Path) -> dict[int, str]:
    """Job id -> state, read straight from the database file (read-only)."""
    database = resolve_paths(data_dir).database_file
    con = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    try:
        return dict(con.execute("SELECT id, status FROM model_downloads"))
    finally:
        con.close()


def start_download(data_dir: Path, env: dict[str, str], part: Path) -> tuple[Popen, int]:
    download = cli_support.spawn(
        "--data-dir", data_dir, "download", "slow-model", env=env, output=subprocess.PIPE
    )
    wait_until(lambda: part.exists() and part.stat().st_size > 0, "the download runs")
    [job_id] = [j for j, state in jobs(data_dir).items() if state == "downloading"]
    return download, job_id


@pytest.mark.timeout(900)  # 20 runs of clary-models: about a minute, minutes when loaded
def test_cancel_from_another_process_is_final_ten_times_in_a_row(
    cli, env, server, data_dir
) -> None:
    folder = data_dir / "models" / "llm" / "slow-model" / "1.0"
    part, sidecar = folder / "m.bin.part", folder / "m.bin.part.json"
    for round_ in range(ROUNDS):
        if round_ % 2:
            server.fail_next("m.bin", "stall:100000")  # no byte after the first 100 kB
        download, job_id = start_download(data_dir, env, part)
        try:
            cancelled = cli("cancel", str(job_id), "--delete-partial", env=env)
            assert cancelled.returncode == 0, cancelled.stderr
            assert f"Cancelled download job {job_id}; partial files deleted." in cancelled.stdout
            assert not part.exists() and not sidecar.exists()

            _, errors = download.communicate(timeout=60)
        finally:
            if download.poll() is None:
                download.kill()
                download.wait()
        assert download.returncode == 1, errors
        assert "cancelled" in errors and "Traceback" not in errors
        assert jobs(data_dir)[job_id] == "cancelled", f"round {round_ + 1}: {errors}"
        assert not part.exists() and not sidecar.exists(), f"round {round_ + 1}"
        assert not (folder / "m.bin").exists()
    assert list(jobs(data_dir).values()) == ["cancelled"] * ROUNDS


def test_keep_partial_from_another_process_keeps_it_for_a_later_download(
    cli, env, server, data_dir
) -> None:
    folder = data_dir / "models" / "llm" / "slow-model" / "1.0"
    part = folder / "m.bin.part"
    download, job_id = start_download(data_dir, env, part)
    try:
        cancelled = cli("cancel", str(job_id), "--keep-partial", env=env)
        assert cancelled.returncode == 0, cancelled.stderr
        assert "partial files kept" in cancelled.stdout
        download.communicate(timeout=60)
    finally:
        if download.poll() is None:
            download.kill()
            download.wait()
    assert jobs(data_dir)[job_id] == "cancelled"
    kept = part.stat().st_size
    assert kept > 0 and (folder / "m.bin.part.json").exists()

    server.throttle = None
    finished = cli("download", "slow-model", env=env)
    assert finished.returncode == 0, finished.stderr
    server.settle()
    resumed = [r for r in server.requests if r.range]
    assert [r.range for r in resumed] == [f"bytes={kept}-"]  # it went on from the kept part
