"""Catalog models found in a Hugging Face cache laid out as huggingface_hub does."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from clary_desktop.domain.access import Tier
from clary_desktop.errors import ClaryError, NotFoundError
from tests.support.download_env import REVISION, hub_entry, sha
from tests.support.storage_env import add_entries, open_registry

FILES = {"model.safetensors": os.urandom(20_000), "config.json": b'{"small": true}\n'}
REPO = "acme/layout-small"


def _cache(root: Path, repo: str, revision: str, files: dict[str, bytes]) -> Path:
    """`models--org--name/blobs/<sha256>` plus `snapshots/<commit>/<path>` symlinks."""
    repo_dir = root / ("models--" + repo.replace("/", "--"))
    for path, data in files.items():
        blob = repo_dir / "blobs" / sha(data)
        blob.parent.mkdir(parents=True, exist_ok=True)
        blob.write_bytes(data)
        link = repo_dir / "snapshots" / revision / path
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    return root


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = _cache(tmp_path / "hf" / "hub", REPO, REVISION, FILES)
    monkeypatch.setenv("HF_HUB_CACHE", str(root))
    return root


def test_cached_files_are_offered_and_linked_without_a_download(
    tmp_path: Path, cache: Path
) -> None:
    with open_registry(tmp_path / "data", Tier.STANDARD) as registry:
        add_entries(
            registry,
            # config.json has no sha256 in the catalog: found through the pinned snapshot.
            hub_entry("layout-small", REPO, FILES, pinned=("model.safetensors",)),
            hub_entry("pro-layout", REPO, FILES, tier="professional", pinned=tuple(FILES)),
        )
        found = {c.model_id: c for c in registry.hf_cache_candidates()}
        assert set(found) == {"layout-small", "pro-layout"}
        assert not found["layout-small"].locked and found["pro-layout"].locked
        result = registry.link_hf_cache("layout-small")
        assert result.mode == "symlink"
        folder = Path(result.folder)
        assert (folder / "model.safetensors").is_symlink()
        assert registry.get_model("layout-small").status == "installed"
        assert all(r.status == "ok" for r in registry.verify("layout-small"))
        # The digest the catalog lacked was learned from the bytes.
        files = {f.path: f.sha256 for f in registry.versions("layout-small")[0].files}
        assert files["config.json"] == sha(FILES["config.json"])
        assert {c.model_id: c.installed for c in registry.hf_cache_candidates()}["layout-small"]
        with pytest.raises(Exception, match="requires professional"):
            registry.link_hf_cache("pro-layout")


def test_nothing_offered_for_an_incomplete_or_missing_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "no-cache"))
    with open_registry(tmp_path / "data") as registry:
        add_entries(registry, hub_entry("layout-small", REPO, FILES, pinned=tuple(FILES)))
        assert registry.hf_cache_candidates() == []
        with pytest.raises(NotFoundError, match="no complete copy"):
            registry.link_hf_cache("layout-small")
        partial = {"model.safetensors": FILES["model.safetensors"]}
        monkeypatch.setenv("HF_HUB_CACHE", str(_cache(tmp_path / "c2", REPO, "0" * 40, partial)))
        assert registry.hf_cache_candidates() == []


def test_a_cache_file_changed_after_download_is_not_linked(tmp_path: Path, cache: Path) -> None:
    """config.json has no sha256 in the catalog; its blob's name is the only word the
    Hub gave, so bytes that no longer match it are not installed (nor learned)."""
    blob = cache / ("models--" + REPO.replace("/", "--")) / "blobs" / sha(FILES["config.json"])
    blob.write_bytes(b'{"small": false}\n')
    with open_registry(tmp_path / "data", Tier.STANDARD) as registry:
        add_entries(registry, hub_entry("layout-small", REPO, FILES, pinned=("model.safetensors",)))
        with pytest.raises(ClaryError, match="does not match the name the Hub gave it"):
            registry.link_hf_cache("layout-small")
        assert registry.get_model("layout-small").status == "not installed"
        files = {f.path: f.sha256 for f in registry.versions("layout-small")[0].files}
        assert files["config.json"] is None
        assert not (registry.models_dir / "layout" / "layout-small").exists()
