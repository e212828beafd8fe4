"""Offline bundles: round trip between data dirs, and damaged or forbidden bundles
that import nothing."""

from __future__ import annotations

import json
import os
import tarfile
from pathlib import Path

import pytest

from clary_desktop.domain.access import Tier
from clary_desktop.errors import AccessDeniedError, ClaryError, NotFoundError
from clary_desktop.storage.bundle_manifest import MANIFEST_NAME
from tests.support.gguf_files import write_gguf
from tests.support.storage_env import (
    add_entries,
    catalog_state,
    file_entry,
    hand_made_bundle,
    open_registry,
    tree,
)

FILES = {"config.json": b'{"hidden": 8}\n', "weights/model.bin": os.urandom(300_000)}


def _source(tmp_path: Path, tier: Tier = Tier.PROFESSIONAL, model_tier: str = "lite") -> Path:
    """A data dir with catalog model `cat-x` (installed) and local model `tiny` installed."""
    data = tmp_path / "source"
    folder = tmp_path / "files"
    for name, content in FILES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
    with open_registry(data, tier) as registry:
        add_entries(registry, file_entry("cat-x", FILES, tier=model_tier, model_type="layout"))
        registry.import_file(folder)
        registry.import_file(write_gguf(tmp_path / "tiny.gguf"), model_id="tiny")
    return data


@pytest.mark.parametrize("name", ["bundle", "bundle.tar"])
def test_round_trip_between_two_data_dirs(tmp_path: Path, name: str) -> None:
    source = _source(tmp_path)
    target = tmp_path / name
    with open_registry(source, Tier.PROFESSIONAL) as registry:
        result = registry.export_models(["cat-x", "tiny"], target)
    assert result.kind == ("tar" if name.endswith(".tar") else "folder")
    assert {m.model_id for m in result.models} == {"cat-x", "tiny"}
    if result.kind == "tar":
        with tarfile.open(target) as tar:
            assert MANIFEST_NAME in tar.getnames()
    events = []
    with open_registry(tmp_path / "other") as registry:  # lite, and a fresh catalog
        imported = registry.import_bundle(target, progress=events.append)
        assert {m.model_id for m in imported.models} == {"cat-x", "tiny"}
        for model_id in ("cat-x", "tiny"):
            assert registry.get_model(model_id).status == "installed"
            results = registry.verify(model_id)
            assert results and all(r.status == "ok" for r in results)
        assert registry.get_model("tiny").origin == "local"
        assert registry.get_model("cat-x").type == "layout"
        folder = registry.models_dir / "layout" / "cat-x" / "1.0"
        assert tree(folder) == FILES
        assert not list(registry.models_dir.glob(".clary-staging-*"))
    assert events[-1].done_bytes == events[-1].total_bytes


def _bundle(tmp_path: Path, name: str = "bundle") -> Path:
    source = _source(tmp_path)
    with open_registry(source, Tier.PROFESSIONAL) as registry:
        registry.export_models(["cat-x", "tiny"], tmp_path / name)
    return tmp_path / name


def _import_fails(
    tmp_path: Path, bundle: Path, match: str, error: type[Exception] = ClaryError
) -> None:
    with open_registry(tmp_path / "other") as registry:
        before = catalog_state(registry)
        with pytest.raises(error, match=match):
            registry.import_bundle(bundle)
        assert catalog_state(registry) == before
        assert tree(registry.models_dir) == {}


def test_one_flipped_byte_imports_nothing_and_names_the_file(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path)
    damaged = bundle / "files" / "cat-x" / "1.0" / "weights" / "model.bin"
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 0x01
    damaged.write_bytes(bytes(data))
    _import_fails(tmp_path, bundle, r"files/cat-x/1\.0/weights/model\.bin does not match")


def test_flipped_byte_inside_a_tar_imports_nothing(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path, "b.tar")
    raw = bytearray(bundle.read_bytes())
    marker = FILES["weights/model.bin"][1000:1032]
    at = raw.index(marker)
    raw[at] ^= 0xFF
    bundle.write_bytes(bytes(raw))
    _import_fails(tmp_path, bundle, r"weights/model\.bin does not match")


def test_missing_file_imports_nothing_and_names_it(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path)
    (bundle / "files" / "tiny" / "local" / "tiny.gguf").unlink()
    _import_fails(tmp_path, bundle, r"files/tiny/local/tiny\.gguf is missing")


def test_model_above_the_importers_tier_imports_nothing(tmp_path: Path) -> None:
    source = _source(tmp_path, model_tier="professional")
    bundle = tmp_path / "pro.tar"
    with open_registry(source, Tier.PROFESSIONAL) as registry:
        registry.export_models(["tiny", "cat-x"], bundle)
    _import_fails(tmp_path, bundle, r"'cat-x' requires professional", AccessDeniedError)


def test_a_bundle_cannot_lower_the_tier_of_a_model_the_catalog_knows(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path)  # says cat-x is lite
    with open_registry(tmp_path / "other") as registry:
        add_entries(registry, file_entry("cat-x", FILES, tier="professional", model_type="layout"))
        before = catalog_state(registry)
        with pytest.raises(AccessDeniedError, match="requires professional"):
            registry.import_bundle(bundle)
        assert catalog_state(registry) == before


def test_tampered_manifest_is_refused(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path)
    manifest = json.loads((bundle / MANIFEST_NAME).read_text())
    manifest["models"][0]["files"][0]["path"] = "../../escape"
    (bundle / MANIFEST_NAME).write_text(json.dumps(manifest))
    _import_fails(tmp_path, bundle, "leaves the model folder")
    (bundle / MANIFEST_NAME).unlink()
    _import_fails(tmp_path, bundle, "not a Clary bundle")


def test_export_refuses_what_it_cannot_give(tmp_path: Path) -> None:
    source = _source(tmp_path, model_tier="standard")
    with open_registry(source, Tier.LITE) as registry:
        with pytest.raises(AccessDeniedError, match="requires standard"):
            registry.export_models(["cat-x"], tmp_path / "b")
        with pytest.raises(NotFoundError, match="not installed"):
            registry.export_models(["layoutlmv3"], tmp_path / "b")
        (tmp_path / "busy").mkdir()
        (tmp_path / "busy" / "x").write_text("x")
        with pytest.raises(ClaryError, match="not an empty folder"):
            registry.export_models(["tiny"], tmp_path / "busy")
        # A corrupt installed file is caught while exporting; no bundle is left behind.
        installed = registry.models_dir / "llm" / "tiny" / "local" / "tiny.gguf"
        installed.write_bytes(b"rotten" + installed.read_bytes()[6:])
        with pytest.raises(ClaryError, match="corrupt on disk"):
            registry.export_models(["tiny"], tmp_path / "c.tar")
        assert not (tmp_path / "c.tar").exists()
        assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


def test_cancel_from_the_progress_callback_leaves_nothing(tmp_path: Path) -> None:
    from clary_desktop.domain.storage_values import Cancelled, Progress

    bundle = _bundle(tmp_path, "b.tar")

    def cancel_half_way(event: Progress) -> None:
        if event.done_bytes > event.total_bytes // 2:
            raise Cancelled("Cancelled by the user.")

    with open_registry(tmp_path / "other") as registry:
        before = catalog_state(registry)
        with pytest.raises(Cancelled):
            registry.import_bundle(bundle, progress=cancel_half_way)
        assert catalog_state(registry) == before
        assert tree(registry.models_dir) == {}
    with open_registry(tmp_path / "source", Tier.PROFESSIONAL) as registry:
        with pytest.raises(Cancelled):
            registry.export_models(["cat-x"], tmp_path / "c.tar", progress=cancel_half_way)
        assert not (tmp_path / "c.tar").exists()


# ---- a catalog version without digests: the bundle vouches for nothing ----------------

REVISION = "a" * 40
HUB_FILES = {"model.safetensors": os.urandom(50_000), "config.json": b'{"layers": 6}\n'}


def _unhashed_entry(model_id: str = "tt") -> dict:
    """A Hub version whose files the catalog lists without sha256 (as the shipped
    table-transformer-structure does)."""
    return {
        "id": model_id,
        "name": "Table model",
        "description": "The catalog's own words.",
        "type": "layout",
        "tier": "lite",
        "versions": [
            {
                "version": "1.0",
                "repo_id": "org/tables",
                "revision": REVISION,
                "files": [{"path": p} for p in HUB_FILES],
            }
        ],
    }


def _unhashed_state(registry) -> tuple:  # type: ignore[no-untyped-def]
    model = registry.get_model("tt")
    files = [(f.path, f.sha256, f.size_bytes) for f in registry.versions("tt")[0].files]
    return model.description, model.status, files


def test_offline_a_bundle_for_an_unhashed_catalog_version_becomes_a_local_model(
    tmp_path: Path,
) -> None:
    forged = {"model.safetensors": os.urandom(50_000), "config.json": b"{}\n"}
    bundle = hand_made_bundle(tmp_path / "b", _unhashed_entry(), forged)
    with open_registry(tmp_path / "data") as registry:
        registry.settings.offline = True
        add_entries(registry, _unhashed_entry())
        before = _unhashed_state(registry)
        result = registry.import_bundle(bundle)
        assert [(m.model_id, m.local_copy_of) for m in result.models] == [("tt-local", "tt")]
        assert _unhashed_state(registry) == before  # the catalog's model is untouched
        assert before[1] == "not installed" and before[2][0][1] is None
        copy = registry.get_model("tt-local")
        assert (copy.origin, copy.tier, copy.status) == ("local", "lite", "installed")
        assert all(r.status == "ok" for r in registry.verify("tt-local"))
        assert tree(registry.models_dir / "layout" / "tt-local" / "local") == forged
        assert not (registry.models_dir / "layout" / "tt").exists()


def test_online_the_hub_confirms_the_files_a_catalog_has_no_digest_for(tmp_path: Path) -> None:
    from tests.support.hub_server import HubServer

    good = hand_made_bundle(tmp_path / "good", _unhashed_entry(), HUB_FILES)
    lfs_forged = hand_made_bundle(
        tmp_path / "lfs", _unhashed_entry(), {**HUB_FILES, "model.safetensors": os.urandom(50_000)}
    )
    small_forged = hand_made_bundle(
        tmp_path / "small", _unhashed_entry(), {**HUB_FILES, "config.json": b'{"layers": 7}\n'}
    )
    with HubServer() as hub, open_registry(tmp_path / "data") as registry:
        hub.add_repo("org/tables", REVISION, HUB_FILES)
        registry.settings.hub_endpoint = hub.endpoint
        add_entries(registry, _unhashed_entry())
        before = catalog_state(registry)
        for forged, why in (
            (lfs_forged, r"differs from the Hub's \(sha256\)"),
            (small_forged, "differs from the file on the Hub"),
        ):
            with pytest.raises(ClaryError, match=why):
                registry.import_bundle(forged)
            assert catalog_state(registry) == before
            assert tree(registry.models_dir) == {}

        result = registry.import_bundle(good)
        assert [(m.model_id, m.local_copy_of) for m in result.models] == [("tt", None)]
        model = registry.get_model("tt")
        assert model.status == "installed"
        assert model.description == "The catalog's own words."  # never the bundle's
        assert all(r.status == "ok" for r in registry.verify("tt"))
        assert not registry.list_models(search="tt-local")


def test_a_bundle_never_changes_a_model_the_catalog_holds(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path)  # its cat-x is lite, named "Model cat-x"
    with open_registry(tmp_path / "other", Tier.STANDARD) as registry:
        ours = {
            **file_entry("cat-x", FILES, tier="standard", model_type="layout"),
            "name": "Our name",
            "tags": ["ours"],
        }
        add_entries(registry, ours)
        from clary_desktop.db.tables import ModelMetadata

        with registry.db.write() as session:  # as Clary's catalog brought it, unedited
            row = session.get(ModelMetadata, "cat-x")
            row.origin, row.user_modified = "remote", False
        registry.import_bundle(bundle)
        model = registry.get_model("cat-x")
        assert (model.name, model.tags, model.tier, model.status) == (
            "Our name",
            ["ours"],
            "standard",
            "installed",
        )


def test_ids_that_differ_only_in_case_are_one_model(tmp_path: Path) -> None:
    bundle = _bundle(tmp_path)
    manifest = json.loads((bundle / MANIFEST_NAME).read_text())
    twin = manifest["models"][1]
    twin["id"] = twin["catalog"]["id"] = manifest["models"][0]["id"].upper()
    (bundle / MANIFEST_NAME).write_text(json.dumps(manifest))
    _import_fails(tmp_path, bundle, "lists a model twice")
