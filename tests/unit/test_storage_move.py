"""Moving the models folder: verified, switched at the end, and all or nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clary_desktop.errors import ClaryError
from clary_desktop.storage import move as move_module
from clary_desktop.storage.file_ops import copy_file_hashed
from tests.support.gguf_files import write_gguf
from tests.support.storage_env import open_registry, tree


def _populated(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    with open_registry(data) as registry:
        for index in range(4):
            registry.import_file(
                write_gguf(tmp_path / f"m{index}.gguf", name=f"m{index}"), model_id=f"model-{index}"
            )
        link_source = write_gguf(tmp_path / "linked.gguf", name="linked")
        registry.import_file(link_source, model_id="linked", mode="symlink")
    return data


def test_move_copies_verifies_and_switches(tmp_path: Path) -> None:
    data = _populated(tmp_path)
    new = tmp_path / "drive2" / "models"
    events = []
    with open_registry(data) as registry:
        old = registry.models_dir
        before = tree(old)
        result = registry.move_models_dir(new, progress=events.append)
        assert result.files == 4 and result.old_removed
        assert registry.models_dir == new.resolve()
        assert not old.exists()
        assert tree(new) == before
        assert (new / "llm" / "linked" / "local" / "linked.gguf").is_symlink()
        assert all(r.status == "ok" for r in registry.verify())
        saved = json.loads(registry.paths.settings_file.read_text())
        assert saved["models_dir"] == str(new.resolve())
        assert all(
            row.folder.startswith(str(new.resolve())) for row in registry.storage_report().models
        )
    assert events[-1].done_bytes == events[-1].total_bytes
    with open_registry(data) as registry:  # a new run uses the new place
        assert registry.models_dir == new.resolve()
        assert registry.get_model("model-0").status == "installed"


@pytest.mark.parametrize("failure", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_failure_on_the_nth_file_leaves_the_old_folder_in_use_and_intact(
    tmp_path: Path, failure: BaseException
) -> None:
    data = _populated(tmp_path)
    new = tmp_path / "drive2" / "models"
    calls = []

    def failing_copy(source: Path, target: Path, on_bytes) -> str:  # type: ignore[no-untyped-def]
        calls.append(source)
        if len(calls) == 3:
            raise failure
        return copy_file_hashed(source, target, on_bytes)

    with open_registry(data) as registry:
        old = registry.models_dir
        before = tree(old)
        settings_before = (
            registry.paths.settings_file.read_bytes()
            if registry.paths.settings_file.exists()
            else None
        )
        with pytest.raises(ClaryError if isinstance(failure, OSError) else KeyboardInterrupt):
            move_module.move_models_dir(
                registry.db,
                lambda folder: registry.apply_settings(
                    registry.stored_settings.model_copy(update={"models_dir": str(folder)})
                ),
                old,
                new,
                copier=failing_copy,
            )
        assert len(calls) == 3
        assert registry.models_dir == old
        assert tree(old) == before
        assert not new.exists()
        after = (
            registry.paths.settings_file.read_bytes()
            if registry.paths.settings_file.exists()
            else None
        )
        assert after == settings_before
        assert all(r.status == "ok" for r in registry.verify())
        assert all(m.folder.startswith(str(old)) for m in registry.storage_report().models)


def test_a_killed_move_leaves_a_marked_folder_that_the_next_move_reuses(tmp_path: Path) -> None:
    data = _populated(tmp_path)
    new = tmp_path / "drive2"
    new.mkdir()
    (new / move_module.INCOMPLETE_MARKER).write_text("moving\n")
    (new / "half-copied.gguf").write_bytes(b"half")
    with open_registry(data) as registry:
        before = tree(registry.models_dir)
        registry.move_models_dir(new, keep_old=True)
        assert tree(new) == before
        assert not (new / move_module.INCOMPLETE_MARKER).exists()


def test_unusable_targets_are_refused(tmp_path: Path) -> None:
    data = _populated(tmp_path)
    with open_registry(data) as registry:
        old = registry.models_dir
        busy = tmp_path / "busy"
        busy.mkdir()
        (busy / "mine.txt").write_text("user data")
        with pytest.raises(ClaryError, match="not empty"):
            registry.move_models_dir(busy)
        with pytest.raises(ClaryError, match="contain one another"):
            registry.move_models_dir(old / "inside")
        with pytest.raises(ClaryError, match="already"):
            registry.move_models_dir(old)
        assert (busy / "mine.txt").read_text() == "user data"
