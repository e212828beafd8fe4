"""Per-model performance figures for the detail pane and `clary-models metrics`:
disk use, last download throughput, verification time, GGUF header facts and the
runs consumers reported."""

from __future__ import annotations

from sqlalchemy import select

from clary_desktop.db import Database
from clary_desktop.db.tables import ModelDownload
from clary_desktop.db.timestamps import as_utc
from clary_desktop.domain.pipeline_values import ModelPerformance
from clary_desktop.registry.installed import gguf_info_of, installed_files
from clary_desktop.registry.metrics import MetricsStore


def model_performance(database: Database, metrics: MetricsStore, model_id: str) -> ModelPerformance:
    runs = metrics.summary(model_id)  # also raises NotFoundError for unknown ids
    with database.read() as session:
        install, files = installed_files(session, model_id)
        last = session.scalar(
            select(ModelDownload)
            .where(
                ModelDownload.model_id == model_id,
                ModelDownload.status == "completed",
                ModelDownload.downloaded_at.is_not(None),
            )
            .order_by(ModelDownload.downloaded_at.desc())
            .limit(1)
        )
    throughput = None
    if last is not None and last.created_at is not None and last.downloaded_at is not None:
        seconds = (last.downloaded_at - last.created_at).total_seconds()
        if seconds > 0 and last.bytes_total:
            throughput = last.bytes_total / seconds
    size = sum(p.stat().st_size for p in files if p.is_file()) if install else None
    return ModelPerformance(
        model_id=model_id,
        installed_version=install.version if install else None,
        size_on_disk=size,
        download_bytes_per_second=throughput,
        verify_seconds=install.verify_seconds if install else None,
        verified_at=as_utc(install.verified_at) if install and install.verified_at else None,
        gguf=gguf_info_of(files),
        runs=runs,
    )
