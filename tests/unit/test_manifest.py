"""Manifests are untrusted input: every problem is named by entry and field."""

import json
from pathlib import Path

import pytest

from clary_desktop.errors import InvalidManifestError
from clary_desktop.registry.manifest import load_manifest_file, parse_manifest
from tests.support.manifests import hub_version, model_entry, url_version, write_manifest

REV = "0123456789abcdef0123456789abcdef01234567"


def test_a_valid_manifest_parses_and_knows_its_latest_version(tmp_path: Path) -> None:
    entry = model_entry(
        "m1",
        versions=[
            url_version("1.9.0", "https://e.example/a.gguf", 10),
            url_version("1.10.0", "https://e.example/b.gguf", 20),
        ],
    )
    manifest = load_manifest_file(write_manifest(tmp_path / "m.json", [entry]))
    assert manifest.models[0].latest.version == "1.10.0"
    assert manifest.models[0].latest.total_size == 20


def test_the_shipped_default_catalog_is_valid() -> None:
    from clary_desktop.registry.default_catalog import default_catalog_file

    manifest = load_manifest_file(default_catalog_file())
    by_id = {m.id: m for m in manifest.models}
    assert {"llama-3-8b", "phi-4-multimodal", "layoutlmv3"} <= set(by_id)
    assert by_id["llama-3-8b"].tier == "professional"
    assert by_id["phi-4-multimodal"].tier == "standard"
    assert by_id["layoutlmv3"].tier == "lite" and len(by_id["layoutlmv3"].latest.files) > 1
    assert any(m.type == "ocr" and m.tier == "lite" for m in manifest.models)
    assert by_id["layoutlmv3"].license is not None
    assert by_id["layoutlmv3"].license.commercial_use is False
    for model in manifest.models:
        assert model.license is not None, model.id
        for version in model.versions:
            assert version.repo_id and version.revision and len(version.revision) == 40


def _error(raw: object) -> str:
    with pytest.raises(InvalidManifestError) as info:
        parse_manifest(raw, "cat.json")
    return str(info.value)


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda e: e.update(tier="gold"), "entry 2 ('bad'), field tier: unknown tier 'gold'"),
        (lambda e: e.pop("name"), "entry 2 ('bad'), field name: is missing"),
        (lambda e: e.update(name=5), "entry 2 ('bad'), field name: Input should be a valid string"),
        (lambda e: e.update(tags="llm"), "entry 2 ('bad'), field tags"),
        (
            lambda e: e["versions"][0]["files"][0].update(path="../../x"),
            "field versions[0].files[0].path: file path '../../x' leaves the model folder",
        ),
        (
            lambda e: e["versions"][0]["files"][0].update(path="/etc/passwd"),
            "field versions[0].files[0].path: file path '/etc/passwd' is absolute",
        ),
        (
            lambda e: e["versions"][0]["files"][0].update(size_bytes=-1),
            "field versions[0].files[0].size_bytes",
        ),
        (
            lambda e: e["versions"][0]["files"][0].update(sha256="abc"),
            "field versions[0].files[0].sha256",
        ),
        (
            lambda e: e["versions"][0].update(download_url="file:///etc/passwd"),
            "field versions[0].download_url",
        ),
        (lambda e: e.update(versions=[]), "entry 2 ('bad'), field versions"),
        (lambda e: e.update(surprise=1), "entry 2 ('bad'), field surprise: is not a known field"),
        (lambda e: e.update(id="../up"), "entry 2 ('../up'), field id: model id '../up' must"),
        (
            lambda e: e.update(versions=[hub_version("1", "a/b", None, [{"path": "x"}])]),
            "field versions[0]: a Hub version needs a pinned revision",
        ),
        (
            lambda e: e.update(
                versions=[
                    hub_version("1", "a/b", REV, [{"path": "x"}]),
                    hub_version("1", "a/b", REV, [{"path": "x"}]),
                ]
            ),
            "versions lists the same version twice",
        ),
    ],
)
def test_hostile_or_broken_entries_are_named(mutate, expected: str) -> None:  # type: ignore[no-untyped-def]
    good = model_entry("good")
    bad = model_entry("bad")
    mutate(bad)
    assert expected in _error({"models": [good, bad]})


def test_duplicate_ids_name_both_entries() -> None:
    message = _error({"models": [model_entry("same"), model_entry("other"), model_entry("same")]})
    assert (
        message
        == "cat.json: entry 3 ('same'), field id: duplicate of entry 1; each id may appear once"
    )


def test_file_level_problems_are_plain_sentences(tmp_path: Path) -> None:
    cases = {
        "missing.json": "no such file",
        "notjson.json": "is not valid JSON (Expecting value at line 1 column 1)",
        "list.json": 'must be a JSON object with a "models" list',
        "latin1.json": "is not UTF-8 text",
    }
    (tmp_path / "notjson.json").write_text("hello")
    (tmp_path / "list.json").write_text("[]")
    (tmp_path / "latin1.json").write_bytes(b'{"models": "\xff"}')
    for name, expected in cases.items():
        with pytest.raises(InvalidManifestError) as info:
            load_manifest_file(tmp_path / name)
        assert str(info.value) == f"{tmp_path / name}: {expected}"
    with pytest.raises(InvalidManifestError, match="is a folder"):
        load_manifest_file(tmp_path)


def test_error_counts_further_problems(tmp_path: Path) -> None:
    bad = model_entry("bad", tier="gold")
    bad.pop("name")
    path = write_manifest(tmp_path / "m.json", [bad])
    with pytest.raises(InvalidManifestError, match=r"\(and 1 more problem\)"):
        load_manifest_file(path)
    assert json.loads(path.read_text())["models"][0]["tier"] == "gold"
