"""Every item model passes qtmodeltester, in every state the window puts it in."""

from __future__ import annotations

from PySide6.QtCore import Qt

from clary_desktop.domain.access import Tier
from clary_desktop.domain.model_views import ModelRow
from clary_desktop.gui.models.catalog_model import (
    NAME,
    SIZE,
    STATUS,
    CatalogTableModel,
    JobMark,
)
from clary_desktop.gui.models.filtering import FilterSpec
from clary_desktop.gui.models.queue_model import DownloadQueueModel, JobRow


def make_rows(n: int) -> list[ModelRow]:
    tiers = ("lite", "standard", "professional")
    return [
        ModelRow(
            id=f"m{i}",
            name=f"Model {i:03d}",
            type=("llm", "ocr", "layout")[i % 3],
            version="1.0.0",
            size_bytes=None if i == 5 else (i + 1) * 10**8,
            tier=tiers[i % 3],
            tags=(f"t{i % 4}",),
            search_text=f"m{i} model {i:03d} t{i % 4}",
            installed_version="1.0.0" if i % 7 == 0 else ("0.9" if i == 3 else None),
            installed_path=f"/models/m{i}" if i % 7 == 0 or i == 3 else None,
            update_available=i == 3,
        )
        for i in range(n)
    ]


def job(job_id: int, state: str, done: int = 0, total: int | None = 100) -> JobRow:
    return JobRow(
        job_id=job_id,
        model_id=f"m{job_id}",
        version="1.0.0",
        state=state,
        bytes_done=done,
        bytes_total=total,
        speed_bps=10.0,
        eta_seconds=5.0,
        error="Connection reset by the server" if state == "failed" else None,
    )


def test_catalog_model_passes_modeltester(qtmodeltester):
    model = CatalogTableModel()
    qtmodeltester.check(model)
    model.set_rows(make_rows(40), Tier.STANDARD)
    qtmodeltester.check(model)
    model.set_filter(FilterSpec(text="model 01", show_locked=True))
    qtmodeltester.check(model)
    model.set_filter(FilterSpec(types=frozenset({"llm"}), status="installed", show_locked=True))
    qtmodeltester.check(model)
    model.sort(SIZE, Qt.SortOrder.DescendingOrder)
    model.set_jobs({"m1": JobMark("downloading", 40)})
    qtmodeltester.check(model)
    model.sort(STATUS, Qt.SortOrder.AscendingOrder)
    qtmodeltester.check(model)


def test_catalog_filters_combine_and_sizes_sort_by_bytes():
    model = CatalogTableModel()
    model.set_rows(make_rows(30), Tier.LITE)
    assert model.rowCount() == 10  # lite only
    model.set_filter(FilterSpec(show_locked=True))
    assert model.rowCount() == 30
    decoration = Qt.ItemDataRole.DecorationRole
    locked = [r for r in range(30) if model.data(model.index(r, NAME), decoration)]
    assert len(locked) == 20
    model.set_filter(FilterSpec(show_locked=True, min_bytes=10**9, max_bytes=2 * 10**9))
    sizes = [model.row_at(r).size_bytes for r in range(model.rowCount())]
    assert sizes and all(10**9 <= s <= 2 * 10**9 for s in sizes)
    model.set_filter(FilterSpec(show_locked=True, tags=frozenset({"t1"}), text="model"))
    assert {model.row_at(r).tags for r in range(model.rowCount())} == {("t1",)}
    model.set_filter(FilterSpec(show_locked=True))
    model.sort(SIZE, Qt.SortOrder.AscendingOrder)
    sizes = [model.row_at(r).size_bytes or -1 for r in range(model.rowCount())]
    assert sizes == sorted(sizes)
    assert model.data(model.index(model.rowCount() - 1, SIZE)) == "3 GB"
    model.set_filter(FilterSpec(show_locked=True, status="updates"))
    assert [model.row_at(r).id for r in range(model.rowCount())] == ["m3"]


def test_queue_model_passes_modeltester(qtmodeltester):
    model = DownloadQueueModel()
    qtmodeltester.check(model)
    model.update_jobs([job(1, "downloading", 30), job(2, "queued"), job(3, "failed")])
    qtmodeltester.check(model)
    model.update_jobs([job(1, "downloading", 60), job(3, "failed"), job(4, "paused", 10, None)])
    qtmodeltester.check(model)
    # Running first, then paused, then finished; the newest first within each.
    assert [j.job_id for j in model.jobs()] == [1, 4, 3]
    assert model.data(model.index(2, 5)) == "failed: Connection reset by the server"
    model.update_jobs([job(1, "paused", 60), job(3, "failed"), job(4, "paused"), job(5, "queued")])
    qtmodeltester.check(model)
    assert [j.job_id for j in model.jobs()] == [5, 4, 1, 3]
    model.update_jobs([])
    qtmodeltester.check(model)
