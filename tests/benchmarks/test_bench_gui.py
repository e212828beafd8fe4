"""Window figures with 100,000 catalog entries (printed; run with `make bench`).

- start: process start -> window shown, and -> the 100,000 rows in the table
- keystroke: one key in the search box -> the list re-filtered and repainted
- fits: the Fits column's verdicts for 100,000 rows (three in four carry facts): the
  database query on the worker thread, then applying, sorting and filtering by them
  on the GUI thread
- loop lateness: a 10 ms timer on the GUI thread while two downloads run at full
  loopback speed, with the bridge and queue view repainting
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

from clary_desktop.app import Registry
from clary_desktop.domain.access import Tier
from clary_desktop.paths import resolve_paths
from clary_desktop.registry.manifest import CatalogManifest

pytestmark = pytest.mark.benchmark
ENTRIES = 100_000


@pytest.fixture(autouse=True)
def _no_network_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows opened in this process answer "online" without touching the network."""
    from clary_desktop.storage import network

    monkeypatch.setattr(network, "probe", lambda *_args, **_kwargs: True)


def bench_facts(i: int) -> dict[str, object]:
    """GGUF facts of an 8B-like model, its weights from 0.25 to 20 GiB: every verdict."""
    return {
        "format": "gguf",
        "block_count": 32,
        "context_length": 8192,
        "embedding_length": 4096,
        "head_count": 32,
        "head_count_kv": 8,
        "weight_bytes": (1 + i % 80) * 2**28,
    }


def big_manifest(n: int) -> CatalogManifest:
    types = ("llm", "layout", "ocr", "embedding")
    tiers = ("lite", "standard", "professional")
    models = [
        {
            "id": f"bench-{i:06d}",
            "name": f"Bench model {i:06d}",
            "description": f"Synthetic entry {i} for the window benchmark",
            "type": types[i % 4],
            "tier": tiers[i % 3],
            "tags": [f"tag{i % 50}", "bench"],
            "license": {"id": "mit", "name": "MIT", "commercial_use": True},
            "versions": [
                {
                    "version": "1.0.0",
                    "download_url": f"http://127.0.0.1:9/m{i}.bin",
                    "files": [{"path": f"m{i}.bin", "size_bytes": 1000 + i * 7919}],
                    **({"facts": bench_facts(i)} if i % 4 else {}),
                }
            ],
        }
        for i in range(n)
    ]
    return CatalogManifest.model_validate({"schema": 1, "models": models})


@pytest.fixture(scope="module")
def big_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("bench") / "data"
    registry = Registry.open(resolve_paths(data_dir))
    registry.catalog.import_manifest(
        big_manifest(ENTRIES), origin="import", keep_user_changes=False
    )
    registry.close()
    return data_dir


START_SCRIPT = textwrap.dedent("""
    import asyncio, sys, time
    import qasync
    from PySide6.QtWidgets import QApplication
    from clary_desktop.gui.app import make_opener
    from clary_desktop.gui.main_window import MainWindow
    from clary_desktop.paths import resolve_paths
    app = QApplication([])
    paths = resolve_paths(sys.argv[1])
    window = MainWindow(paths, opener=make_opener(paths, None))
    window.show()
    app.processEvents()
    print("shown", time.time(), flush=True)
    async def main():
        done = asyncio.get_running_loop().create_future()
        window.catalog_loaded.connect(lambda: done.done() or done.set_result(None))
        window.start()
        await done
        print("loaded", time.time(), window.catalog_model.total, flush=True)
        fitted = asyncio.get_running_loop().create_future()
        window.fit_actions.fits_changed.connect(
            lambda: fitted.done() or fitted.set_result(None)
        )
        await fitted
        print("fits", time.time(), flush=True)
        window.shutdown()
    with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
        runner.run(main())
""")


def test_bench_window_start(big_data_dir: Path) -> None:
    # Offline mode: the window's network probe would otherwise reach for the real Hub.
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_API": "pyside6", "CLARY_OFFLINE": "1"}
    began = time.time()
    out = subprocess.run(
        [sys.executable, "-c", START_SCRIPT, str(big_data_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    stamps = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line}
    shown = float(stamps["shown"][0]) - began
    loaded = float(stamps["loaded"][0]) - began
    fits = float(stamps["fits"][0]) - began
    assert int(stamps["loaded"][1]) >= ENTRIES
    print(
        f"\n[bench] {ENTRIES:,} entries: window shown {shown:.2f} s after process start, "
        f"rows in the table at {loaded:.2f} s, Fits column filled at {fits:.2f} s"
    )


def test_bench_keystroke(big_data_dir: Path, qtbot) -> None:
    from PySide6.QtWidgets import QApplication

    from clary_desktop.gui.main_window import MainWindow

    paths = resolve_paths(big_data_dir)
    registry = Registry.open(paths, tier_source=lambda: Tier.PROFESSIONAL)
    window = MainWindow(paths, registry=registry)
    try:
        window.show()
        qtbot.waitExposed(window)
        window.catalog_model.set_rows(registry.model_rows(), Tier.PROFESSIONAL)
        window.filters.set_types(registry.model_types())
        QApplication.processEvents()
        timings = []
        for text in ("model 01", "\b\b\b\b\b\b\b\bsynthetic 9", "\b\b\b\b\b\b\b\b\b\b\b"):
            for char in text:
                started = time.perf_counter()
                if char == "\b":
                    window.filters.search.backspace()
                else:
                    window.filters.search.insert(char)
                window.table.viewport().repaint()
                QApplication.processEvents()
                timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        print(
            f"\n[bench] keystroke -> list updated over {ENTRIES:,} rows: "
            f"median {timings[len(timings) // 2]:.1f} ms, worst {timings[-1]:.1f} ms "
            f"({len(timings)} keys)"
        )
        bench_fits(window, registry)
    finally:
        window.shutdown()
        window.deleteLater()
        registry.close()


def bench_fits(window, registry: Registry) -> None:  # type: ignore[no-untyped-def]
    """The Fits column over the 100,000 rows: what each step costs, and on which thread."""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from clary_desktop.gui.models.catalog_model import FITS

    machine = registry.machine_info(ram=8 * 2**30, vram=4 * 2**30)
    # The window asks for the verdicts on a worker thread: how long, and how late a
    # 10 ms timer on the GUI thread runs meanwhile (the worker holds the GIL at times).
    result: dict[str, Any] = {}
    worker = threading.Thread(
        target=lambda: result.update(fits=registry.fits_for_rows(machine=machine))
    )
    lateness: list[int] = []
    clock = QElapsedTimer()
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: lateness.append(clock.restart() - 10))
    waiting = QEventLoop()
    poll = QTimer()
    poll.setInterval(20)
    poll.timeout.connect(lambda: worker.is_alive() or waiting.quit())
    started = time.perf_counter()
    clock.start()
    timer.start()
    worker.start()
    poll.start()
    waiting.exec()
    query_ms = (time.perf_counter() - started) * 1000
    timer.stop()
    poll.stop()
    worker.join()
    fits = result["fits"]
    lateness.sort()
    assert len(fits) >= ENTRIES * 3 // 4  # and the shipped catalog's few

    def gui_ms(step) -> float:  # type: ignore[no-untyped-def]
        began = time.perf_counter()
        step()
        window.table.viewport().repaint()
        QApplication.processEvents()
        return (time.perf_counter() - began) * 1000

    model = window.catalog_model
    apply_ms = gui_ms(lambda: model.set_fits(fits, machine))
    sort_ms = gui_ms(lambda: window.table.sortByColumn(FITS, Qt.SortOrder.AscendingOrder))
    filter_ms = gui_ms(lambda: window.filters.fits_only.setChecked(True))
    shown = model.rowCount()
    keys = sorted(gui_ms(lambda c=c: window.filters.search.insert(c)) for c in "model 1")
    window.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    print(
        f"[bench] Fits over {ENTRIES:,} rows ({len(fits):,} with facts): verdicts "
        f"{query_ms:.0f} ms on a worker (10 ms timer on the GUI thread meanwhile: median "
        f"{lateness[len(lateness) // 2]} ms, worst {lateness[-1]} ms late); on the GUI "
        f"thread: apply {apply_ms:.0f} ms, "
        f"sort by Fits {sort_ms:.0f} ms, 'only models that fit' {filter_ms:.0f} ms "
        f"({shown:,} shown), keystroke with it on: median {keys[len(keys) // 2]:.1f} ms, "
        f"worst {keys[-1]:.1f} ms"
    )


def test_bench_loop_lateness_during_two_downloads(paths, qtbot) -> None:
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QTableView

    from clary_desktop.gui.bridge import DownloadBridge
    from clary_desktop.gui.models.queue_model import DownloadQueueModel
    from tests.support.download_env import import_entries, url_entry, use_fast_manager
    from tests.support.fault_server import BlobServer, random_bytes

    data = random_bytes(192 * 1024 * 1024, seed=3)
    with BlobServer() as server:
        server.add("a", data)
        server.add("b", data)
        registry = Registry.open(paths, tier_source=lambda: Tier.LITE)
        try:
            import_entries(
                registry,
                url_entry("big-a", {"m.bin": (server.url("a"), data)}),
                url_entry("big-b", {"m.bin": (server.url("b"), data)}),
            )
            manager = use_fast_manager(registry)
            model = DownloadQueueModel()
            view = QTableView()
            view.setModel(model)
            view.show()
            bridge = DownloadBridge()
            bridge.jobs_changed.connect(model.update_jobs)
            bridge.attach(manager.subscribe)
            lateness: list[float] = []
            clock = QElapsedTimer()
            timer = QTimer()
            timer.setInterval(10)
            timer.timeout.connect(lambda: lateness.append(clock.restart() - 10))
            clock.start()
            timer.start()
            started = time.perf_counter()
            jobs = [manager.start("big-a"), manager.start("big-b")]
            qtbot.waitUntil(
                lambda: all(manager.job(j).state.finished for j in jobs), timeout=120_000
            )
            elapsed = time.perf_counter() - started
            timer.stop()
            bridge.close()
            states = [manager.job(j).state.value for j in jobs]
            lateness.sort()
            print(
                f"\n[bench] two downloads of 192 MiB ({states}) in {elapsed:.1f} s: 10 ms timer "
                f"lateness median {lateness[len(lateness) // 2]:.0f} ms, "
                f"p99 {lateness[int(len(lateness) * 0.99)]:.0f} ms, "
                f"worst {lateness[-1]:.0f} ms over {len(lateness)} ticks"
            )
            view.close()
        finally:
            registry.close()
