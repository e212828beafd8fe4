"""Tools > Settings' list of download sources: shown in order, added, removed, moved and
tested (off the GUI thread), and saved with the other settings."""

from __future__ import annotations

import json
import threading

import pytest
from PySide6.QtCore import Qt

from clary_desktop.app import Registry
from clary_desktop.domain.access import Tier
from clary_desktop.gui.dialogs.settings_dialog import SettingsDialog
from clary_desktop.paths import POLICY_FILE_ENV
from clary_desktop.policy import LOCKED_WORDS
from clary_desktop.settings import Source
from tests.gui.test_settings_apply import open_dialog, save
from tests.support.hub_server import HubServer


@pytest.fixture
def registry(paths):
    registry = Registry.open(paths, tier_source=lambda: Tier.LITE)
    yield registry
    registry.close()


def rows(dialog: SettingsDialog) -> list[str]:
    shown = dialog.sources.list
    return [shown.item(i).text() for i in range(shown.count())]


def stored_sources(registry: Registry):
    return json.loads(registry.paths.settings_file.read_text(encoding="utf-8"))["sources"]


def test_the_list_shows_and_saves_added_moved_and_removed_sources(open_window, registry, qtbot):
    window = open_window(registry)
    dialog = open_dialog(window)
    editor = dialog.sources
    assert rows(dialog) == ["hub — Hugging Face Hub: the Hub endpoint set above"]
    assert not editor.remove.isEnabled()  # the only source stays

    editor.new_name.setText("corp")
    editor.new_kind.setCurrentIndex(editor.new_kind.findData("hub"))
    editor.new_url.setText("https://hf.corp.example/")
    editor.new_token.setText("corp-token")
    qtbot.mouseClick(editor.add, Qt.MouseButton.LeftButton)
    editor.new_name.setText("files")
    editor.new_kind.setCurrentIndex(editor.new_kind.findData("url"))
    editor.new_url.setText("http://files.corp.example")
    qtbot.mouseClick(editor.add, Qt.MouseButton.LeftButton)
    editor.list.setCurrentRow(1)  # corp
    qtbot.mouseClick(editor.up, Qt.MouseButton.LeftButton)
    assert rows(dialog) == [
        "corp — Hugging Face Hub: https://hf.corp.example (with token)",
        "hub — Hugging Face Hub: the Hub endpoint set above",
        "files — URL mirror: http://files.corp.example",
    ]
    assert "corp-token" not in " ".join(rows(dialog))
    save(window, qtbot, dialog)

    assert [(s["name"], s["url"], s["token"]) for s in stored_sources(registry)] == [
        ("corp", "https://hf.corp.example", "corp-token"),
        ("hub", None, None),
        ("files", "http://files.corp.example", None),
    ]
    assert [s.name for s in registry.sources()] == ["corp", "hub", "files"]

    dialog = open_dialog(window)
    editor = dialog.sources
    editor.list.setCurrentRow(1)
    qtbot.mouseClick(editor.remove, Qt.MouseButton.LeftButton)
    editor.list.setCurrentRow(1)  # files
    qtbot.mouseClick(editor.up, Qt.MouseButton.LeftButton)
    save(window, qtbot, dialog)
    assert [s["name"] for s in stored_sources(registry)] == ["files", "corp"]


def test_a_bad_source_is_refused_in_plain_words_and_not_added(open_window, registry, qtbot):
    window = open_window(registry)
    dialog = open_dialog(window)
    editor = dialog.sources
    editor.new_name.setText("files")
    editor.new_kind.setCurrentIndex(editor.new_kind.findData("url"))
    editor.new_url.setText("ftp://files.example")

    qtbot.mouseClick(editor.add, Qt.MouseButton.LeftButton)

    assert "must start with http:// or https://" in editor.note.text()
    assert len(rows(dialog)) == 1
    dialog.reject()
    assert registry.stored_settings.sources is None


def test_an_untouched_list_is_saved_as_it_was(open_window, registry, qtbot):
    window = open_window(registry)
    save(window, qtbot, open_dialog(window))
    assert stored_sources(registry) is None  # still the default Hub alone


def test_test_runs_off_the_gui_thread_and_shows_the_result(open_window, registry, qtbot):
    with HubServer() as hub:
        registry.set_sources(
            [Source(name="hub", kind="hub"), Source(name="corp", kind="hub", url=hub.endpoint)]
        )
        window = open_window(registry)
        dialog = open_dialog(window)
        editor = dialog.sources
        editor.list.setCurrentRow(1)
        threads: list[str] = []
        original = registry.test_source

        def recording(source):
            threads.append(threading.current_thread().name)
            return original(source)

        registry.test_source = recording  # type: ignore[method-assign]

        qtbot.mouseClick(editor.test, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "works" in editor.note.text(), timeout=20000)

        assert editor.note.text() == "corp: works. It answers the Hugging Face Hub API."
        assert threads and threads[0] != threading.main_thread().name
        assert editor.test.isEnabled()
        dialog.reject()


def test_a_list_the_policy_locks_shows_its_sources_disabled(
    open_window, paths, tmp_path, monkeypatch, qtbot
):
    policy = tmp_path / "policy.json"
    policy.write_text(
        json.dumps(
            {
                "settings": {
                    "sources": [{"name": "corp", "kind": "url", "url": "http://c.example"}]
                },
                "locked": ["sources"],
            }
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv(POLICY_FILE_ENV, str(policy))
    registry = Registry.open(paths, tier_source=lambda: Tier.LITE)
    try:
        window = open_window(registry)
        dialog = open_dialog(window)

        assert rows(dialog) == ["corp — URL mirror: http://c.example"]
        assert not dialog.sources.isEnabled()
        assert dialog.sources.toolTip() == LOCKED_WORDS
        save(window, qtbot, dialog)
        assert registry.stored_settings.sources is None  # the policy's list is never saved
        assert [s.name for s in registry.sources()] == ["corp"]
    finally:
        registry.close()
