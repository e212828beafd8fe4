"""Every command that needs no network works with the network blocked, through real
`clary-models` processes; a download in offline mode fails at once, in one sentence."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.support import cli as cli_support
from tests.support.gguf_files import write_gguf
from tests.support.storage_env import no_network_env


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


def failed(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def net_log(tmp_path: Path) -> Path:
    return tmp_path / "network-attempts.log"


def run_in(data_dir: Path, env: dict[str, str]):  # type: ignore[no-untyped-def]
    def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return cli_support.run("clary-models", "--data-dir", data_dir, *args, env=env)

    return run


def test_the_blocker_really_blocks(tmp_path: Path, net_log: Path) -> None:
    code = (
        "import socket\ntry:\n socket.create_connection(('192.0.2.1', 443), 1)\n"
        "except OSError as e:\n print(e)"
    )
    result = subprocess.run(
        [cli_support.sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=no_network_env(net_log),
        timeout=60,
    )
    assert "blocked" in result.stdout
    assert net_log.read_text()


@pytest.mark.parametrize("how", ["environment", "setting"])
def test_offline_every_local_command_works(tmp_path: Path, net_log: Path, how: str) -> None:
    data = tmp_path / "data"
    env = no_network_env(net_log)
    if how == "setting":
        env.pop("CLARY_OFFLINE")
        data.mkdir()
        (data / "settings.json").write_text(json.dumps({"offline": True}))
    models = run_in(data, env)
    gguf = write_gguf(tmp_path / "offline-model.gguf")

    listed = json.loads(ok(models("list", "--json")).stdout)["models"]
    assert any(m["id"] == "layoutlmv3" for m in listed)
    assert "LayoutLMv3" in ok(models("show", "layoutlmv3")).stdout
    ok(models("versions", "layoutlmv3"))
    imported = ok(models("import-file", gguf, "--id", "offline-model"))
    assert "Q4_K_M" in imported.stdout
    assert "ok" in ok(models("verify", "offline-model")).stdout
    ok(models("export", "offline-model", "--to", tmp_path / "bundle.tar"))
    report = json.loads(ok(models("storage", "--json")).stdout)
    assert [m["model_id"] for m in report["models"]] == ["offline-model"]

    second = run_in(tmp_path / "second", env)
    ok(second("import-bundle", tmp_path / "bundle.tar"))
    assert "ok" in ok(second("verify", "offline-model")).stdout

    line = failed(models("download", "layoutlmv3"))
    assert "offline mode" in line
    assert not net_log.exists(), net_log.read_text()
