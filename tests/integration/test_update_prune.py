"""Pruning old versions after an update: one prune at a time per model, and a folder that
another process already removed counts as removed, not as an error."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from clary_desktop.app import Registry
from clary_desktop.domain.access import Tier
from clary_desktop.domain.download_values import JobState
from tests.support.download_env import import_entries, sha, use_fast_manager
from tests.support.fault_server import BlobServer, random_bytes

VERSIONS = ("1.0.0", "2.0.0", "3.0.0")
DATA = {v: random_bytes(200_000, seed=40 + i) for i, v in enumerate(VERSIONS)}


@pytest.fixture
def server():
    with BlobServer() as blob_server:
        for version, data in DATA.items():
            blob_server.add(version, data)
        yield blob_server


def entry(server: BlobServer) -> dict:
    return {
        "id": "pr-model",
        "name": "pr-model",
        "type": "llm",
        "tier": "lite",
        "versions": [
            {
                "version": v,
                "files": [
                    {
                        "path": "m.bin",
                        "url": server.url(v),
                        "size_bytes": len(DATA[v]),
                        "sha256": sha(DATA[v]),
                    }
                ],
            }
            for v in VERSIONS
        ],
    }


@pytest.fixture
def reg(paths, server):
    """Three versions installed (3.0.0 active), then a fresh registry that keeps one."""
    with Registry.open(paths, tier_source=lambda: Tier.LITE) as setup:
        setup.settings.keep_previous_versions = len(VERSIONS)
        import_entries(setup, entry(server))
        manager = use_fast_manager(setup)
        for version in VERSIONS:
            job = manager.start("pr-model", version=version)
            assert manager.wait(job, timeout=120).state == JobState.COMPLETED
    registry = Registry.open(paths, tier_source=lambda: Tier.LITE)
    registry.settings.keep_previous_versions = 1
    assert installed(registry) == set(VERSIONS)
    yield registry
    registry.close()


def installed(registry: Registry) -> set[str]:
    return {v.version for v in registry.versions("pr-model") if v.installed}


def folder(registry: Registry, version: str) -> Path:
    return registry.models_dir / "llm" / "pr-model" / version


def assert_kept_intact(registry: Registry) -> None:
    assert installed(registry) == {"2.0.0", "3.0.0"}
    assert not folder(registry, "1.0.0").exists()
    for version in ("2.0.0", "3.0.0"):
        assert sha((folder(registry, version) / "m.bin").read_bytes()) == sha(DATA[version])
    assert registry.get_model("pr-model").installed_version == "3.0.0"


def test_a_folder_another_process_removed_first_is_not_an_error(reg, monkeypatch) -> None:
    old = folder(reg, "1.0.0")
    real_rmtree = shutil.rmtree

    def other_process_got_there_first(path, *args, **kwargs):
        if Path(path) == old and old.exists():
            real_rmtree(old)  # between listing the version and deleting its folder
        return real_rmtree(path, *args, **kwargs)

    monkeypatch.setattr(shutil, "rmtree", other_process_got_there_first)
    assert reg.prune_previous_versions("pr-model") == ["1.0.0"]
    assert_kept_intact(reg)


def test_two_prunes_of_one_model_at_once_remove_each_version_once(reg, monkeypatch) -> None:
    real_rmtree = shutil.rmtree
    entered: list[Path] = []
    guard = threading.Lock()
    second_inside = threading.Event()

    def held_rmtree(path, *args, **kwargs):
        with guard:
            entered.append(Path(path))
            first = len(entered) == 1
        if first:
            # Only a prune that is not serialised with this one can get here meanwhile.
            second_inside.wait(timeout=3)
        else:
            second_inside.set()
        return real_rmtree(path, *args, **kwargs)

    monkeypatch.setattr(shutil, "rmtree", held_rmtree)
    start = threading.Barrier(2)
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def prune() -> None:
        start.wait(timeout=30)
        try:
            results.append(reg.prune_previous_versions("pr-model"))
        except BaseException as error:  # reported below, with the test's own assertion
            errors.append(error)

    threads = [threading.Thread(target=prune) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert sorted(results) == [[], ["1.0.0"]]
    assert entered == [folder(reg, "1.0.0")]
    assert_kept_intact(reg)
