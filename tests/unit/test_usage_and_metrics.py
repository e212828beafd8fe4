"""Model usage per task, parameter validation (GGUF header limits), run metrics."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from clary_desktop.app import Registry
from clary_desktop.db.tables import Installation
from clary_desktop.domain.access import Tier
from clary_desktop.domain.file_formats import detect_format
from clary_desktop.domain.pipeline_values import RunReport
from clary_desktop.errors import AccessDeniedError, ClaryError, NotFoundError
from clary_desktop.paths import AppPaths
from clary_desktop.registry.metrics import percentile
from tests.support.download_env import import_entries
from tests.support.gguf_files import write_gguf


def _install(registry: Registry, model_id: str, files: dict[str, Path | bytes]) -> Path:
    """Put files where an install lives and record the installation, as the engine does."""
    model = registry.get_model(model_id)
    folder = registry.models_dir / model.type / model_id / model.version
    for name, content in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            target.write_bytes(content.read_bytes())
        else:
            target.write_bytes(content)
    with registry.db.write() as session:
        session.add(
            Installation(
                model_id=model_id,
                version=model.version,
                path=str(folder),
                size_bytes=None,
                installed_at=datetime.now(UTC),
                active=True,
            )
        )
    return folder


def _entry(
    model_id: str,
    path: str,
    tier: str = "lite",
    model_type: str = "llm",
    parameters: dict | None = None,
) -> dict:
    return {
        "id": model_id,
        "name": model_id,
        "type": model_type,
        "tier": tier,
        "parameters": parameters or {"context_length": 32768, "batch_size": 512},
        "versions": [
            {"version": "1.0", "files": [{"path": path, "url": f"https://files.example/{path}"}]}
        ],
    }


@pytest.fixture
def reg(paths: AppPaths):
    tier = {"value": Tier.STANDARD}
    registry = Registry.open(paths, tier_source=lambda: tier["value"])
    registry.test_tier = tier  # type: ignore[attr-defined]
    import_entries(
        registry,
        _entry("tiny", "tiny.gguf"),
        _entry("pro", "pro.gguf", "professional"),
        _entry("scan", "weights.safetensors", model_type="ocr", parameters={}),
    )
    yield registry
    registry.close()


def test_gguf_header_facts_are_read(tmp_path: Path) -> None:
    info = detect_format(write_gguf(tmp_path / "m.gguf", context_length=2048))
    assert info.format == "gguf" and info.gguf is not None
    assert (
        info.gguf.architecture,
        info.gguf.quantization,
        info.gguf.context_length,
        info.gguf.parameter_count,
    ) == ("llama", "Q4_K_M", 2048, 96)


def test_other_formats_are_told_apart(tmp_path: Path) -> None:
    header = json.dumps({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
    safetensors = tmp_path / "w.safetensors"
    safetensors.write_bytes(len(header).to_bytes(8, "little") + header + b"\0" * 4)
    assert detect_format(safetensors).format == "safetensors"
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x01" * 64)
    assert detect_format(junk).format == "unknown"


def test_a_task_uses_an_installed_model_of_its_type(reg: Registry, tmp_path: Path) -> None:
    with pytest.raises(ClaryError, match="not installed"):
        reg.use_model("llm", "tiny")
    folder = _install(reg, "tiny", {"tiny.gguf": write_gguf(tmp_path / "t.gguf")})
    info = reg.use_model("llm", "tiny")
    assert info.files == [str(folder / "tiny.gguf")] and info.version == "1.0"
    assert reg.usage_for("llm").model_id == "tiny"
    with pytest.raises(ClaryError, match="is a llm model; it cannot be used for the ocr task"):
        reg.use_model("ocr", "tiny")
    with pytest.raises(NotFoundError, match="No model is selected for the ocr task"):
        reg.usage_for("ocr")


def test_a_selection_above_a_dropped_tier_is_refused_not_deleted(
    reg: Registry, tmp_path: Path
) -> None:
    reg.test_tier["value"] = Tier.PROFESSIONAL  # type: ignore[attr-defined]
    _install(reg, "pro", {"pro.gguf": write_gguf(tmp_path / "p.gguf")})
    reg.use_model("llm", "pro")
    reg.test_tier["value"] = Tier.LITE  # type: ignore[attr-defined]
    with pytest.raises(AccessDeniedError, match="requires professional"):
        reg.usage_for("llm")
    with pytest.raises(AccessDeniedError, match="requires professional"):
        reg.use_model("llm", "pro")
    reg.test_tier["value"] = Tier.PROFESSIONAL  # type: ignore[attr-defined]
    assert reg.usage_for("llm").model_id == "pro"


def test_gguf_header_caps_the_context_length(reg: Registry, tmp_path: Path) -> None:
    assert reg.set_model_parameters("tiny", {"context_length": 16384})["context_length"] == 16384
    _install(reg, "tiny", {"tiny.gguf": write_gguf(tmp_path / "t.gguf", context_length=8192)})
    with pytest.raises(ClaryError, match="maximum context of 8192 tokens"):
        reg.set_model_parameters("tiny", {"context_length": 16384})
    assert reg.set_model_parameters("tiny", {"context_length": 8192})["context_length"] == 8192


def test_runs_are_summarised(reg: Registry) -> None:
    for latency in (10.0, 20.0, 30.0, 40.0, 1000.0):
        reg.record_run("tiny", RunReport(latency_ms=latency, throughput=5.0))
    reg.record_run("tiny", RunReport(latency_ms=5.0, success=False))
    summary = reg.run_summary("tiny")
    assert (summary.runs, summary.failures) == (6, 1)
    assert summary.median_latency_ms == 30.0 and summary.p95_latency_ms == 1000.0
    assert summary.mean_throughput == 5.0 and len(summary.recent) == 6
    with pytest.raises(AccessDeniedError):
        reg.record_run("llama-3-8b", RunReport(latency_ms=1))
    assert percentile([1, 2, 3, 4], 0.5) == 2 and percentile([7], 0.95) == 7


def test_performance_reports_disk_use_and_gguf_facts(reg: Registry, tmp_path: Path) -> None:
    assert reg.performance("tiny").installed_version is None
    gguf_file = write_gguf(tmp_path / "t.gguf", context_length=4096)
    _install(reg, "tiny", {"tiny.gguf": gguf_file})
    perf = reg.performance("tiny")
    assert perf.installed_version == "1.0"
    assert perf.size_on_disk == gguf_file.stat().st_size
    assert perf.gguf is not None and perf.gguf.context_length == 4096
    with pytest.raises(NotFoundError):
        reg.performance("nope")


def test_api_keys_are_stored_hashed(reg: Registry) -> None:
    info, secret = reg.api_keys.create("k1")
    assert reg.api_keys.authenticate(secret) == info
    assert reg.api_keys.authenticate(secret + "x") is None
    assert reg.api_keys.authenticate(None) is None
    db_files = list(reg.paths.database_file.parent.glob("catalog.db*"))
    raw = b"".join(p.read_bytes() for p in db_files)
    assert info.prefix.encode() in raw  # the check below would see the key if it were stored
    assert secret.encode() not in raw
    reg.api_keys.revoke("k1")
    assert reg.api_keys.authenticate(secret) is None
