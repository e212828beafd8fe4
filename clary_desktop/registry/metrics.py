"""Runs reported by the models' consumers, and the per-model figures built from them."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime

from sqlalchemy import select

from clary_desktop.db import Database
from clary_desktop.db.tables import ModelMetadata, ModelRun
from clary_desktop.db.timestamps import as_utc
from clary_desktop.domain.pipeline_values import RunInfo, RunReport, RunSummary
from clary_desktop.registry.catalog import unknown_model

RECENT_RUNS = 50


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest value with at least `fraction` of values <= it."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * fraction // 1))
    return ordered[int(rank) - 1]


class MetricsStore:
    def __init__(self, database: Database) -> None:
        self.db = database

    def record(self, model_id: str, report: RunReport, api_key_id: int | None = None) -> RunInfo:
        with self.db.write() as session:
            if session.get(ModelMetadata, model_id) is None:
                raise unknown_model(model_id)
            row = ModelRun(
                model_id=model_id,
                version=report.version,
                reported_at=datetime.now(UTC),
                latency_ms=report.latency_ms,
                throughput=report.throughput,
                success=report.success,
                api_key_id=api_key_id,
            )
            session.add(row)
        return _run_info(row)

    def summary(self, model_id: str) -> RunSummary:
        with self.db.read() as session:
            if session.get(ModelMetadata, model_id) is None:
                raise unknown_model(model_id)
            rows = session.scalars(
                select(ModelRun).where(ModelRun.model_id == model_id).order_by(ModelRun.id)
            ).all()
        latencies = [r.latency_ms for r in rows if r.success]
        throughputs = [r.throughput for r in rows if r.success and r.throughput is not None]
        return RunSummary(
            model_id=model_id,
            runs=len(rows),
            failures=sum(1 for r in rows if not r.success),
            median_latency_ms=statistics.median(latencies) if latencies else None,
            p95_latency_ms=percentile(latencies, 0.95) if latencies else None,
            mean_throughput=statistics.fmean(throughputs) if throughputs else None,
            recent=[_run_info(r) for r in rows[-RECENT_RUNS:]],
        )


def _run_info(row: ModelRun) -> RunInfo:
    reported = as_utc(row.reported_at)
    return RunInfo(
        reported_at=reported,
        latency_ms=row.latency_ms,
        throughput=row.throughput,
        success=row.success,
        version=row.version,
    )
