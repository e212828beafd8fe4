"""The window on small and high-DPI screens: it fits, and the list keeps what matters."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from PySide6.QtCore import Qt

from clary_desktop.domain.access import Tier
from clary_desktop.gui.models.catalog_model import NAME, STATUS, TIER

ROOT = Path(__file__).resolve().parents[2]


def columns_in_view(table, columns) -> bool:
    header = table.horizontalHeader()
    width = table.viewport().width()
    return all(
        not header.isSectionHidden(c)
        and header.sectionViewportPosition(c) >= 0
        and header.sectionViewportPosition(c) + header.sectionSize(c) <= width
        for c in columns
    )


def test_the_first_window_fits_the_screen(open_window, tier_registry, qtbot):
    window = open_window(tier_registry(Tier.LITE))
    area = window.screen().availableGeometry()
    assert area.contains(window.frameGeometry()), (area, window.frameGeometry())


def test_a_saved_size_bigger_than_the_screen_is_brought_inside(open_window, tier_registry, qtbot):
    registry = tier_registry(Tier.LITE)
    window = open_window(registry)
    window.resize(3000, 2000)  # saved on a bigger monitor
    window.move(900, 700)
    window.close()
    again = open_window(registry)
    area = again.screen().availableGeometry()
    assert area.contains(again.frameGeometry()), (area, again.frameGeometry())


def test_at_1024x700_name_stretches_and_tier_and_status_stay_in_view(
    open_window, tier_registry, qtbot
):
    window = open_window(tier_registry(Tier.PROFESSIONAL))
    window.resize(1024, 700)
    table = window.table
    qtbot.waitUntil(lambda: columns_in_view(table, (NAME, TIER, STATUS)), timeout=5000)
    assert not table.horizontalScrollBar().isVisible()
    assert table.textElideMode() == Qt.TextElideMode.ElideRight
    # Wide again: every column is back.
    window.resize(1400, 860)
    header = table.horizontalHeader()
    qtbot.waitUntil(
        lambda: not any(header.isSectionHidden(c) for c in range(header.count())), timeout=5000
    )


def test_the_filters_become_a_drawer_on_a_narrow_window(open_window, tier_registry, qtbot):
    window = open_window(tier_registry(Tier.LITE))
    panel = window.drawer.panel
    window.resize(1400, 860)
    qtbot.waitUntil(lambda: panel.isVisible(), timeout=5000)
    assert not window.drawer.button.isVisible()

    window.resize(1024, 700)
    qtbot.waitUntil(lambda: not panel.isVisible(), timeout=5000)
    assert window.drawer.button.isVisible()
    qtbot.mouseClick(window.drawer.button, Qt.MouseButton.LeftButton)
    assert panel.isVisible()
    qtbot.mouseClick(window.drawer.button, Qt.MouseButton.LeftButton)
    assert not panel.isVisible()
    window.activateWindow()
    qtbot.keyClick(window.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert panel.isVisible()  # Ctrl+F opens the drawer at the search field
    assert window.filters.search.hasFocus()


SCALED = textwrap.dedent(
    """
    import asyncio, json, sys
    from pathlib import Path
    import qasync
    from PySide6.QtWidgets import QApplication
    from clary_desktop.app import Registry
    from clary_desktop.domain.access import Tier
    from clary_desktop.gui.main_window import MainWindow
    from clary_desktop.gui.models.catalog_model import STATUS, TIER
    from clary_desktop.paths import resolve_paths

    app = QApplication([sys.argv[0], "-platform", "offscreen:configfile=" + sys.argv[2]])

    async def main():
        paths = resolve_paths(Path(sys.argv[1]))
        registry = Registry.open(paths, tier_source=lambda: Tier.PROFESSIONAL)
        window = MainWindow(paths, registry=registry)
        window.show()
        ready = asyncio.get_running_loop().create_future()
        window.ready.connect(lambda: ready.done() or ready.set_result(None))
        window.start()
        await asyncio.wait_for(ready, 60)
        await asyncio.sleep(0.5)
        screen = window.screen()
        area = screen.availableGeometry()
        header = window.table.horizontalHeader()
        def inside(widget):
            top_left = widget.mapTo(window, widget.rect().topLeft())
            return window.rect().contains(top_left) and window.rect().contains(
                widget.mapTo(window, widget.rect().bottomRight()))
        def column_in_view(c):
            p = header.sectionViewportPosition(c)
            return not header.isSectionHidden(c) and 0 <= p and (
                p + header.sectionSize(c) <= window.table.viewport().width())
        print(json.dumps({
            "ratio": screen.devicePixelRatio(),
            "area": [area.x(), area.y(), area.width(), area.height()],
            "frame": [window.frameGeometry().x(), window.frameGeometry().y(),
                      window.frameGeometry().width(), window.frameGeometry().height()],
            "inside": area.contains(window.frameGeometry()),
            "parts": {name: inside(w) and w.isVisible() for name, w in (
                ("detail", window.detail), ("dock", window.queue_dock),
                ("status", window.status), ("table", window.table))},
            "columns": column_in_view(TIER) and column_in_view(STATUS),
        }))
        window.shutdown()
        registry.close()

    with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
        runner.run(main())
    """
)


def test_at_scale_two_on_a_1600x1000_screen_everything_is_on_screen(tmp_path: Path) -> None:
    config = tmp_path / "screen.json"
    screen = {"name": "laptop", "x": 0, "y": 0, "width": 1600, "height": 1000}
    config.write_text(json.dumps({"screens": [{**screen, "logicalDpi": 96, "dpr": 1}]}))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CLARY_", "QT_"))},
        "QT_SCALE_FACTOR": "2",
        "QT_QPA_PLATFORM": "offscreen",
        "CLARY_OFFLINE": "1",
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-c", SCALED, str(tmp_path / "data"), str(config)],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["ratio"] == 2.0
    assert found["area"] == [0, 0, 800, 500]  # the 1600x1000 screen in device-independent px
    assert found["inside"], found
    assert all(found["parts"].values()), found
    assert found["columns"], found
