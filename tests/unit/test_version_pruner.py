"""Pruning has one owner, the Registry's VersionPruner: it listens to the download engine
once, so one completed download prunes once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from clary_desktop.domain.download_values import DownloadEvent
from clary_desktop.downloads.manager import DownloadManager
from tests.support.storage_env import open_registry


class CountingManager(DownloadManager):
    subscriptions = 0

    def subscribe(self, callback: Callable[[DownloadEvent], None]) -> Callable[[], None]:
        self.subscriptions += 1
        return super().subscribe(callback)


def test_the_pruner_listens_to_an_engine_once(tmp_path: Path) -> None:
    with open_registry(tmp_path / "data") as registry:
        engine = CountingManager(
            registry.db,
            models_dir=lambda: registry.models_dir,
            tier=lambda: registry.tier,
            settings=registry.settings,
        )
        registry.use_download_engine(engine)
        registry.use_download_engine(engine)
        assert registry.downloads is engine
        assert engine.subscriptions == 1
