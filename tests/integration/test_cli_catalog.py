"""`clary-models` in a real subprocess against a real SQLite file."""

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import CliRunner
from tests.support.db_state import dump
from tests.support.manifests import (
    SEED_MODEL_FIELDS,
    model_entry,
    url_version,
    write_manifest,
)

DEFAULT = json.loads((Path(__file__).parents[2] / "resources/catalog/default.json").read_text())
ALL_IDS = sorted(m["id"] for m in DEFAULT["models"])
LITE_IDS = sorted(m["id"] for m in DEFAULT["models"] if m["tier"] == "lite")


def _json(result: subprocess.CompletedProcess[str]) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_list_json_shows_only_lite_models_without_a_license(cli: CliRunner) -> None:
    out = _json(cli("list", "--json"))
    assert out["tier"] == "lite" and out["user_tier"] == "lite"
    assert sorted(m["id"] for m in out["models"]) == LITE_IDS
    assert all(m["tier"] == "lite" and not m["locked"] for m in out["models"])
    assert out["count"] == len(LITE_IDS)
    first = out["models"][0]
    assert SEED_MODEL_FIELDS | {"license", "status", "locked"} <= set(first)


def test_list_tier_professional_shows_everything_with_higher_tiers_locked(cli: CliRunner) -> None:
    out = _json(cli("list", "--tier", "professional", "--json"))
    assert sorted(m["id"] for m in out["models"]) == ALL_IDS
    locked = {m["id"] for m in out["models"] if m["locked"]}
    assert locked == {m["id"] for m in DEFAULT["models"] if m["tier"] != "lite"}


def test_list_filters_and_human_table(cli: CliRunner) -> None:
    out = _json(cli("list", "--tier", "professional", "--type", "ocr", "--json"))
    assert [m["id"] for m in out["models"]] == ["got-ocr-2"]
    out = _json(cli("list", "--tier", "professional", "--search", "phi", "--json"))
    assert [m["id"] for m in out["models"]] == ["phi-4-multimodal"]

    table = cli("list", "--tier", "professional")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["ID", "NAME", "TYPE", "VERSION", "SIZE", "TIER", "STATUS"]
    llama = next(line for line in lines if line.startswith("llama-3-8b"))
    assert "4.92 GB" in llama and "locked (needs professional)" in llama
    # Columns are aligned: every row's TIER column starts at the same offset.
    tier_col = lines[0].index("TIER")
    assert all(
        line[tier_col:].split()[0] in {"lite", "standard", "professional"} for line in lines[2:]
    )

    empty = cli("list", "--search", "no-such-model-anywhere")
    assert empty.returncode == 0 and empty.stdout == "" and "No models match" in empty.stderr


def test_show_and_versions(cli: CliRunner) -> None:
    shown = cli("show", "layoutlmv3")
    assert shown.returncode == 0, shown.stderr
    assert "NON-COMMERCIAL" in shown.stdout
    assert "microsoft/layoutlmv3-base @ cfbbbff0762e6aab37086fdd4739ad14fe7d5db4" in shown.stdout
    assert "preprocessor_config.json" in shown.stdout

    data = _json(cli("show", "layoutlmv3", "--json"))
    assert data["license"] == {
        "id": "cc-by-nc-sa-4.0",
        "name": "Creative Commons Attribution-NonCommercial-ShareAlike 4.0",
        "url": "https://creativecommons.org/licenses/by-nc-sa/4.0/",
        "commercial_use": False,
    }
    assert len(data["versions"][0]["files"]) == 6

    versions = _json(cli("versions", "llama-3-8b", "--json"))
    assert versions["model_id"] == "llama-3-8b"
    assert versions["versions"][0]["files"][0]["sha256"] == (
        "ab9e4eec7e80892fd78f74d9a15d0299f1e22121cea44efd68a7a02a3fe9a1da"
    )
    human = cli("versions", "llama-3-8b")
    assert human.returncode == 0 and human.stdout.splitlines()[2].startswith("1.0.0")


def test_catalog_import_adds_and_updates(cli: CliRunner, tmp_path: Path) -> None:
    manifest = write_manifest(
        tmp_path / "extra.json",
        [
            model_entry("scanner-ocr", model_type="ocr", tags=["scanner"]),
            model_entry(
                "layoutlmv3",
                tier="lite",
                name="LayoutLMv3 (our mirror)",
                versions=[
                    url_version("2.0.0", "https://mirror.example/l.bin", 99, changes="mirrored")
                ],
            ),
        ],
    )
    result = cli("catalog", "import", str(manifest))
    assert result.returncode == 0, result.stderr
    assert "Imported 2 entries" in result.stdout and "1 added, 1 updated" in result.stdout
    out = _json(cli("list", "--json"))
    by_id = {m["id"]: m for m in out["models"]}
    assert by_id["scanner-ocr"]["origin"] == "import"
    assert by_id["layoutlmv3"]["name"] == "LayoutLMv3 (our mirror)"
    assert by_id["layoutlmv3"]["version"] == "2.0.0"
    assert [v["version"] for v in _json(cli("versions", "layoutlmv3", "--json"))["versions"]] == [
        "2.0.0",
        "1.0.0",
    ]


BAD_MANIFESTS = {
    "wrong type": (
        lambda e: e.update(name=12),
        "entry 2 ('bad'), field name: Input should be a valid string",
    ),
    "missing field": (lambda e: e.pop("type"), "entry 2 ('bad'), field type: is missing"),
    "unknown tier": (
        lambda e: e.update(tier="enterprise"),
        "entry 2 ('bad'), field tier: unknown tier 'enterprise'",
    ),
    "dot-dot path": (
        lambda e: e["versions"][0]["files"][0].update(path="../../x"),
        "entry 2 ('bad'), field versions[0].files[0].path: "
        "file path '../../x' leaves the model folder",
    ),
    "absolute path": (
        lambda e: e["versions"][0]["files"][0].update(path="/etc/passwd"),
        "entry 2 ('bad'), field versions[0].files[0].path: file path '/etc/passwd' is absolute",
    ),
    "duplicate id": (
        lambda e: e.update(id="good"),
        "entry 2 ('good'), field id: duplicate of entry 1",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_MANIFESTS))
def test_bad_manifests_are_refused_and_change_nothing(
    cli: CliRunner, tmp_path: Path, data_dir: Path, case: str
) -> None:
    assert cli("list").returncode == 0  # create and seed the database
    before = dump(data_dir / "catalog.db")
    mutate, expected = BAD_MANIFESTS[case]
    bad = model_entry("bad")
    mutate(bad)
    path = write_manifest(tmp_path / "bad.json", [model_entry("good"), bad])
    result = cli("catalog", "import", str(path))
    assert result.returncode == 1
    assert result.stderr.startswith(f"clary-models: error: {path}: ")
    assert expected in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
    assert dump(data_dir / "catalog.db") == before


def test_unknown_ids_and_bad_arguments(cli: CliRunner) -> None:
    result = cli("show", "no-such-model")
    assert result.returncode == 1
    assert result.stderr == (
        "clary-models: error: No model with id 'no-such-model' in the catalog. "
        "Run `clary-models list --tier professional` to see every id.\n"
    )
    result = cli("versions", "no-such-model", "--json")
    assert result.returncode == 1 and result.stdout == ""
    result = cli("list", "--tier", "gold")
    assert result.returncode == 2 and "unknown tier 'gold'" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_corrupt_database_gives_one_line_and_is_left_as_it_was(
    cli: CliRunner, data_dir: Path
) -> None:
    data_dir.mkdir(parents=True)
    db_file = data_dir / "catalog.db"
    db_file.write_bytes(os.urandom(8192))
    before = db_file.read_bytes()
    result = cli("list")
    assert result.returncode == 1
    assert "is damaged" in result.stderr and "Move it away" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
    assert db_file.read_bytes() == before


def test_a_zero_byte_database_is_refused_not_recreated(cli: CliRunner, data_dir: Path) -> None:
    assert cli("apikey", "create", "tester").returncode == 0
    db_file = data_dir / "catalog.db"
    db_file.write_bytes(b"")  # what a crash or a full disk can leave behind
    for args in (("list",), ("apikey", "list"), ("catalog", "import", str(db_file))):
        result = cli(*args)
        assert result.returncode == 1, args
        assert "is empty (0 bytes)" in result.stderr, result.stderr
        assert "Move the file away" in result.stderr
        assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
        assert db_file.stat().st_size == 0

    # The way out the message gives: move it away, and a fresh catalog starts.
    db_file.rename(data_dir / "catalog.db.damaged")
    assert _json(cli("list", "--json"))["count"] == len(LITE_IDS)
    assert (data_dir / "catalog.db.damaged").stat().st_size == 0


def _make_read_only(path: Path) -> None:
    """chmod is not enough for root (CI runs as root): mark the file immutable there."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(path)], check=True)
    else:
        path.chmod(0o444)


def _undo_read_only(path: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(path)], check=True)
    path.chmod(0o644)


def test_a_read_only_database_gives_one_line_and_is_left_as_it_was(
    cli: CliRunner, data_dir: Path, tmp_path: Path
) -> None:
    assert cli("list").returncode == 0
    db_file = data_dir / "catalog.db"
    before = dump(db_file)
    manifest = write_manifest(tmp_path / "m.json", [model_entry("new-one")])
    _make_read_only(db_file)
    try:
        for args in (["list"], ["catalog", "import", str(manifest)]):
            result = cli(*args)
            assert result.returncode == 1
            assert "is read-only" in result.stderr and "write access" in result.stderr
            assert "Traceback" not in result.stderr
    finally:
        _undo_read_only(db_file)
    assert dump(db_file) == before


def test_logs_go_to_a_file_in_the_data_dir_and_to_stderr_with_v(
    cli: CliRunner, data_dir: Path
) -> None:
    quiet = cli("list")
    assert quiet.returncode == 0 and quiet.stderr == ""
    log_file = data_dir / "logs" / "clary-desktop.log"
    assert "Loaded the default catalog" in log_file.read_text()
    loud = cli("-v", "catalog", "import", str(data_dir / "missing.json"))
    assert loud.returncode == 1
    assert "INFO clary_desktop.cli.parsing: clary-models catalog failed" in loud.stderr
    assert "catalog failed" in log_file.read_text()


def test_data_dir_from_the_environment_and_database_url(tmp_path: Path) -> None:
    from tests.support.cli import clean_env, run

    env_dir = tmp_path / "from-env"
    result = run("clary-models", "list", "--json", env=clean_env(CLARY_DATA_DIR=str(env_dir)))
    assert result.returncode == 0, result.stderr
    assert (env_dir / "catalog.db").is_file()

    other_db = tmp_path / "team" / "shared.db"
    other_db.parent.mkdir()
    result = run(
        "clary-models",
        "--data-dir",
        tmp_path / "d2",
        "list",
        "--json",
        env=clean_env(CLARY_DATABASE_URL=f"sqlite:///{other_db}"),
    )
    assert result.returncode == 0, result.stderr
    assert other_db.is_file() and not (tmp_path / "d2" / "catalog.db").exists()
