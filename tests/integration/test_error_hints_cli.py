"""Real `clary-models` processes: a core error is one line, the core's plain words then
the command its hint names; the command it names works, and nothing changed before."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path

from tests.conftest import CliRunner
from tests.support import cli as cli_support
from tests.support.gguf_files import write_gguf
from tests.support.manifests import model_entry, write_manifest

LITE_MODEL = "qwen2.5-1.5b-instruct"  # in the shipped catalog, not installed


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("clary-models: error: ")
    return line.removeprefix("clary-models: error: ")


def hinted_command(line: str) -> list[str]:
    """The arguments of the one `clary-models ...` command the line names."""
    [command] = re.findall(r"`clary-models ([^`]+)`", line)
    return shlex.split(command)


def test_an_unknown_api_key_points_to_the_list(cli: CliRunner) -> None:
    assert cli("apikey", "create", "pipeline").returncode == 0
    line = error_line(cli("apikey", "revoke", "nobody"))
    assert line == (
        "No API key named 'nobody'; check the name. "
        "Run `clary-models apikey list` to see the names."
    )
    listed = cli(*hinted_command(line), "--json")
    assert [(k["name"], k["revoked_at"]) for k in json.loads(listed.stdout)["keys"]] == [
        ("pipeline", None)
    ]


def test_a_model_that_is_not_installed_points_to_its_download(cli: CliRunner) -> None:
    line = error_line(cli("use", "llm", LITE_MODEL))
    assert line == (
        f"Model '{LITE_MODEL}' is not installed. Download it first. "
        f"Run `clary-models download {LITE_MODEL}`."
    )
    assert json.loads(cli("usage", "--json").stdout) == {"tasks": []}
    line = error_line(cli("update", LITE_MODEL))
    assert line.startswith(f"{LITE_MODEL} is not installed, so there is nothing to update;")
    assert hinted_command(line) == ["download", LITE_MODEL]


def test_an_unsigned_catalog_file_points_to_the_command_that_accepts_it(
    cli: CliRunner, tmp_path: Path
) -> None:
    plain = write_manifest(tmp_path / "our catalog.json", [model_entry("our-model")])
    line = error_line(cli("catalog", "sync", "--from", str(plain)))
    assert line.startswith(f"{plain}: the catalog is not signed. If you trust this file, ")
    assert hinted_command(line) == ["catalog", "sync", "--from", str(plain), "--allow-unsigned"]
    listed = json.loads(cli("list", "--json").stdout)["models"]
    assert "our-model" not in {m["id"] for m in listed}

    synced = cli(*hinted_command(line))
    assert synced.returncode == 0, synced.stderr
    listed = json.loads(cli("list", "--json").stdout)["models"]
    assert "our-model" in {m["id"] for m in listed}


def test_a_taken_local_id_points_to_remove(cli: CliRunner, tmp_path: Path) -> None:
    first = cli("import-file", str(write_gguf(tmp_path / "keep.gguf")), "--id", "keep")
    assert first.returncode == 0, first.stderr
    other = write_gguf(tmp_path / "other.gguf", name="Another model", context_length=2048)
    line = error_line(cli("import-file", str(other), "--id", "keep"))
    assert line == (
        "A local model 'keep' exists already. Remove it first, or choose another id. "
        "Run `clary-models remove keep`."
    )
    shown = json.loads(cli("show", "keep", "--json").stdout)
    assert shown["installed_version"] is not None
    assert other.exists()


def test_a_data_folder_that_cannot_be_made_points_to_the_option(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = cli_support.run("clary-models", "--data-dir", blocker / "data", "list")
    line = error_line(result)
    assert "Choose another data folder. Give it with --data-dir DIR (or CLARY_DATA_DIR)." in line
    assert blocker.read_text() == "not a folder"


def test_no_license_points_to_the_install_command(cli: CliRunner) -> None:
    shown = cli("license")
    assert shown.returncode == 0, shown.stderr
    [reason] = [line for line in shown.stdout.splitlines() if line.startswith("Reason")]
    assert reason.endswith(
        "Install the license file you received from Clary. Run `clary-models license install FILE`."
    )
    assert "hint" not in json.loads(cli("license", "show", "--json").stdout)  # JSON as it was
