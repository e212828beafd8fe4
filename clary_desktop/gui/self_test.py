"""`clary-desktop --self-test`: prove an installed (or frozen) program works, then exit.

It opens the main window offscreen on a catalog in a temporary data dir (the user's
own folders are never touched), checks that the bundled catalog, license keys and
icons load, closes the window cleanly and returns 0. Progress goes to stdout; every
problem goes to stderr and makes the exit code 1, so "exit 0 and an empty stderr"
means the build is sound. Qt warnings count as problems, except the offscreen
platform plugin's notes that it cannot do some window-manager things.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QMessageLogContext, QtMsgType

from clary_desktop import APP_NAME, APP_SLUG, __version__
from clary_desktop.app import Registry
from clary_desktop.domain.file_formats import read_gguf_info
from clary_desktop.domain.signing_keys import (
    DEV_KEYS_ENV,
    default_trusted_keys,
    load_key_dir,
    shipped_keys_dir,
)
from clary_desktop.gui.main_window import MainWindow
from clary_desktop.network.tls import trust_context
from clary_desktop.paths import AppPaths, resolve_paths
from clary_desktop.registry.default_catalog import default_catalog_file
from clary_desktop.registry.manifest import load_manifest_file
from clary_desktop.resources import is_frozen, resource_path, resources_dir
from clary_desktop.settings import Settings, save_settings

START_TIMEOUT_S = 60.0
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)
# Notes of the offscreen platform plugin itself (it has no window manager), not faults.
_HARMLESS_QT = (
    "This plugin does not support propagateSizeHints()",
    "This plugin does not support raise()",
    "This plugin does not support grabbing the keyboard",
)


class SelfTestError(Exception):
    pass


class _Problems(logging.Handler):
    """Collects log records at WARNING and above, and Qt warnings."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.items: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.items.append(f"log {record.levelname} {record.name}: {record.getMessage()}")

    def qt_message(self, kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
        serious = (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg)
        if kind in serious and not message.startswith(_HARMLESS_QT):
            self.items.append(f"Qt {kind.name}: {message}")


def _say(started: float, text: str) -> None:
    print(f"self-test [{time.perf_counter() - started:6.3f} s] {text}", flush=True)


def check_resources() -> tuple[Path, int]:
    """The resources folder and the number of models in its default catalog."""
    folder = resources_dir()
    manifest = load_manifest_file(default_catalog_file())
    if not manifest.models:
        raise SelfTestError(f"the bundled catalog {default_catalog_file()} has no models")
    return folder, len(manifest.models)


def check_keys() -> list[str]:
    """The shipped license keys load, and a frozen build trusts nothing else."""
    folder = shipped_keys_dir()
    if folder is None or not folder.is_dir():
        raise SelfTestError("the license keys folder (resources/keys) is missing")
    shipped = load_key_dir(folder)
    if not shipped:
        raise SelfTestError(f"no usable license key in {folder}")
    trusted = default_trusted_keys()
    missing = sorted(set(shipped) - set(trusted))
    if missing:
        raise SelfTestError(f"shipped license keys not trusted: {', '.join(missing)}")
    if is_frozen() and set(trusted) != set(shipped):
        extra = ", ".join(sorted(set(trusted) - set(shipped)))
        raise SelfTestError(
            f"the frozen build trusts keys it does not ship ({DEV_KEYS_ENV}?): {extra}"
        )
    return sorted(shipped)


def check_icons() -> int:
    """The SVG source and every PNG size load through Qt (needs the svg image plugin)."""
    from PySide6.QtGui import QIcon, QImage

    svg = resource_path("icons", f"{APP_SLUG}.svg")
    icon = QIcon(str(svg))
    if icon.isNull() or icon.pixmap(64, 64).isNull():
        raise SelfTestError(f"the SVG icon {svg} does not load (Qt's svg plugin missing?)")
    for size in ICON_SIZES:
        path = resource_path("icons", f"{APP_SLUG}-{size}.png")
        image = QImage(str(path))
        if image.isNull() or (image.width(), image.height()) != (size, size):
            raise SelfTestError(f"the icon {path} does not load as a {size}x{size} image")
    return len(ICON_SIZES) + 1


def check_libraries(folder: Path) -> list[str]:
    """The libraries the window does not load at start but features need are bundled and
    work: GGUF headers (gguf + numpy), the local API server (uvicorn, h11, fastapi), Hub
    metadata (huggingface_hub) and HTTPS (requests with certifi's CA bundle, the OS trust
    store through truststore), the keychain the proxy password lives in (keyring) and this
    computer's memory (psutil)."""
    import importlib

    import certifi
    import gguf
    import numpy as np

    path = folder / "self-test.gguf"
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("self-test")
    writer.add_context_length(2048)
    writer.add_tensor("output.weight", np.ones((4, 8), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    info = read_gguf_info(path)
    if (info.architecture, info.context_length, info.parameter_count) != ("llama", 2048, 32):
        raise SelfTestError(f"a GGUF header reads back wrong: {info}")
    modules = [
        "uvicorn.loops.asyncio",
        "uvicorn.protocols.http.h11_impl",
        "uvicorn.lifespan.on",
        "fastapi",
        "clary_desktop.api.server",
        "huggingface_hub",
        "sqlalchemy.dialects.sqlite.pysqlite",
        "requests",
        "truststore",
        "keyring",
        "clary_desktop.network.http",
        "clary_desktop.network.hub_client",
        "psutil",  # this computer's memory, for "will it run here"
        "ctypes",  # downloads hand their bytes to the disk early (sync_file_range)
    ]
    for name in modules:
        importlib.import_module(name)
    trust_context()  # the OS trust store loads: HTTPS can verify
    if not Path(certifi.where()).is_file():
        raise SelfTestError(f"the CA bundle {certifi.where()} is missing: HTTPS would fail")
    return ["gguf", "numpy", *modules, "certifi"]


async def _open_window(
    paths: AppPaths, say: Callable[[str], None], expected_models: int, problems: _Problems
) -> None:
    from PySide6.QtWidgets import QApplication

    loop = asyncio.get_running_loop()
    loop.set_exception_handler(
        lambda _loop, context: problems.items.append(
            f"loop error: {context.get('message')}: {context.get('exception')!r}"
        )
    )
    window = MainWindow(paths, opener=lambda: Registry.open(paths, license_file=paths.license_file))
    try:
        window.show()
        QApplication.processEvents()
        if not window.isVisible():
            raise SelfTestError("the main window did not show")
        say("window shown")
        ready: asyncio.Future[None] = loop.create_future()

        def on_ready() -> None:
            if not ready.done():
                ready.set_result(None)

        window.ready.connect(on_ready)
        errors: list[str] = []
        window.message_shown.connect(errors.append)
        window.start()
        waiting = [ready] + ([window._start_task] if window._start_task is not None else [])
        done, _pending = await asyncio.wait(
            waiting, timeout=START_TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED
        )
        if not done:
            raise SelfTestError(f"the catalog did not open within {START_TIMEOUT_S:.0f} s")
        if not ready.done():
            reason = errors[-1] if errors else "the start-up task ended early"
            raise SelfTestError(f"the window could not open the catalog: {reason}")
        await window.tasks.drain()
        shown = window.catalog_model.total
        if shown != expected_models:
            raise SelfTestError(
                f"the window lists {shown} models, the bundled catalog has {expected_models}"
            )
        say(f"catalog loaded: {shown} models, tier {window.user_tier.label}")
    finally:
        window.close()
        window.shutdown()
        window.deleteLater()
        QApplication.processEvents()


def run_self_test() -> int:
    started = time.perf_counter()

    def say(text: str) -> None:
        _say(started, text)

    # Offscreen unless the caller chose a platform: works without a display, shows nothing.
    if not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    problems = _Problems()
    root = logging.getLogger()
    root.addHandler(problems)
    threads_before = set(threading.enumerate())
    say(
        f"{APP_NAME} {__version__}, {'frozen' if getattr(sys, 'frozen', False) else 'source'}, "
        f"Python {sys.version.split()[0]}"
    )
    try:
        with tempfile.TemporaryDirectory(prefix="clary-self-test-") as tmp:
            # Everything under the temp dir: never the user's database, settings or logs.
            paths = dataclasses.replace(resolve_paths(tmp), database_url=None)
            # Offline mode: the window's network probe and catalog sync stay quiet.
            save_settings(paths.settings_file, Settings(offline=True))
            folder, models = check_resources()
            say(f"resources: {folder} ({models} models in the default catalog)")
            kids = check_keys()
            say(f"license keys: {', '.join(kids)}")

            import qasync
            from PySide6.QtCore import qInstallMessageHandler
            from PySide6.QtWidgets import QApplication

            previous = qInstallMessageHandler(problems.qt_message)
            try:
                app = QApplication.instance() or QApplication([sys.argv[0]])
                app.setApplicationName(APP_NAME)
                app.setApplicationVersion(__version__)
                say(f"icons: {check_icons()} files load")
                with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
                    runner.run(_open_window(paths, say, models, problems))
                QApplication.processEvents()
            finally:
                qInstallMessageHandler(previous)
            say(f"libraries: {len(check_libraries(Path(tmp)))} load and work")
    except SelfTestError as error:
        problems.items.insert(0, str(error))
    except Exception as error:  # report anything, with its type, and fail
        problems.items.insert(0, f"unexpected {type(error).__name__}: {error}")
    finally:
        root.removeHandler(problems)
    leftover = [
        t.name
        for t in threading.enumerate()
        if t not in threads_before and t.is_alive() and not t.daemon
    ]
    if leftover:
        problems.items.append(f"threads left running: {', '.join(leftover)}")
    if problems.items:
        for item in problems.items:
            print(f"{APP_SLUG} --self-test: {item}", file=sys.stderr, flush=True)
        print("self-test FAILED", flush=True)
        return 1
    say("window closed cleanly, no thread left; self-test passed")
    return 0
