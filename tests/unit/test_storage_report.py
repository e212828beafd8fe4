"""The storage report and reclaim: partials, orphans, missing files; installs untouched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clary_desktop.domain.download_values import JobState
from clary_desktop.downloads.store import JobStore
from clary_desktop.gui.disk import disk_figures
from tests.support import cli as cli_support
from tests.support.gguf_files import write_gguf
from tests.support.storage_env import open_registry, tree


def test_report_and_reclaim(tmp_path: Path) -> None:
    with open_registry(tmp_path / "data") as registry:
        registry.import_file(write_gguf(tmp_path / "a.gguf"), model_id="keep")
        registry.import_file(write_gguf(tmp_path / "b.gguf", name="b"), model_id="gone")
        root = registry.models_dir
        (root / "llm" / "gone" / "local" / "b.gguf").unlink()
        stray = root / "llm" / "old" / "1.0" / "w.gguf.part"
        stray.parent.mkdir(parents=True)
        stray.write_bytes(b"x" * 1000)
        orphan = root / "junk" / "left-behind.bin"
        orphan.parent.mkdir(parents=True)
        orphan.write_bytes(b"y" * 500)
        # A paused download owns its folder: its partial is resumable and kept.
        store = JobStore(registry.db)
        job = store.create("layoutlmv3", "1.0.0", False, None)
        store.update(job, status=JobState.PAUSED.value)
        paused = root / "layout" / "layoutlmv3" / "1.0.0" / "model.safetensors.part"
        paused.parent.mkdir(parents=True)
        paused.write_bytes(b"z" * 300)

        report = registry.storage_report()
        by_id = {m.model_id: m for m in report.models}
        assert by_id["keep"].size_bytes == (tmp_path / "a.gguf").stat().st_size
        assert by_id["keep"].missing_files == []
        assert by_id["gone"].missing_files == ["b.gguf"]
        assert [m.model_id for m in report.missing] == ["gone"]
        partials = {Path(p.path): p.resumable for p in report.partials}
        assert partials == {stray: False, paused: True}
        assert [Path(o.path) for o in report.orphans] == [orphan]
        assert report.reclaimable_bytes == 1500

        installed_before = tree(root / "llm" / "keep")
        result = registry.reclaim_storage(only=report.reclaimable)
        assert sorted(result.deleted) == sorted([str(stray), str(orphan)])
        assert result.size_bytes == 1500
        assert not stray.exists() and not orphan.exists()
        assert not (root / "junk").exists()  # emptied folders go too
        assert paused.exists()
        assert tree(root / "llm" / "keep") == installed_before
        assert registry.storage_report().reclaimable == []


def test_reclaim_only_deletes_what_is_still_reclaimable(tmp_path: Path) -> None:
    with open_registry(tmp_path / "data") as registry:
        result = registry.import_file(write_gguf(tmp_path / "a.gguf"), model_id="keep")
        installed = Path(result.folder) / "a.gguf"
        # A path the user never saw, or an installed file, is never deleted.
        done = registry.reclaim_storage(only=[str(installed), str(tmp_path / "a.gguf")])
        assert done.deleted == []
        assert installed.exists()


def test_a_models_folder_reached_through_a_symlink_has_no_false_orphans(tmp_path: Path) -> None:
    real = tmp_path / "real-models"
    real.mkdir()
    link = tmp_path / "models-link"
    link.symlink_to(real)
    with open_registry(tmp_path / "data") as registry:
        registry.settings.models_dir = str(link)
        result = registry.import_file(write_gguf(tmp_path / "a.gguf"), model_id="keep")
        report = registry.storage_report()
        assert report.orphans == [] and report.reclaimable == []
        registry.reclaim_storage()
        assert (Path(result.folder) / "a.gguf").exists()


def test_reclaim_never_deletes_a_file_in_an_installed_folder(tmp_path: Path) -> None:
    """A manifest that renames an installed version's file makes `verify` say missing,
    but the bytes on disk stay where the install record points."""
    from tests.support.storage_env import add_entries, file_entry

    gguf = write_gguf(tmp_path / "w.gguf")
    with open_registry(tmp_path / "data") as registry:
        add_entries(registry, file_entry("team", {"team.gguf": gguf.read_bytes()}))
        folder = Path(registry.import_file(gguf).folder)
        add_entries(registry, file_entry("team", {"renamed.gguf": gguf.read_bytes()}))
        assert [r.status for r in registry.verify("team")] == ["missing"]
        report = registry.storage_report()
        assert report.orphans == [] and report.reclaimable == []
        registry.reclaim_storage()
        assert (folder / "team.gguf").read_bytes() == gguf.read_bytes()


def test_a_data_dir_moved_by_hand_keeps_its_installs_under_their_recorded_type(
    tmp_path: Path,
) -> None:
    """Install records hold absolute paths; a data dir copied or renamed outside the
    program still finds its files, under the type they were installed with."""
    import shutil

    from tests.support.storage_env import add_entries, file_entry

    gguf = write_gguf(tmp_path / "w.gguf")
    entry = file_entry("team", {"team.gguf": gguf.read_bytes()})
    with open_registry(tmp_path / "old") as registry:
        add_entries(registry, entry)
        registry.import_file(gguf)
        add_entries(registry, {**entry, "type": "ocr"})
    shutil.move(tmp_path / "old", tmp_path / "new")
    with open_registry(tmp_path / "new") as registry:
        assert [r.status for r in registry.verify("team")] == ["ok"]
        report = registry.storage_report()
        assert report.orphans == [] and [m.missing_files for m in report.models] == [[]]
        registry.reclaim_storage()
        installed = registry.models_dir / "llm" / "team" / "1.0" / "team.gguf"
        assert installed.read_bytes() == gguf.read_bytes()


def test_a_preallocated_partial_counts_the_bytes_written_everywhere(tmp_path: Path) -> None:
    """A download with parts preallocates its `.part` sparse to the full size; the report
    (CLI and window) and the status bar count what is on disk, not that length."""
    data = tmp_path / "data"
    with open_registry(data) as registry:
        store = JobStore(registry.db)
        job = store.create("layoutlmv3", "1.0.0", False, None)
        store.update(job, status=JobState.PAUSED.value)
        part = registry.models_dir / "layout" / "layoutlmv3" / "1.0.0" / "model.safetensors.part"
        part.parent.mkdir(parents=True)
        written = 1024 * 1024
        with part.open("wb") as handle:
            handle.truncate(400 * 1024 * 1024)  # what the engine's ftruncate does
            handle.seek(8 * 1024 * 1024)
            handle.write(b"w" * written)
        if part.stat().st_blocks * 512 >= part.stat().st_size:
            pytest.skip("this filesystem does not keep sparse files sparse")
        report = registry.storage_report()
        (partial,) = report.partials
        assert written <= partial.size_bytes <= written + 64 * 1024
        used, _free = disk_figures(registry.models_dir)
        assert used == partial.size_bytes

    shown = cli_support.run("clary-models", "--data-dir", data, "storage", "--json")
    assert shown.returncode == 0, shown.stderr
    (cli_partial,) = json.loads(shown.stdout)["partials"]
    assert cli_partial["size_bytes"] == partial.size_bytes
