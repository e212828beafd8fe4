"""Render the window offscreen to docs/screenshots/*.png (for the README).

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py [--out DIR]
        [--screen 1600x1000] [--size 1024x700]

`--screen` gives the offscreen platform a screen of that size (with QT_SCALE_FACTOR=2 the
window sees half of it, as on a high-DPI laptop); `--size` resizes the window, else it
takes the first size it picks for that screen.

Uses a throwaway data dir with the default catalog and a Professional license,
signed with a key made for this run (trusted only by this script's license check). The
"download in progress" shot feeds the queue the engine's own event values when the
download engine is installed, else plain stand-ins with the same fields. The network
probe is answered "online" without touching the network.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import qasync
from PySide6.QtWidgets import QApplication

from clary_desktop.app import Registry
from clary_desktop.gui.main_window import MainWindow
from clary_desktop.licensing import LicenseManager, LicenseVerifier
from clary_desktop.licensing.issue import new_payload, sign_license
from clary_desktop.paths import AppPaths, resolve_paths
from clary_desktop.storage import network

ROOT = Path(__file__).resolve().parent.parent


def fake_event(
    job_id: int, model_id: str, version: str, state: str, done: int, total: int, speed: float | None
) -> SimpleNamespace:
    eta = (total - done) / speed if speed else None
    now = datetime.now(UTC)
    return SimpleNamespace(
        job_id=job_id,
        model_id=model_id,
        version=version,
        state=state,
        bytes_done=done,
        bytes_total=total,
        speed_bps=speed,
        eta_seconds=eta,
        error=None,
        current_file=None,
        created_at=now,
        updated_at=now,
        kind="progress",
    )


async def wait_signal(signal, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    future = asyncio.get_running_loop().create_future()

    def done(*_args: object) -> None:
        if not future.done():
            future.set_result(None)

    signal.connect(done)
    try:
        await asyncio.wait_for(future, timeout)
    finally:
        signal.disconnect(done)


async def settle(seconds: float = 0.3) -> None:
    """Let the window lay out and paint. Only the event loop runs Qt's events here: calling
    processEvents() inside a coroutine would run other tasks' steps re-entrantly."""
    await asyncio.sleep(seconds)


def licensed(paths: AppPaths) -> LicenseManager:
    """A Professional license, as a customer would have, signed with a throwaway key."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    kid = "screenshots"
    payload = new_payload(
        tier="professional", licensee="Northwind Legal GmbH", email="it@northwind.example", days=365
    )
    paths.ensure()
    paths.license_file.write_bytes(sign_license(key, kid, payload))
    verifier = LicenseVerifier({kid: key.public_key()})
    return LicenseManager.for_paths(paths, verifier=verifier)


async def shoot(out: Path, data_dir: Path, size: tuple[int, int] | None = None) -> list[Path]:
    paths = resolve_paths(data_dir)
    network.probe = lambda *_args, **_kwargs: True  # the indicator says Online, no network
    registry = Registry.open(paths, tier_source=licensed(paths))
    window = MainWindow(paths, registry=registry)
    saved: list[Path] = []
    try:
        if size is not None:
            window.resize(*size)
        window.show()
        loaded = asyncio.ensure_future(wait_signal(window.catalog_loaded))
        window.start()
        await loaded
        await settle()
        saved.append(out / "welcome.png")  # nothing selected: the starter models
        window.grab().save(str(saved[-1]))
        window.filters.show_locked.setChecked(True)
        shown = asyncio.ensure_future(wait_signal(window.details_shown))
        window.select_model("layoutlmv3")
        await shown
        await settle()
        saved.append(out / "main-window.png")
        window.grab().save(str(saved[-1]))
        window.detail.tabs.setCurrentWidget(window.detail.card)
        await settle()
        saved.append(out / "model-card.png")
        window.grab().save(str(saved[-1]))
        window.detail.tabs.setCurrentIndex(0)

        events = [
            fake_event(
                1,
                "qwen2.5-1.5b-instruct",
                "1.0.0",
                "downloading",
                412_000_000,
                1_117_000_000,
                38_500_000.0,
            ),
            fake_event(2, "got-ocr-2", "1.0.0", "queued", 0, 1_430_000_000, None),
            fake_event(
                3,
                "table-transformer-structure",
                "1.0.0",
                "completed",
                115_000_000,
                115_000_000,
                None,
            ),
        ]
        for event in events:
            window.bridge.on_event(event)
        window.bridge.flush()
        shown = asyncio.ensure_future(wait_signal(window.details_shown))
        window.select_model("qwen2.5-1.5b-instruct")
        await shown
        window.queue_panel.view.selectRow(0)
        await settle()
        saved.append(out / "download-in-progress.png")
        window.grab().save(str(saved[-1]))

        failed = fake_event(4, "phi-4-multimodal", "1.0.0", "failed", 0, 2_491_874_688, None)
        failed.error = (
            "The Hub refused the download of bartowski/microsoft_Phi-4-mini-instruct-GGUF "
            "(HTTP 403 at https://huggingface.co/bartowski/microsoft_Phi-4-mini-instruct-GGUF/"
            "resolve/main/microsoft_Phi-4-mini-instruct-Q4_K_M.gguf): check the access token "
            "in Settings."
        )
        window.bridge.on_event(failed)
        window.bridge.flush()
        shown = asyncio.ensure_future(wait_signal(window.details_shown))
        window.select_model("phi-4-multimodal")
        await shown
        window.queue_panel.view.selectRow(3)
        await settle()
        saved.append(out / "download-failed.png")
        window.grab().save(str(saved[-1]))
        saved += await shoot_fit(out, window)
        saved += await shoot_usage(out, window, registry, data_dir)
    finally:
        window.shutdown()
        window.deleteLater()
        registry.close()
    return saved


async def shoot_fit(out: Path, window: MainWindow) -> list[Path]:
    """Will it run here: the Fits column, the estimate in the detail pane, the plan dialog,
    for a planned computer (16 GiB of RAM, 8 GiB of GPU memory) so every run looks alike."""
    saved: list[Path] = []
    actions = window.fit_actions
    fitted = asyncio.ensure_future(wait_signal(actions.fits_changed))
    actions.set_plan((16 * 1024**3, 8 * 1024**3))
    await fitted
    shown = asyncio.ensure_future(wait_signal(actions.report_shown))
    window.select_model("llama-3-8b")
    await shown
    window.detail.tabs.setCurrentWidget(window.detail.usage_tab)
    await settle()
    saved.append(out / "memory-fit.png")
    window.grab().save(str(saved[-1]))

    actions.plan_dialog()
    await settle(0.6)
    assert actions.dialog is not None
    saved.append(out / "plan-computer.png")
    actions.dialog.grab().save(str(saved[-1]))
    actions.dialog.reject()
    window.detail.tabs.setCurrentIndex(0)
    return saved


def add_local_model(registry: Registry, data_dir: Path) -> str | None:
    """A small GGUF imported as a local model, selected for llm, with reported runs."""
    try:
        import gguf  # noqa: F401  (a test dependency; without it, skip these shots)
    except ImportError:
        return None
    from clary_desktop.domain.pipeline_values import RunReport
    from tests.support.gguf_files import write_gguf

    source = write_gguf(
        data_dir.parent / "tiny-llama-q4.gguf", context_length=4096, name="Tiny Llama Q4"
    )
    result = registry.import_file(source, model_id="tiny-llama-q4")
    registry.use_model("llm", result.model_id)
    registry.set_model_parameters(
        result.model_id, {"context_length": 4096, "batch_size": 256, "temperature": 0.7}
    )
    latencies = [
        420,
        380,
        510,
        460,
        395,
        1210,
        440,
        405,
        470,
        390,
        430,
        455,
        610,
        415,
        398,
        445,
        402,
        520,
        433,
        410,
    ]
    for n, latency in enumerate(latencies):
        registry.record_run(
            result.model_id,
            RunReport(latency_ms=float(latency), throughput=38.0 + n % 5, success=n != 5),
        )
    registry.api_keys.create("document-pipeline")
    registry.api_keys.create("notebook")
    registry.api_keys.revoke("notebook")
    return result.model_id


async def shoot_usage(
    out: Path, window: MainWindow, registry: Registry, data_dir: Path
) -> list[Path]:
    saved: list[Path] = []
    model_id = await window.tasks.run(add_local_model, registry, data_dir)
    if model_id is None:
        return saved
    loaded = asyncio.ensure_future(wait_signal(window.catalog_loaded))
    window.reload()
    await loaded
    window.filters.reset()
    shown = asyncio.ensure_future(wait_signal(window.details_shown))
    window.select_model(model_id)
    await shown
    window.detail.tabs.setCurrentWidget(window.detail.performance_tab)
    await settle()
    saved.append(out / "performance.png")
    window.grab().save(str(saved[-1]))
    window.detail.tabs.setCurrentWidget(window.detail.usage_tab)
    await settle()
    saved.append(out / "usage-and-parameters.png")
    window.grab().save(str(saved[-1]))

    window.usage_actions.usage_view()
    await settle(0.6)
    assert window.usage_actions.usage_dialog is not None
    saved.append(out / "usage-view.png")
    window.usage_actions.usage_dialog.grab().save(str(saved[-1]))
    window.usage_actions.usage_dialog.close()

    window.api_actions.api_keys_dialog()
    await settle(0.6)
    assert window.api_actions.keys_dialog is not None
    window.api_actions.keys_dialog.show_secret("document-pipeline", "clary_" + "x" * 43)
    await settle()
    saved.append(out / "api-keys.png")
    window.api_actions.keys_dialog.grab().save(str(saved[-1]))
    window.api_actions.keys_dialog.close()

    if hasattr(registry, "storage_report"):
        stray = registry.models_dir / "llm" / "old-download" / "weights.bin"
        stray.parent.mkdir(parents=True, exist_ok=True)
        stray.write_bytes(b"\0" * 3_000_000)
        partial = registry.models_dir / "ocr" / "got-ocr-2" / "0.9" / "model.safetensors.part"
        partial.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(b"\0" * 48_000_000)
        window.storage_actions.storage_view()
        await settle(0.8)
        assert window.storage_actions.storage_dialog is not None
        saved.append(out / "storage.png")
        window.storage_actions.storage_dialog.grab().save(str(saved[-1]))

        from clary_desktop.gui.dialogs.move_dialog import MoveModelsDialog

        window.storage_actions.move_models_dialog()
        await settle()
        move = window.storage_actions.storage_dialog.findChild(MoveModelsDialog)
        move.target.setText("/media/backup-drive/clary-models")
        move.keep_old.setChecked(True)
        move.move_button.setFocus()
        await settle()
        saved.append(out / "move-models.png")
        move.grab().save(str(saved[-1]))
        move.reject()
        window.storage_actions.storage_dialog.close()

    from clary_desktop.gui.dialogs.settings_dialog import SettingsDialog

    dialog = SettingsDialog(registry.settings, str(registry.paths.default_models_dir), window)
    dialog.show()
    await settle()
    dialog.show_field("resume_on_start")  # the Downloads tab; no caret over a field's text
    await settle()
    saved.append(out / "settings.png")
    dialog.grab().save(str(saved[-1]))
    dialog.close()
    dialog.deleteLater()
    return saved


def size_arg(text: str) -> tuple[int, int]:
    width, _, height = text.partition("x")
    return int(width), int(height)


def screen_config(folder: Path, width: int, height: int) -> Path:
    """The offscreen platform's screen, as a config file (its `size=` option is ignored)."""
    import json

    path = folder / "screen.json"
    screen = {"name": "shots", "x": 0, "y": 0, "width": width, "height": height}
    path.write_text(json.dumps({"screens": [{**screen, "logicalDpi": 96, "dpr": 1}]}))
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    # A laptop's screen by default, so the README's pictures keep one size whatever the
    # offscreen platform's own default screen is.
    parser.add_argument(
        "--screen",
        type=size_arg,
        default=(1600, 1000),
        help="offscreen screen size, WIDTHxHEIGHT (default 1600x1000)",
    )
    parser.add_argument("--size", type=size_arg, help="window size, WIDTHxHEIGHT")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="clary-shots-") as tmp:
        qt_args = [sys.argv[0]]
        qt_args += [
            "-platform",
            f"offscreen:configfile={screen_config(Path(tmp), *args.screen)}",
        ]
        _app = QApplication.instance() or QApplication(qt_args)  # alive until the end
        with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
            saved = runner.run(shoot(args.out, Path(tmp) / "data", args.size))
    for path in saved:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
