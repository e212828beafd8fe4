"""What counts as a stray partial has one owner (`downloads.strays`): the download list,
the storage report and both ways to reclaim space agree on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from clary_desktop.domain.download_values import JobState
from clary_desktop.downloads.store import JobStore
from clary_desktop.downloads.strays import resumable_partials
from tests.support.storage_env import open_registry


def _write(path: Path, size: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    return path


@pytest.mark.parametrize("through_symlink", [False, True], ids=["folder", "symlinked-folder"])
def test_every_front_reads_the_same_strays(tmp_path: Path, through_symlink: bool) -> None:
    with open_registry(tmp_path / "data") as registry:
        if through_symlink:
            # The engine's copy once resolved only one side, so every resumable partial
            # under a symlinked models folder looked stray.
            (tmp_path / "real-models").mkdir()
            (tmp_path / "models").symlink_to(tmp_path / "real-models")
            registry.settings.models_dir = str(tmp_path / "models")
        root = registry.models_dir
        store = JobStore(registry.db)
        job = store.create("layoutlmv3", "1.0.0", False, None)
        store.update(job, status=JobState.PAUSED.value)
        folder = root / "layout" / "layoutlmv3" / "1.0.0"
        # (path, stray?): the paused job's own partial is resumed; a partial beside it
        # that is none of its files is not (the storage report once called it resumable
        # because it sat in the job's folder), nor one in a folder no job owns.
        files = {
            _write(folder / "model.safetensors.part", 300): False,
            _write(folder / "leftover.bin.part", 200): True,
            _write(root / "llm" / "old" / "1.0" / "w.gguf.part", 100): True,
        }
        strays = {p for p, stray in files.items() if stray}

        resumable = resumable_partials(store, root)
        assert [p.resolve() in resumable for p in files] == [not s for s in files.values()]
        assert {Path(s.path) for s in registry.stray_partials()} == strays
        report = registry.storage_report()
        reported = {Path(p.path).name: not p.resumable for p in report.partials}
        assert reported == {p.name: stray for p, stray in files.items()}

        deleted = registry.reclaim_space()
        assert {Path(s.path) for s in deleted} == strays
        assert [p.exists() for p in files] == [not stray for stray in files.values()]
        assert registry.stray_partials() == []
