"""Start-up: each command loads only the libraries it needs.

The real programs run in a subprocess with PYTHONPROFILEIMPORTTIME=1, which makes Python
report every module it imports on stderr; the tests read that list. No timings are
asserted (the figures are in the benchmarks); what is checked is that a light command
never pays for a heavy library.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from tests.support import cli as cli_support

#: Libraries only some commands need: the Hub client, the API server, GGUF reading.
HEAVY = {"huggingface_hub", "fastapi", "starlette", "uvicorn", "gguf", "numpy"}
#: Also kept out of commands that only read the catalog: HTTP, and signature checks
#: (there is no license file in these tests, so nothing is verified).
NETWORK_AND_SIGNING = {"requests", "urllib3", "cryptography"}
#: What `--version` and `--help` need none of: the catalog and the value types.
CATALOG = {"sqlalchemy", "pydantic"}
_IMPORT_LINE = re.compile(r"^import time:\s+\d+ \|\s+\d+ \|\s*([\w.]+)\s*$")


def _run(*args: str | Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run `clary-models ARGS`; its result and the top-level packages it imported."""
    result = cli_support.run(
        "clary-models", *args, env=cli_support.clean_env(PYTHONPROFILEIMPORTTIME="1")
    )
    return result, _imported(result.stderr)


def _imported(stderr: str) -> set[str]:
    return {m.group(1).split(".")[0] for m in map(_IMPORT_LINE.match, stderr.splitlines()) if m}


def test_version_and_help_load_neither_the_catalog_nor_any_heavy_library() -> None:
    for args in (["--version"], ["--help"], ["download", "--help"], ["import-file", "--help"]):
        result, loaded = _run(*args)
        assert result.returncode == 0, result.stderr[-2000:]
        assert result.stdout.startswith(("clary-models 0.", "usage: clary-models")), args
        assert "clary_desktop" in loaded, "the import list was not captured"
        assert not loaded & (HEAVY | NETWORK_AND_SIGNING | CATALOG), args


def test_an_argument_error_is_reported_before_anything_heavy_loads() -> None:
    result, loaded = _run("list", "--tier", "gold")
    assert result.returncode == 2
    assert "unknown tier 'gold'" in result.stderr
    assert not loaded & (HEAVY | NETWORK_AND_SIGNING | CATALOG)


def test_list_and_show_read_the_catalog_without_the_hub_server_or_http_libraries(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    result, loaded = _run("--data-dir", data, "list", "--json")
    assert result.returncode == 0, result.stderr[-2000:]
    listed = json.loads(result.stdout)
    assert listed["count"] > 0 and listed["user_tier"] == "lite"
    assert "sqlalchemy" in loaded  # the list is complete: the catalog's library is in it
    assert not loaded & (HEAVY | NETWORK_AND_SIGNING)

    model = listed["models"][0]
    for args, shows in (
        (["show", model["id"]], model["name"]),
        (["versions", model["id"]], model["version"]),
        (["list"], model["id"]),
    ):
        result, loaded = _run("--data-dir", data, *args)
        assert result.returncode == 0, result.stderr[-2000:]
        assert shows in result.stdout, args
        assert not loaded & (HEAVY | NETWORK_AND_SIGNING), args


def test_the_window_answers_its_version_without_loading_qt() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "clary_desktop.gui.app", "--version"],
        capture_output=True,
        text=True,
        env=cli_support.clean_env(PYTHONPROFILEIMPORTTIME="1"),
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().startswith("clary-desktop 0.")
    loaded = {m.group(1) for m in map(_IMPORT_LINE.match, result.stderr.splitlines()) if m}
    assert "clary_desktop.gui.platform_check" in loaded  # the list was captured
    assert not {m for m in loaded if m.startswith(("PySide6.Qt", "qasync"))}
    assert not {m.split(".")[0] for m in loaded} & (HEAVY | NETWORK_AND_SIGNING | CATALOG)
