"""What the document pipeline and the local API exchange with the Registry: the model
used per task, the parameters a user may set, reported runs, a model's performance
figures, and API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from clary_desktop.domain.file_formats import GgufInfo

#: Parameters a user may set, with their type and range; other catalog parameters
#: (architecture, quantization, layers, ...) are facts of the model.
RUNTIME_PARAMETERS: dict[str, tuple[type, float, float]] = {
    "context_length": (int, 1, 10_000_000),
    "batch_size": (int, 1, 65_536),
    "max_new_tokens": (int, 1, 10_000_000),
    "threads": (int, 1, 1024),
    "gpu_layers": (int, 0, 10_000),
    "temperature": (float, 0, 2),
    "top_p": (float, 0, 1),
}


def parameter_label(name: str) -> str:
    """A parameter's name in words ("context_length" -> "Context length")."""
    return name.replace("_", " ").capitalize()


class UsageInfo(BaseModel):
    """What the pipeline needs to run a task: the model, its files and parameters."""

    model_config = ConfigDict(frozen=True)

    task: str
    model_id: str
    name: str
    version: str
    tier: str
    path: str
    files: list[str]
    parameters: dict[str, Any]
    selected_at: datetime


class RunReport(BaseModel):
    """A consumer's report of one run (the body of POST /models/{id}/metrics)."""

    # NaN and Infinity (which JSON parsers accept) are refused as "not a finite number".
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    latency_ms: float = Field(gt=0, le=86_400_000, description="Wall time of the run")
    throughput: float | None = Field(
        default=None, ge=0, le=1e9, description="Units per second (tokens, pages, ...)"
    )
    success: bool = True
    version: str | None = Field(default=None, max_length=64)


class RunInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    reported_at: datetime
    latency_ms: float
    throughput: float | None
    success: bool
    version: str | None


class RunSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    model_id: str
    runs: int
    failures: int
    median_latency_ms: float | None
    p95_latency_ms: float | None
    mean_throughput: float | None
    recent: list[RunInfo]


class ModelPerformance(BaseModel):
    """Disk use, last download throughput, verification time, GGUF header facts and
    the runs consumers reported, for one model."""

    model_config = ConfigDict(frozen=True)

    model_id: str
    installed_version: str | None
    size_on_disk: int | None
    download_bytes_per_second: float | None
    verify_seconds: float | None
    gguf: GgufInfo | None
    runs: RunSummary
    #: When a verification last found every file intact (a damaged file records nothing).
    verified_at: datetime | None = None


class ApiKeyInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None
