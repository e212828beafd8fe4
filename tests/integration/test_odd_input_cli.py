"""Odd and hostile input to the real `clary-models` and `clary-catalog`: each gets one
line naming what is wrong (the entry and field where there is one), a non-zero exit,
and nothing changes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliRunner
from tests.support.cli import run
from tests.support.db_state import dump
from tests.support.licenses import Signer
from tests.support.manifests import model_entry


def _url_file(path: str, size: int | None = 10) -> dict[str, Any]:
    return {"path": path, "url": f"https://models.example/{path}", "size_bytes": size}


def _with_files(*files: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def mutate(entry: dict[str, Any]) -> None:
        entry["versions"] = [{"version": "1.0", "files": list(files)}]

    return mutate


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


#: name -> (a change to entry 2, the manifest text around it, what stderr must say)
CASES: dict[str, tuple[Callable[[dict[str, Any]], None] | None, str | None, str]] = {
    "size above 2**63-1": (
        _with_files(_url_file("w.bin", 2**63)),
        None,
        "entry 2 ('bad'), field versions[0].files[0].size_bytes: Input should be less than or "
        "equal to 9223372036854775807",
    ),
    "sizes adding up above 2**63-1": (
        _with_files(_url_file("a.bin", 2**62), _url_file("b.bin", 2**62)),
        None,
        "entry 2 ('bad'), field versions[0].files: the file sizes add up to more than",
    ),
    "a file where a folder must be": (
        _with_files(_url_file("a"), _url_file("a/b")),
        None,
        "entry 2 ('bad'), field versions[0].files: 'a' is a file, but 'a/b' needs it to be a "
        "folder",
    ),
    "paths differing only in case": (
        _with_files(_url_file("Model.bin"), _url_file("model.bin")),
        None,
        "entry 2 ('bad'), field versions[0].files: file paths 'Model.bin' and 'model.bin' "
        "differ only in case",
    ),
    "ids differing only in case": (
        lambda e: e.update(id="GOOD"),
        None,
        "entry 2 ('GOOD'), field id: duplicate of entry 1 ('good' differs only in case)",
    ),
    "an id differing only in case from the catalog's": (
        lambda e: e.update(id="LayoutLMv3"),
        None,
        "entry 2 ('LayoutLMv3'), field id: the catalog has 'layoutlmv3', which differs only "
        "in case",
    ),
    "versions differing only in case": (
        lambda e: e.update(
            versions=[
                {"version": "1.0-RC", "files": [_url_file("a")]},
                {"version": "1.0-rc", "files": [_url_file("a")]},
            ]
        ),
        None,
        "entry 2 ('bad'): versions '1.0-RC' and '1.0-rc' differ only in case",
    ),
    "deeply nested parameters": (
        lambda e: e.update(parameters={"x": json.loads(_deep(40))}),
        None,
        "entry 2 ('bad'), field parameters: nests deeper than 16 levels",
    ),
    "deeply nested document": (
        None,
        '{"models": [' + _deep(200_000) + "]}",
        "nests lists or objects too deeply to be a catalog manifest",
    ),
    "a 5000-digit sequence": (
        None,
        '{"sequence": ' + "7" * 5000 + ', "models": []}',
        "holds a 5000-digit number at line 1 column 14",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_catalog_import_names_what_is_wrong_and_changes_nothing(
    cli: CliRunner, tmp_path: Path, data_dir: Path, case: str
) -> None:
    assert cli("list").returncode == 0  # create and seed the database
    before = dump(data_dir / "catalog.db")
    mutate, text, expected = CASES[case]
    path = tmp_path / "odd.json"
    if text is None:
        bad = model_entry("bad")
        assert mutate is not None
        mutate(bad)
        text = json.dumps({"schema": 1, "models": [model_entry("good"), bad]})
    path.write_text(text)
    result = cli("catalog", "import", str(path))
    assert result.returncode == 1
    assert result.stderr.startswith(f"clary-models: error: {path}: "), result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
    assert dump(data_dir / "catalog.db") == before


@pytest.mark.parametrize("case", ["size above 2**63-1", "deeply nested document"])
def test_clary_catalog_sign_refuses_what_no_client_could_read(tmp_path: Path, case: str) -> None:
    mutate, text, expected = CASES[case]
    if text is None:
        bad = model_entry("bad")
        assert mutate is not None
        mutate(bad)
        text = json.dumps({"schema": 1, "sequence": 3, "models": [model_entry("good"), bad]})
    source = tmp_path / "catalog.json"
    source.write_text(text)
    private = Signer(kid="vendor-test").write_private(tmp_path / "secret")
    out = tmp_path / "signed.json"
    result = run("clary-catalog", "sign", "--key", private, "--in", source, "--out", out)
    assert result.returncode == 1
    assert result.stderr.startswith(f"clary-catalog: error: {source}: ")
    assert expected in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("pause", "1" * 23), "argument JOB: a job id must be between 1 and 9223372036854775807"),
        (("resume", "-3"), "argument JOB: a job id must be between 1 and"),
        (("cancel", "x1"), "argument JOB: a job id must be a whole number, not 'x1'"),
        (("serve", "--port", "99999"), "argument --port: a port must be between 0 and 65535"),
    ],
)
def test_out_of_range_numbers_on_the_command_line(
    cli: CliRunner, data_dir: Path, args: tuple[str, ...], expected: str
) -> None:
    assert cli("list").returncode == 0
    before = dump(data_dir / "catalog.db")
    result = cli(*args, timeout=60)
    assert result.returncode == 2
    assert expected in result.stderr and "Traceback" not in result.stderr
    assert dump(data_dir / "catalog.db") == before


@pytest.mark.parametrize("value", ["9" * 5000, "[" * 100_000])
def test_a_parameter_value_no_reader_could_take(cli: CliRunner, data_dir: Path, value: str) -> None:
    assert cli("list").returncode == 0
    before = dump(data_dir / "catalog.db")
    result = cli("params", "layoutlmv3", "--set", f"batch_size={value}")
    assert result.returncode == 1
    assert result.stderr.startswith("clary-models: error: --set batch_size: ")
    assert "is not a value Clary can read" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
    assert dump(data_dir / "catalog.db") == before


def test_clary_catalog_sign_refuses_an_absurd_sequence(tmp_path: Path) -> None:
    source = tmp_path / "catalog.json"
    source.write_text(json.dumps({"schema": 1, "models": [model_entry("good")]}))
    private = Signer(kid="vendor-test").write_private(tmp_path / "secret")
    out = tmp_path / "signed.json"
    result = run(
        "clary-catalog", "sign", "--key", private, "--in", source, "--out", out,
        "--sequence", "9" * 5000,
    )  # fmt: skip
    assert result.returncode == 2
    assert "argument --sequence: the sequence must be a whole number" in result.stderr
    assert not out.exists()


def test_a_search_text_past_the_limit_is_refused_in_words(cli: CliRunner) -> None:
    """SQLite's LIKE gives up on long patterns ("LIKE or GLOB pattern too complex")."""
    result = cli("list", "--search", "%" * 60_000)
    assert result.returncode == 1
    assert "search text is too long (60000 characters); use at most 200" in result.stderr
    assert "database" not in result.stderr.lower()
    assert cli("list", "--search", "%" * 200).returncode == 0  # at the limit: fine, no match
