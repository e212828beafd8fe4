"""Catalog speed: 100,000 generated entries imported, filtered queries, CLI start-up.

Run with `make bench`. Figures are printed, not asserted: shared machines are noisy.
Targets: import < 30 s, first page of a type+tier+text query < 50 ms,
`clary-models list --json` over the default catalog < 1 s.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path

import pytest

from clary_desktop.app import Registry
from clary_desktop.domain.access import Tier
from tests.support.cli import clean_env, run

pytestmark = pytest.mark.benchmark
COUNT = int(os.environ.get("CLARY_BENCH_MODELS", "100000"))
WORDS = ["invoice", "receipt", "contract", "table", "form", "letter", "scan", "handwriting"]
TYPES = ["llm", "layout", "ocr", "classifier"]
TIERS = ["lite", "standard", "professional"]


def generate_manifest(path: Path, count: int) -> Path:
    models = []
    for i in range(count):
        word = WORDS[(i // 7) % len(WORDS)]
        models.append(
            {
                "id": f"gen-{i:06d}",
                "name": f"Generated {word} model {i}",
                "description": f"A generated {word} model for benchmarking, number {i}.",
                "type": TYPES[i % len(TYPES)],
                "tier": TIERS[i % len(TIERS)],
                "tags": [word, f"batch-{i % 100}"],
                "parameters": {"context_length": 4096},
                "license": {"id": "mit", "name": "MIT License", "commercial_use": True},
                "versions": [
                    {
                        "version": "1.0.0",
                        "repo_id": f"bench/model-{i}",
                        "revision": f"{i:040x}",
                        "files": [
                            {
                                "path": "model.gguf",
                                "size_bytes": 1_000_000 + i,
                                "sha256": f"{i:064x}",
                            }
                        ],
                    }
                ],
            }
        )
    path.write_text(json.dumps({"schema": 1, "models": models}))
    return path


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def test_bench_catalog_import_and_queries(tmp_path: Path) -> None:
    manifest = generate_manifest(tmp_path / "big.json", COUNT)
    from clary_desktop.paths import resolve_paths

    with Registry.open(
        resolve_paths(tmp_path / "data"), tier_source=lambda: Tier.PROFESSIONAL
    ) as registry:
        started = time.perf_counter()
        summary = registry.import_catalog(manifest)
        import_seconds = time.perf_counter() - started
        assert summary.added == COUNT

        queries = [
            ("llm", "standard", "invoice"),
            ("ocr", "professional", "handwriting generated"),
            ("layout", "lite", "batch-42 contract"),
            ("llm", "professional", "nothing-matches-this"),
        ]
        timings: dict[str, float] = {}
        for model_type, tier, text in queries:
            runs = []
            for _ in range(7):
                t0 = time.perf_counter()
                page = registry.list_models(tier=tier, model_type=model_type, search=text, limit=50)
                runs.append(time.perf_counter() - t0)
            timings[f"{model_type}/{tier}/{text!r} ({len(page)} rows)"] = statistics.median(runs)

    print(
        f"\n[catalog] import of {COUNT:,} entries: {import_seconds:.2f} s "
        f"({COUNT / import_seconds:,.0f} entries/s; target < 30 s)"
    )
    for label, seconds in timings.items():
        print(f"[catalog] first page of 50, {label}: median {_ms(seconds)} (target < 50 ms)")


def test_bench_cli_list_json_start_up(tmp_path: Path) -> None:
    data = tmp_path / "cli-data"
    first = time.perf_counter()
    assert (
        run("clary-models", "--data-dir", data, "list", "--json", env=clean_env()).returncode == 0
    )
    first_seconds = time.perf_counter() - first
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        result = run("clary-models", "--data-dir", data, "list", "--json", env=clean_env())
        runs.append(time.perf_counter() - t0)
        assert result.returncode == 0
    print(
        f"\n[cli] clary-models list --json: first run (creates and seeds the database) "
        f"{first_seconds:.2f} s; later runs median {statistics.median(runs):.2f} s, "
        f"max {max(runs):.2f} s (target < 1 s)"
    )
