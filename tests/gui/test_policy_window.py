"""Tools > Settings under an administrator's policy: locked settings show the policy's
value, disabled, "Set by your administrator"; saving keeps the user's own values in the
file while the policy's stay in force; a broken policy is shown at start."""

from __future__ import annotations

import json

import pytest
from PySide6.QtWidgets import QLineEdit, QMessageBox, QSpinBox

from clary_desktop.app import Registry
from clary_desktop.domain.access import Tier
from clary_desktop.gui.dialogs.settings_dialog import SettingsDialog
from clary_desktop.paths import POLICY_FILE_ENV
from clary_desktop.policy import LOCKED_WORDS, Policy
from clary_desktop.settings import Settings, save_settings
from tests.gui.test_settings_apply import open_dialog, save, stored

POLICY = {
    "settings": {
        "offline": True,
        "proxy": "http://proxy.corp:3128",
        "models_dir": "/srv/company-models",
        "api_host": "127.0.0.1",
        "concurrent_downloads": 4,
    },
    "locked": ["offline", "proxy", "models_dir", "api_host"],
}
MINE = Settings(offline=False, proxy="http://mine.example:8080", api_host="0.0.0.0")


def open_registry(paths, tmp_path, monkeypatch, policy_text: str) -> Registry:
    policy_file = tmp_path / "policy.json"
    policy_file.write_text(policy_text, encoding="utf-8")
    monkeypatch.setenv(POLICY_FILE_ENV, str(policy_file))
    save_settings(paths.settings_file, MINE)
    return Registry.open(paths, tier_source=lambda: Tier.LITE)


@pytest.fixture
def registry(paths, tmp_path, monkeypatch):
    registry = open_registry(paths, tmp_path, monkeypatch, json.dumps(POLICY))
    yield registry
    registry.close()


def test_locked_settings_are_disabled_shown_as_the_policy_says_and_never_saved(
    open_window, registry, qtbot
):
    window = open_window(registry)
    dialog = open_dialog(window)
    locked = {
        "offline": [dialog.offline],
        "proxy": [dialog.proxy],
        "models_dir": [dialog.models_dir, dialog.browse],
        "api_host": [dialog.api_host],
    }
    for name, widgets in locked.items():
        assert dialog.field_widgets()[name][: len(widgets)] == widgets
        for widget in widgets:
            assert not widget.isEnabled(), name
            assert widget.toolTip() == LOCKED_WORDS, name
    assert dialog.offline.isChecked()
    assert dialog.proxy.text() == "http://proxy.corp:3128"
    assert dialog.models_dir.text() == "/srv/company-models"
    assert dialog.concurrent.isEnabled() and dialog.concurrent.value() == 2  # the user's
    assert not dialog.policy_note.isHidden()
    assert f'"{LOCKED_WORDS}"' in dialog.policy_note.text()

    # Switching the API on enables its port, never the locked address.
    dialog.api_enabled.setChecked(True)
    assert dialog.api_port.isEnabled() and not dialog.api_host.isEnabled()
    dialog.api_enabled.setChecked(False)

    dialog.concurrent.setValue(6)
    save(window, qtbot, dialog)
    saved = stored(registry)
    assert saved["concurrent_downloads"] == 6
    assert (saved["offline"], saved["proxy"]) == (False, "http://mine.example:8080")
    assert (saved["models_dir"], saved["api_host"]) == (None, "0.0.0.0")
    assert registry.settings.offline and registry.settings.proxy == "http://proxy.corp:3128"
    assert registry.downloads.settings.proxy == "http://proxy.corp:3128"
    assert registry.downloads.settings.concurrent_downloads == 6
    assert window.status.online_label.text() == "○ Offline"

    reopened = open_dialog(window)  # and the next time, still the policy's values shown
    assert reopened.concurrent.value() == 6 and reopened.offline.isChecked()
    assert not reopened.offline.isEnabled()


@pytest.fixture
def broken_registry(paths, tmp_path, monkeypatch):
    registry = open_registry(paths, tmp_path, monkeypatch, '{"settings": {"proxy": 3128}}')
    yield registry
    registry.close()


def test_a_broken_policy_is_shown_at_start_and_locks_every_setting(
    open_window, broken_registry, qtbot
):
    window = open_window(broken_registry)
    problem = broken_registry.policy.problem_text()
    assert '"proxy": input should be a valid string (found 3128)' in problem
    qtbot.waitUntil(lambda: bool(window.findChildren(QMessageBox, "errorBox")), timeout=10000)
    [box] = window.findChildren(QMessageBox, "errorBox")
    assert box.text() == problem
    box.close()

    dialog = open_dialog(window)
    assert dialog.policy_note.text() == problem
    for name, widgets in dialog.field_widgets().items():
        assert all(not w.isEnabled() for w in widgets), name
    assert dialog.proxy.text() == "http://mine.example:8080"  # the user's, not the file's
    assert dialog.offline.isChecked() and not dialog.api_enabled.isChecked()
    dialog.reject()


def test_a_widget_named_after_a_setting_is_locked_with_no_more_code(qtbot, tmp_path):
    """How a new setting's widget (say a CA bundle or a list of sources) gets its lock: by
    its object name, the setting's name or that name in camelCase."""

    class Extended(SettingsDialog):
        def field_widgets(self):
            if not hasattr(self, "extra"):  # made before the locks are set, as a new row is
                self.extra = QLineEdit(self)
                self.extra.setObjectName("downloadStallSeconds")
                self.kept = QSpinBox(self)
                self.kept.setObjectName("part_threshold_bytes")
            return super().field_widgets()

    policy = Policy(
        source=tmp_path / "policy.json",
        values={"download_stall_seconds": 60.0},
        locked=frozenset({"download_stall_seconds"}),
    )
    dialog = Extended(Settings(), str(tmp_path / "models"), policy=policy)
    qtbot.addWidget(dialog)
    widgets = dialog.field_widgets()
    assert widgets["download_stall_seconds"] == [dialog.extra]
    assert widgets["part_threshold_bytes"] == [dialog.kept]
    assert not dialog.extra.isEnabled() and dialog.extra.toolTip() == LOCKED_WORDS
    assert dialog.kept.isEnabled() and dialog.kept.toolTip() == ""


def test_locks_on_resume_versions_kept_and_catalog_address(qtbot, tmp_path):
    """The new fields are locked by their names alone, show the policy's value, and a
    save keeps the user's own."""
    mine = Settings(resume_on_start=False, keep_previous_versions=3, catalog_url=None)
    policy = Policy(
        source=tmp_path / "policy.json",
        values={
            "resume_on_start": True,
            "keep_previous_versions": 0,
            "catalog_url": "https://catalog.corp/c.json",
        },
        locked=frozenset({"resume_on_start", "keep_previous_versions", "catalog_url"}),
    )
    dialog = SettingsDialog(mine, str(tmp_path / "models"), policy=policy)
    qtbot.addWidget(dialog)
    for name, widget in (
        ("resume_on_start", dialog.resume_on_start),
        ("keep_previous_versions", dialog.keep_previous),
        ("catalog_url", dialog.catalog_url),
    ):
        assert dialog.field_widgets()[name] == [widget], name
        assert not widget.isEnabled() and widget.toolTip() == LOCKED_WORDS, name
    assert dialog.resume_on_start.isChecked()
    assert dialog.keep_previous.value() == 0
    assert dialog.catalog_url.text() == "https://catalog.corp/c.json"
    chosen = dialog.chosen()
    assert (chosen.resume_on_start, chosen.keep_previous_versions, chosen.catalog_url) == (
        False,
        3,
        None,
    )
