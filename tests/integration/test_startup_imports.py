"""Start-up: each command loads only the libraries it needs.

The real programs run in a subprocess with PYTHONPROFILEIMPORTTIME=1, which makes Python
report every module it imports on stderr; the tests read that list. No timings are
asserted (the figures are in the benchmarks); what is checked is that a light command
never pays for a heavy library.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from clary_desktop.paths import resolve_paths
from tests.support import cli as cli_support

#: Libraries only some commands need: the Hub client, the API server, GGUF reading.
HEAVY = {"huggingface_hub", "fastapi", "starlette", "uvicorn", "gguf", "numpy"}
#: Also kept out of commands that only read the catalog: HTTP, and signature checks
#: (there is no license file in these tests, so nothing is verified).
NETWORK_AND_SIGNING = {"requests", "urllib3", "cryptography"}
#: What `--version` and `--help` need none of: the catalog and the value types.
CATALOG = {"sqlalchemy", "pydantic"}
_IMPORT_LINE = re.compile(r"^import time:\s+\d+ \|\s+\d+ \|\s*([\w.]+)\s*$")
#: Value types whose pydantic schema is built on first use (`defer_build`): reading the
#: catalog needs none of them.
DEFERRED_VALUES = (
    "clary_desktop.app.updates",
    "clary_desktop.domain.download_values",
    "clary_desktop.domain.file_formats",
    "clary_desktop.domain.pipeline_values",
    "clary_desktop.domain.storage_values",
    "clary_desktop.licensing",
    "clary_desktop.registry.manifest",
    "clary_desktop.registry.signed_catalog",
    "clary_desktop.storage.bundle_manifest",
)
# Built at import on purpose, though its module's other values are deferred: the API's
# request body (FastAPI warns when it has to build a deferred model inside its own schema).
BUILT_AT_IMPORT = {"clary_desktop.domain.pipeline_values.RunReport"}
#: Runs `clary-models ARGS` through its `main` and then names, on the last line of stderr,
#: the project's pydantic models whose schema was built.
_REPORT_BUILT = """
import sys
from pydantic import BaseModel
from clary_desktop.cli.main import main

code = main(sys.argv[1:])

def subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)

built = {
    f"{model.__module__}.{model.__qualname__}"
    for model in subclasses(BaseModel)
    if model.__module__.startswith("clary_desktop") and model.__pydantic_complete__
}
sys.stderr.write("built: " + " ".join(sorted(built)) + "\\n")
sys.exit(code)
"""


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


#: Parts of the program that reading the catalog does not use.
UNUSED_BY_READING = (
    "clary_desktop.storage",
    "clary_desktop.app.model_fit",
    "clary_desktop.domain.memory_fit",
    "clary_desktop.domain.storage_values",
    "clary_desktop.registry.catalog_sync",
    "clary_desktop.downloads.manager",
)


def test_reading_the_catalog_loads_none_of_the_parts_it_does_not_use(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first, _ = _run("--data-dir", data, "list")
    assert first.returncode == 0, first.stderr[-2000:]
    model_id = first.stdout.splitlines()[2].split()[0]
    for args in (["list"], ["list", "--json"], ["show", model_id], ["versions", model_id]):
        # No kept answer: the run that reads the catalog is the one looked at.
        shutil.rmtree(resolve_paths(data).answers_dir, ignore_errors=True)
        result = cli_support.run(
            "clary-models",
            "--data-dir",
            data,
            *args,
            env=cli_support.clean_env(PYTHONPROFILEIMPORTTIME="1"),
        )
        assert result.returncode == 0, result.stderr[-2000:]
        modules = {m.group(1) for m in map(_IMPORT_LINE.match, result.stderr.splitlines()) if m}
        assert "clary_desktop.registry.catalog" in modules, "the import list was not captured"
        unused = {m for m in modules if m.startswith(UNUSED_BY_READING)}
        assert not unused, (args, sorted(unused))


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


def _built_models(*args: str | Path) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", _REPORT_BUILT, *map(str, args)],
        capture_output=True,
        text=True,
        env=cli_support.clean_env(),
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    last = result.stderr.splitlines()[-1]
    assert last.startswith("built: "), result.stderr[-2000:]
    return set(last.removeprefix("built: ").split())


def test_reading_the_catalog_builds_only_the_values_it_shows(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = cli_support.run("clary-models", "--data-dir", data, "list", "--json")
    assert first.returncode == 0, first.stderr[-2000:]
    model_id = json.loads(first.stdout)["models"][0]["id"]

    # The database exists and the default catalog is loaded: what every later run meets.
    for args, shown in (
        (["list"], "clary_desktop.domain.model_views.ModelInfo"),
        (["list", "--json"], "clary_desktop.domain.model_views.ModelInfo"),
        (["show", model_id], "clary_desktop.domain.model_views.VersionInfo"),
    ):
        # A kept answer of an earlier run would build nothing: this is about the run
        # that reads the catalog (see test_answer_cache.py for the kept answers).
        shutil.rmtree(resolve_paths(data).answers_dir, ignore_errors=True)
        built = _built_models("--data-dir", data, *args)
        assert shown in built, (args, built)  # the values printed were built
        deferred_but_built = {n for n in built if n.startswith(DEFERRED_VALUES)} - BUILT_AT_IMPORT
        assert not deferred_but_built, (args, built)
