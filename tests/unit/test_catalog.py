"""The catalog behind the Registry: tier filtering, search, imports, default catalog reloads."""

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from clary_desktop.app import Registry
from clary_desktop.db.tables import ModelMetadata, ModelVersion, VersionFile
from clary_desktop.domain.access import Tier
from clary_desktop.errors import ClaryError, InvalidManifestError, NotFoundError
from clary_desktop.paths import AppPaths
from clary_desktop.registry.default_catalog import default_catalog_file
from clary_desktop.registry.manifest import parse_manifest
from tests.support.manifests import model_entry, url_version, write_manifest

DEFAULT_IDS = {m["id"] for m in json.loads(default_catalog_file().read_text())["models"]}
LITE_IDS = {
    m["id"] for m in json.loads(default_catalog_file().read_text())["models"] if m["tier"] == "lite"
}


def _counts(registry: Registry) -> tuple[int, int, int]:
    with registry.db.read() as s:
        return (
            s.scalar(select(func.count()).select_from(ModelMetadata)) or 0,
            s.scalar(select(func.count()).select_from(ModelVersion)) or 0,
            s.scalar(select(func.count()).select_from(VersionFile)) or 0,
        )


def test_default_catalog_is_loaded_on_first_start(registry: Registry) -> None:
    assert {m.id for m in registry.list_models(tier="professional")} == DEFAULT_IDS
    assert {m.id for m in registry.list_models()} == LITE_IDS  # no license: lite
    assert registry.tier is Tier.LITE


def test_models_above_the_user_tier_are_listed_as_locked(registry: Registry) -> None:
    models = {m.id: m for m in registry.list_models(tier="professional")}
    assert models["llama-3-8b"].locked and models["llama-3-8b"].status == "locked"
    assert not models["layoutlmv3"].locked and models["layoutlmv3"].status == "not installed"


def test_tier_filter_type_filter_and_search_combine(paths: AppPaths) -> None:
    with Registry.open(paths, tier_source=lambda: Tier.PROFESSIONAL) as registry:
        assert {m.id for m in registry.list_models(tier="standard", model_type="llm")} == {
            "phi-4-multimodal",
            "qwen2.5-1.5b-instruct",
        }
        assert [m.id for m in registry.list_models(search="GGUF llama")] == ["llama-3-8b"]
        assert [m.id for m in registry.list_models(search="non-commercial")] == ["layoutlmv3"]
        assert registry.list_models(search="100%_literal") == []
        assert registry.count_models(model_type="llm") == 3
        assert registry.model_types() == ["layout", "llm", "ocr"]


def test_get_model_and_versions(registry: Registry) -> None:
    model = registry.get_model("layoutlmv3")
    assert model.license.commercial_use is False
    assert model.repo_id == "microsoft/layoutlmv3-base"
    [version] = registry.versions("layoutlmv3")
    assert version.revision == "cfbbbff0762e6aab37086fdd4739ad14fe7d5db4"
    assert [f.path for f in version.files][:2] == ["model.safetensors", "config.json"]
    with pytest.raises(NotFoundError, match="No model with id 'nope'"):
        registry.get_model("nope")
    with pytest.raises(NotFoundError):
        registry.versions("nope")


def test_import_adds_and_updates_and_merges_versions(registry: Registry, tmp_path: Path) -> None:
    first = write_manifest(
        tmp_path / "a.json",
        [
            model_entry("custom", versions=[url_version("1.9.0", "https://e.example/a.gguf", 5)]),
        ],
    )
    summary = registry.import_catalog(first)
    assert (summary.added, summary.updated) == (1, 0)
    second = write_manifest(
        tmp_path / "b.json",
        [
            model_entry(
                "custom",
                name="Custom v2",
                versions=[url_version("1.10.0", "https://e.example/b.gguf", 7, changes="faster")],
            ),
            model_entry("another"),
        ],
    )
    summary = registry.import_catalog(second)
    assert (summary.added, summary.updated) == (1, 1)
    model = registry.get_model("custom")
    assert (model.name, model.version, model.size_bytes) == ("Custom v2", "1.10.0", 7)
    assert [v.version for v in registry.versions("custom")] == ["1.10.0", "1.9.0"]
    # Re-importing the older manifest keeps 1.10.0 as the newest version.
    registry.import_catalog(first)
    assert registry.get_model("custom").version == "1.10.0"


def test_an_invalid_entry_anywhere_imports_nothing(registry: Registry, tmp_path: Path) -> None:
    before = _counts(registry)
    entries = [model_entry(f"ok-{i}") for i in range(3000)]  # spans more than one bulk chunk
    entries.append(model_entry("evil", versions=[url_version("1", "https://e.example/x", 1)]))
    entries[-1]["versions"][0]["files"][0]["path"] = "../../x"
    path = write_manifest(tmp_path / "m.json", entries)
    with pytest.raises(InvalidManifestError, match=r"entry 3001 \('evil'\)"):
        registry.import_catalog(path)
    assert _counts(registry) == before


def test_a_database_failure_mid_import_rolls_everything_back(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clary_desktop.registry import catalog_upsert as catalog_module

    before = _counts(registry)
    calls = {"n": 0}

    def fail_late(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        raise RuntimeError("disk unplugged")

    monkeypatch.setattr(catalog_module, "_refresh_latest", fail_late)
    # Make the third chunk touch existing models so the failure happens after two chunks wrote.
    entries = [model_entry(f"m{i}") for i in range(4000)] + [model_entry("layoutlmv3", tier="lite")]
    manifest = parse_manifest({"models": entries}, "test")
    with pytest.raises(RuntimeError, match="disk unplugged"):
        registry.catalog.import_manifest(manifest, origin="import", keep_user_changes=False)
    assert calls["n"] == 1
    assert _counts(registry) == before


def test_user_changes_survive_a_default_catalog_upgrade(
    paths: AppPaths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Registry.open(paths) as registry:
        registry.update_model("layoutlmv3", name="My layout model", tags=["mine"])
        registry.update_model("got-ocr-2", tier="standard")

    shipped = json.loads(default_catalog_file().read_text())
    for entry in shipped["models"]:
        if entry["id"] in ("layoutlmv3", "qwen2.5-1.5b-instruct"):
            entry["description"] = "Upgraded description"
            entry["versions"].append({**entry["versions"][0], "version": "1.1.0", "changes": "new"})
    shipped["models"].append(model_entry("brand-new"))
    upgraded = tmp_path / "resources"
    (upgraded / "catalog").mkdir(parents=True)
    (upgraded / "catalog" / "default.json").write_text(json.dumps(shipped))
    from clary_desktop import resources

    monkeypatch.setenv(resources.RESOURCES_ENV, str(upgraded))
    resources.resources_dir.cache_clear()
    try:
        with Registry.open(paths, tier_source=lambda: Tier.PROFESSIONAL) as registry:
            mine = registry.get_model("layoutlmv3")
            assert mine.name == "My layout model" and mine.tags == ["mine"]
            assert mine.description != "Upgraded description"
            assert mine.version == "1.1.0"  # new versions still arrive
            assert registry.get_model("got-ocr-2").tier == "standard"
            assert registry.get_model("qwen2.5-1.5b-instruct").description == "Upgraded description"
            assert registry.get_model("brand-new").origin == "default"
    finally:
        resources.resources_dir.cache_clear()


def test_reopening_does_not_reload_an_unchanged_default_catalog(paths: AppPaths) -> None:
    from clary_desktop.registry.default_catalog import ensure_default_catalog

    with Registry.open(paths) as registry:
        registry.delete_model("got-ocr-2")
        assert ensure_default_catalog(registry.db) is False
        with pytest.raises(NotFoundError):
            registry.get_model("got-ocr-2")


def test_seed_style_add_update_delete(registry: Registry) -> None:
    entry = parse_manifest({"models": [model_entry("added", tier="standard")]}, "t").models[0]
    info = registry.add_model(entry)
    assert info.origin == "user" and info.tier == "standard"
    with pytest.raises(ClaryError, match="already in the catalog"):
        registry.add_model(entry)
    with pytest.raises(ClaryError, match="Cannot change id"):
        registry.update_model("added", id="other")
    with pytest.raises(ValueError, match="unknown tier"):
        registry.update_model("added", tier="gold")
    assert (
        registry.update_model("added", description="searchable words").description
        == "searchable words"
    )
    registry._tier_source = lambda: Tier.STANDARD
    assert [m.id for m in registry.list_models(search="searchable")] == ["added"]
    registry.delete_model("added")
    with pytest.raises(NotFoundError):
        registry.delete_model("added")
