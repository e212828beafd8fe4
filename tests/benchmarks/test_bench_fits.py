"""The model list's Fits column: every model's verdict from the database alone.

Run with `make bench`. Figures are printed, not asserted. Target: `fits_for_rows` over
100,000 models that all carry facts takes less than `model_rows` (the list itself), so
the Fits column keeps the window's list within its benchmarks; the window computes it
off the GUI thread, once per list load and when the machine or a context changes.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import pytest

from clary_desktop.app import Registry
from clary_desktop.domain.access import Tier
from clary_desktop.paths import resolve_paths
from tests.benchmarks.test_bench_catalog import COUNT, generate_manifest

pytestmark = pytest.mark.benchmark
FACTS = {
    "format": "gguf",
    "architecture": "llama",
    "block_count": 32,
    "context_length": 8192,
    "embedding_length": 4096,
    "head_count": 32,
    "head_count_kv": 8,
}


def test_bench_fits_for_rows(tmp_path: Path) -> None:
    manifest = generate_manifest(tmp_path / "big.json", COUNT)
    raw = json.loads(manifest.read_text())
    for model in raw["models"]:
        model["versions"][0]["facts"] = FACTS
    manifest.write_text(json.dumps(raw))
    with Registry.open(
        resolve_paths(tmp_path / "data"), tier_source=lambda: Tier.PROFESSIONAL
    ) as registry:
        started = time.perf_counter()
        registry.import_catalog(manifest)
        import_seconds = time.perf_counter() - started
        machine = registry.machine_info(ram=16 * 1024**3, vram=8 * 1024**3)
        runs, listing = [], []
        for _ in range(3):
            t0 = time.perf_counter()
            rows = registry.fits_for_rows(machine=machine)
            runs.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            registry.model_rows()
            listing.append(time.perf_counter() - t0)
        assert len(rows) >= COUNT
    print(
        f"\n[fits] import of {COUNT:,} entries with facts: {import_seconds:.2f} s; "
        f"fits_for_rows over all of them: median {statistics.median(runs) * 1000:.0f} ms; "
        f"model_rows: median {statistics.median(listing) * 1000:.0f} ms (target: fits below rows)"
    )
