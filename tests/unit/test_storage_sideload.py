"""import-file: real GGUF files, catalog matches by sha256, tier rules, modes, folders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from clary_desktop.domain.access import Tier
from clary_desktop.errors import AccessDeniedError, ClaryError
from clary_desktop.registry.manifest import ManifestModel
from clary_desktop.storage.local_models import local_entry
from tests.support.gguf_files import write_gguf
from tests.support.storage_env import (
    add_entries,
    catalog_state,
    file_entry,
    open_registry,
)


def test_real_gguf_becomes_a_local_lite_model_with_its_header_facts(tmp_path: Path) -> None:
    source = write_gguf(tmp_path / "in" / "tiny-q4.gguf", architecture="llama", context_length=2048)
    events = []
    with open_registry(tmp_path / "data") as registry:
        result = registry.import_file(source, progress=events.append)
        assert result.model_id == "tiny-q4"
        assert not result.matched_catalog
        assert result.tier == "lite"
        assert result.gguf is not None
        assert result.gguf.architecture == "llama"
        assert result.gguf.quantization == "Q4_K_M"
        assert result.gguf.context_length == 2048
        assert result.files[0].format == "gguf"
        model = registry.get_model("tiny-q4")
        assert model.status == "installed"
        assert model.origin == "local"
        assert model.type == "llm"
        assert [r.status for r in registry.verify("tiny-q4")] == ["ok"]
    assert source.exists()  # copy leaves the original
    assert events and events[-1].done_bytes == events[-1].total_bytes
    assert {e.stage for e in events} >= {"hashing", "copying"}


def test_file_matching_a_catalog_sha256_installs_that_catalog_model(tmp_path: Path) -> None:
    source = write_gguf(tmp_path / "downloaded-elsewhere.gguf")
    data = source.read_bytes()
    with open_registry(tmp_path / "data") as registry:
        add_entries(registry, file_entry("qwen-test", {"qwen-q4.gguf": data}))
        result = registry.import_file(source)
        assert result.matched_catalog
        assert (result.model_id, result.version) == ("qwen-test", "1.0")
        model = registry.get_model("qwen-test")
        assert model.status == "installed"
        assert model.installed_version == "1.0"
        installed = Path(result.folder) / "qwen-q4.gguf"  # the catalog's file name
        assert installed.read_bytes() == data
        assert [r.status for r in registry.verify("qwen-test")] == ["ok"]


def test_catalog_match_above_the_users_tier_is_refused_and_nothing_changes(
    tmp_path: Path,
) -> None:
    source = write_gguf(tmp_path / "pro.gguf")
    with open_registry(tmp_path / "data", Tier.STANDARD) as registry:
        add_entries(
            registry, file_entry("pro-llm", {"pro.gguf": source.read_bytes()}, tier="professional")
        )
        before = catalog_state(registry)
        with pytest.raises(AccessDeniedError, match="requires professional"):
            registry.import_file(source)
        assert catalog_state(registry) == before
        assert not any(registry.models_dir.rglob("*.gguf"))


def test_folder_matches_a_multi_file_catalog_version(tmp_path: Path) -> None:
    files = {"config.json": b'{"a": 1}\n', "weights/model.safetensors": os.urandom(5000)}
    folder = tmp_path / "snapshot"
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    with open_registry(tmp_path / "data") as registry:
        add_entries(registry, file_entry("layout-x", files, model_type="layout"))
        result = registry.import_file(folder, mode="hardlink")
        assert result.matched_catalog and result.model_id == "layout-x"
        target = Path(result.folder) / "weights" / "model.safetensors"
        assert target.stat().st_ino == (folder / "weights" / "model.safetensors").stat().st_ino
        assert all(r.status == "ok" for r in registry.verify("layout-x"))


@pytest.mark.parametrize("mode", ["move", "symlink"])
def test_move_and_symlink_modes(tmp_path: Path, mode: str) -> None:
    source = write_gguf(tmp_path / "m.gguf")
    data = source.read_bytes()
    with open_registry(tmp_path / "data") as registry:
        result = registry.import_file(source, model_id="my-model", mode=mode)
        placed = Path(result.folder) / "m.gguf"
        assert placed.read_bytes() == data
        if mode == "move":
            assert not source.exists() and not placed.is_symlink()
        else:
            assert source.exists() and placed.is_symlink()
        assert [r.status for r in registry.verify("my-model")] == ["ok"]


def test_known_catalog_id_with_other_bytes_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "other.gguf"
    source.write_bytes(b"not the catalog's bytes")
    with open_registry(tmp_path / "data") as registry:
        add_entries(registry, file_entry("cat-model", {"x.gguf": b"catalog bytes"}))
        before = catalog_state(registry)
        with pytest.raises(ClaryError, match="does not match any version of cat-model"):
            registry.import_file(source, model_id="cat-model")
        assert catalog_state(registry) == before


def test_second_local_model_with_the_same_id_is_refused(tmp_path: Path) -> None:
    a = tmp_path / "a.bin"
    a.write_bytes(b"aaa")
    b = tmp_path / "b.bin"
    b.write_bytes(b"bbb")
    with open_registry(tmp_path / "data") as registry:
        first = registry.import_file(a, model_id="mine")
        assert first.files[0].format == "unknown"
        assert registry.get_model("mine").type == "other"
        with pytest.raises(ClaryError, match="exists already"):
            registry.import_file(b, model_id="mine")


def test_bad_inputs_are_plain_errors(tmp_path: Path) -> None:
    with open_registry(tmp_path / "data") as registry:
        with pytest.raises(ClaryError, match="no such file"):
            registry.import_file(tmp_path / "nope.gguf")
        (tmp_path / "f.bin").write_bytes(b"x")
        with pytest.raises(ClaryError, match="Unknown import mode"):
            registry.import_file(tmp_path / "f.bin", mode="teleport")
        with pytest.raises(ClaryError, match="as the id"):
            registry.import_file(tmp_path / "f.bin", model_id="../evil")


def test_local_entries_keep_the_manifest_checks_but_need_no_source() -> None:
    entry = local_entry(
        "ok-id", "Name", "llm", "", [{"path": "a.gguf", "size_bytes": 1, "sha256": "0" * 64}]
    )
    assert isinstance(entry, ManifestModel)
    with pytest.raises(ClaryError, match="leaves the model folder"):
        local_entry("ok-id", "Name", "llm", "", [{"path": "../a", "sha256": "0" * 64}])
    with pytest.raises(Exception, match="needs a source"):
        ManifestModel.model_validate(
            {
                "id": "x",
                "name": "x",
                "type": "llm",
                "tier": "lite",
                "versions": [{"version": "1", "files": [{"path": "a"}]}],
            }
        )
