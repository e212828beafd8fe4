"""Free space has one owner (`domain.disk_space`): checks, the status bar and the
storage report all ask it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from clary_desktop.domain import disk_space
from clary_desktop.domain.disk_space import free_bytes, free_bytes_if_known
from clary_desktop.gui.disk import disk_figures
from tests.support.storage_env import open_registry


@pytest.mark.parametrize(
    "relative",
    ["", "missing", "missing/deeper/still"],
    ids=["existing", "missing", "missing-nested"],
)
def test_free_space_is_asked_of_the_nearest_existing_folder(
    tmp_path: Path, relative: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The disk is shared with other work, so its free space is pinned rather than read twice.
    asked: list[Path] = []
    real_disk_usage = shutil.disk_usage

    def disk_usage(path: Path) -> object:
        asked.append(Path(path))
        return real_disk_usage(path)._replace(free=600)  # the folder must really exist

    monkeypatch.setattr(disk_space.shutil, "disk_usage", disk_usage)
    folder = tmp_path / relative if relative else tmp_path
    assert free_bytes(folder) == 600
    assert free_bytes_if_known(folder) == 600
    assert asked == [tmp_path, tmp_path]


def test_a_disk_that_cannot_say_gives_no_figure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(_path: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(disk_space.shutil, "disk_usage", refuse)
    assert free_bytes_if_known(tmp_path) is None
    with pytest.raises(OSError):
        free_bytes(tmp_path)


def test_the_storage_report_and_status_bar_read_the_owner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(disk_space, "free_bytes", lambda _folder: 7)
    with open_registry(tmp_path / "data") as registry:
        assert registry.storage_report().free_bytes == 7
        assert disk_figures(registry.models_dir)[1] == 7
