"""Names sort the way people count ("Model 2" before "Model 10") in every list."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt

from clary_desktop.domain.access import Tier
from clary_desktop.domain.model_views import ModelRow
from clary_desktop.domain.pipeline_values import UsageInfo
from clary_desktop.domain.storage_values import ModelUsage, StorageReport
from clary_desktop.gui.dialogs.storage_dialog import StorageDialog
from clary_desktop.gui.dialogs.usage_dialog import UsageDialog
from clary_desktop.gui.models.catalog_model import NAME, TIER, CatalogTableModel
from clary_desktop.gui.models.natural_sort import name_ranks, natural_sorted
from clary_desktop.gui.models.queue_model import MODEL, DownloadQueueModel, JobRow
from clary_desktop.gui.models.storage_model import SIZE, WHAT
from clary_desktop.gui.models.usage_model import MODEL as USAGE_MODEL
from clary_desktop.gui.widgets.queue_panel import QueuePanel

NATURAL = ["Model 1", "Model 2", "Model 10"]
SHUFFLED = ["Model 10", "model 2", "Model 1"]


def row(n: int, name: str, tier: str = "lite", installed: bool = False) -> ModelRow:
    return ModelRow(
        id=f"m{n}",
        name=name,
        type="llm",
        version="1.0",
        size_bytes=100,
        tier=tier,
        tags=(),
        search_text=name.lower(),
        installed_version="1.0" if installed else None,
        installed_path="/m" if installed else None,
        update_available=False,
    )


def shown(view, column: int) -> list[str]:
    model = view.model()
    return [model.index(r, column).data() for r in range(model.rowCount())]


def test_the_rule():
    assert natural_sorted(SHUFFLED) == ["Model 1", "model 2", "Model 10"]
    assert name_ranks(SHUFFLED) == [2, 1, 0]
    assert name_ranks(["b", "a", "b"]) == [1, 0, 1]  # equal names share a place


def test_the_model_list(qtmodeltester):
    model = CatalogTableModel()
    model.set_rows(
        [
            row(1, "Model 10", installed=True),
            row(2, "Model 2", tier="standard", installed=True),
            row(3, "Model 1"),
        ],
        Tier.STANDARD,
    )
    qtmodeltester.check(model)
    names = [model.row_at(r).name for r in range(model.rowCount())]
    assert names == NATURAL
    model.sort(NAME, Qt.SortOrder.DescendingOrder)
    assert [model.row_at(r).name for r in range(model.rowCount())] == NATURAL[::-1]
    model.sort(TIER, Qt.SortOrder.AscendingOrder)  # equal tiers: by name
    assert [model.row_at(r).name for r in range(model.rowCount())] == [
        "Model 1",
        "Model 10",
        "Model 2",
    ]
    assert [r.name for r in model.installed_rows()] == ["Model 2", "Model 10"]


def test_the_downloads(qtbot):
    model = DownloadQueueModel()
    model.update_jobs(
        JobRow(n, name, "1.0", "completed", 10, 10, None, None, None)
        for n, name in enumerate(SHUFFLED, start=1)
    )
    panel = QueuePanel(model)
    qtbot.addWidget(panel)
    panel.view.sortByColumn(MODEL, Qt.SortOrder.AscendingOrder)
    assert shown(panel.view, MODEL) == ["Model 1 1.0", "model 2 1.0", "Model 10 1.0"]
    panel.view.sortByColumn(MODEL, Qt.SortOrder.DescendingOrder)
    assert shown(panel.view, MODEL) == ["Model 10 1.0", "model 2 1.0", "Model 1 1.0"]


def test_the_storage_view(qtbot):
    dialog = StorageDialog()
    qtbot.addWidget(dialog)
    dialog.set_report(
        StorageReport(
            models_dir="/models",
            free_bytes=None,
            models=[
                ModelUsage(
                    model_id=name,
                    version="1.0",
                    folder=f"/models/{name}",
                    size_bytes=size,
                    files=1,
                    linked_files=0,
                    missing_files=[],
                )
                for name, size in zip(SHUFFLED, (900, 80_000, 7), strict=True)
            ],
            partials=[],
            orphans=[],
        )
    )
    dialog.view.sortByColumn(WHAT, Qt.SortOrder.AscendingOrder)
    assert shown(dialog.view, WHAT) == ["Model 1 1.0", "model 2 1.0", "Model 10 1.0"]
    dialog.view.sortByColumn(SIZE, Qt.SortOrder.AscendingOrder)  # by bytes, not by text
    assert shown(dialog.view, WHAT) == ["Model 1 1.0", "Model 10 1.0", "model 2 1.0"]


def test_the_usage_view(qtbot):
    dialog = UsageDialog()
    qtbot.addWidget(dialog)
    now = datetime.now(UTC)
    dialog.set_usages(
        [
            UsageInfo(
                task=f"task{n}",
                model_id=f"m{n}",
                name=name,
                version="1.0",
                tier="lite",
                path="/m",
                files=[],
                parameters={},
                selected_at=now,
            )
            for n, name in enumerate(SHUFFLED)
        ]
    )
    dialog.view.sortByColumn(USAGE_MODEL, Qt.SortOrder.AscendingOrder)
    assert [text.split(" (")[0] for text in shown(dialog.view, USAGE_MODEL)] == [
        "Model 1",
        "model 2",
        "Model 10",
    ]
