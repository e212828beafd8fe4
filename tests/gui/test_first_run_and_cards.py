"""A first run that guides: the welcome panel's starter models, a locked model's way to a
license, Help > Getting started; and model cards rendered safely in the Card tab."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from clary_desktop import GET_LICENSE_URL
from clary_desktop.app import Registry
from clary_desktop.domain.access import Tier
from clary_desktop.gui.dialogs.getting_started import GettingStartedDialog
from tests.gui.fakes import FakeDownloads
from tests.gui.window_helpers import select
from tests.support.download_env import import_entries, url_entry


def test_the_welcome_panel_recommends_a_starter_per_task(open_window, tier_registry, qtbot):
    registry = tier_registry(Tier.LITE)
    fake = FakeDownloads(registry)
    registry.use_download_engine(fake)
    window = open_window(registry)
    welcome = window.detail.welcome
    assert welcome.isVisible() and window.detail.model_id is None
    assert list(welcome.rows) == ["layoutlmv3", "qwen2.5-1.5b-instruct", "got-ocr-2"]
    text = welcome.text()
    assert "Recommended for your Lite license" in text
    assert "llm · Qwen2.5 1.5B Instruct (Q4_K_M) · 1.12 GB" in text
    assert "a small, fast model for pulling fields out of documents" in text

    row = welcome.rows["qwen2.5-1.5b-instruct"]
    qtbot.mouseClick(row.download, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ("start", "qwen2.5-1.5b-instruct") in fake.calls, timeout=10000)
    qtbot.waitUntil(lambda: row.download.text() == "Downloading…", timeout=10000)
    assert not row.download.isEnabled()

    with qtbot.waitSignal(window.details_shown, timeout=10000):
        qtbot.mouseClick(welcome.rows["got-ocr-2"].details, Qt.MouseButton.LeftButton)
    assert window.selected_model_id() == "got-ocr-2"


def test_a_professional_license_gets_its_own_starters(open_window, tier_registry):
    window = open_window(tier_registry(Tier.PROFESSIONAL))
    assert list(window.detail.welcome.rows) == [
        "table-transformer-structure",
        "llama-3-8b",
        "got-ocr-2",
    ]


def test_a_locked_model_offers_a_license(open_window, tier_registry, qtbot, monkeypatch):
    window = open_window(tier_registry(Tier.LITE))
    window.filters.show_locked.setChecked(True)
    select(window, qtbot, "llama-3-8b")
    detail = window.detail
    assert detail.lock_banner.isVisible()
    qtbot.mouseClick(detail.get_license_button, Qt.MouseButton.LeftButton)
    assert [url.toString() for url in window.opened_urls] == [GET_LICENSE_URL]
    asked: list[str] = []
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", lambda *args, **kw: asked.append(args[1]) or ("", "")
    )
    qtbot.mouseClick(detail.load_license_button, Qt.MouseButton.LeftButton)
    assert asked == ["Load license"]


def test_getting_started_explains_and_shows_the_welcome(open_window, tier_registry, qtbot):
    window = open_window(tier_registry(Tier.LITE))
    select(window, qtbot, "got-ocr-2")
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    action = next(a for a in help_menu.actions() if a.text() == "&Getting started")
    action.trigger()
    dialog = window.findChild(GettingStartedDialog)
    qtbot.waitUntil(lambda: dialog.isVisible(), timeout=5000)
    assert "Use it for a task" in dialog.label.text()
    qtbot.waitUntil(lambda: window.detail.welcome.isVisible(), timeout=5000)
    assert window.selected_model_id() is None
    dialog.close()


def test_the_card_tab_shows_the_card_and_the_license(open_window, tier_registry, qtbot):
    window = open_window(tier_registry(Tier.LITE))
    select(window, qtbot, "layoutlmv3")
    card = window.detail.card
    assert "What it is for" in card.text() and "## " not in card.text()  # rendered
    assert "commercial use is not allowed" in card.text()
    license_text = card.license.text()
    assert 'href="https://creativecommons.org/licenses/by-nc-sa/4.0/"' in license_text
    assert "NON-COMMERCIAL" in license_text


class _Counting(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Counting.hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


def test_a_card_runs_no_html_and_fetches_nothing(open_window, paths, qtbot):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    thread = threading.Thread(target=server.serve_forever, name="card-probe")
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    _Counting.hits = []
    registry = Registry.open(paths, tier_source=lambda: Tier.LITE)
    try:
        entry = url_entry("carded", {"m.bin": (f"{base}/m.bin", b"x")})
        entry["card"] = (
            "# Carded\n\n<script>alert(1)</script>\n\n"
            f'<img src="{base}/raw.png">\n\n'
            f"![remote]({base}/markdown.png)\n\n"
            "![local](/etc/hostname)\n\n"
            f"[a link]({base}/page)"
        )
        import_entries(registry, entry)
        window = open_window(registry)
        select(window, qtbot, "carded")
        card = window.detail.card
        window.detail.tabs.setCurrentWidget(card)
        card.browser.grab()  # paint it, images included
        qtbot.wait(300)
        text = card.text()
        assert "<script>alert(1)</script>" in text  # shown as the text it is
        assert f'<img src="{base}/raw.png">' in text
        assert f"{base}/markdown.png" in card.browser.refused
        assert "/etc/hostname" in " ".join(card.browser.refused)
        assert _Counting.hits == []  # nothing was fetched
    finally:
        registry.close()
        server.shutdown()
        server.server_close()
        thread.join()
