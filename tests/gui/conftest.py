"""GUI test harness: one qasync loop for the whole session, and hard rules per test.

- A Qt warning (or worse) fails the test that caused it.
- An exception in a loop task or callback (the loop's exception handler) fails the test.
- Tasks left on the loop are cancelled after each test; a thread left running fails it.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import pytest
import qasync
from PySide6.QtCore import QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

from clary_desktop.app import Registry
from clary_desktop.domain.access import Tier
from clary_desktop.paths import AppPaths

# Messages of the offscreen platform plugin itself, not of our code.
_HARMLESS = (
    "This plugin does not support propagateSizeHints()",
    "This plugin does not support raise()",
    "This plugin does not support grabbing the keyboard",
    "QFont::setPointSizeF: Point size <= 0",
)


@pytest.fixture(scope="session")
def qasync_loop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    yield loop
    for task in asyncio.all_tasks(loop):
        task.cancel()
    QApplication.processEvents()


@pytest.fixture(autouse=True)
def _gui_rules(qasync_loop: asyncio.AbstractEventLoop, qapp: QApplication) -> Iterator[None]:
    problems: list[str] = []

    def on_message(kind: QtMsgType, _context: Any, message: str) -> None:
        serious = (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg)
        if kind in serious and not message.startswith(_HARMLESS):
            problems.append(f"Qt {kind.name}: {message}")

    def on_loop_error(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        problems.append(f"loop error: {context.get('message')}: {error!r}")

    threads_before = set(threading.enumerate())
    previous_handler = qInstallMessageHandler(on_message)
    qasync_loop.set_exception_handler(on_loop_error)
    try:
        yield
    finally:
        for task in asyncio.all_tasks(qasync_loop):
            task.cancel()
        for _ in range(3):
            QApplication.processEvents()
        qasync_loop.set_exception_handler(None)
        qInstallMessageHandler(previous_handler)
    leftover = [t.name for t in threading.enumerate() if t not in threads_before and t.is_alive()]
    assert not problems, "\n".join(problems)
    assert not leftover, f"threads left running: {leftover}"


class FakeProbe:
    """Stands in for `clary_desktop.storage.network.probe`: the test says whether the
    network is there, and no GUI test touches the real one."""

    def __init__(self) -> None:
        self.online = True
        self.calls = 0

    def __call__(self, settings: Any, endpoint: str | None = None, timeout: float = 3.0) -> bool:
        from clary_desktop.storage.network import network_allowed

        self.calls += 1
        return self.online and network_allowed(settings)


@pytest.fixture(autouse=True)
def network_probe(monkeypatch: pytest.MonkeyPatch) -> FakeProbe:
    from clary_desktop.storage import network

    probe = FakeProbe()
    monkeypatch.setattr(network, "probe", probe)
    return probe


@pytest.fixture
def tier_registry(paths: AppPaths) -> Iterator[Callable[[Tier], Registry]]:
    """`tier_registry(Tier.STANDARD)`: a Registry whose user tier is set by the test."""
    opened: list[Registry] = []
    current: dict[str, Tier] = {}

    def make(tier: Tier = Tier.LITE) -> Registry:
        current["tier"] = tier
        registry = Registry.open(paths, tier_source=lambda: current["tier"])
        opened.append(registry)
        return registry

    make.set_tier = lambda tier: current.__setitem__("tier", tier)  # type: ignore[attr-defined]
    yield make
    for registry in opened:
        registry.close()


@pytest.fixture
def open_window(qtbot: Any, paths: AppPaths) -> Iterator[Callable[..., Any]]:
    """Open a MainWindow on a registry, wait until the catalog is in the table."""
    from clary_desktop.gui.main_window import MainWindow

    windows: list[MainWindow] = []

    def make(registry: Registry, *, show: bool = True) -> MainWindow:
        window = MainWindow(paths, registry=registry)
        window.confirm = lambda _question: True  # type: ignore[method-assign]
        window.choices = []  # type: ignore[attr-defined]
        window.choose = (  # type: ignore[method-assign]
            lambda question, options, dismiss="Cancel": (
                window.choices.pop(0) if window.choices else options[-1]
            )
        )
        window.opened_urls = []  # type: ignore[attr-defined]
        window.open_url = window.opened_urls.append  # type: ignore[attr-defined,method-assign]
        windows.append(window)
        if show:
            window.show()
            qtbot.waitExposed(window)
        with qtbot.waitSignal(window.ready, timeout=15000):
            window.start()
        return window

    yield make
    for window in windows:
        window.close()
        window.shutdown()
        window.deleteLater()
    QApplication.processEvents()
