"""Tools > Settings: the proxy, its user and password, hosts without the proxy and the
company's certificates. The password goes to the keychain, never into settings.json; a
CA bundle that is no PEM file keeps the dialog open with the reason."""

from __future__ import annotations

import json

import pytest

from clary_desktop.app import Registry
from clary_desktop.domain.access import Tier
from clary_desktop.gui.dialogs.settings_dialog import SettingsDialog
from tests.support.keychain import use_test_keychain
from tests.support.test_ca import TestCA


@pytest.fixture
def registry(paths):
    registry = Registry.open(paths, tier_source=lambda: Tier.LITE)
    yield registry
    registry.close()


def open_dialog(window) -> SettingsDialog:
    window.settings_actions.settings_dialog()
    [dialog] = [d for d in window.findChildren(SettingsDialog) if d.isVisible()]
    return dialog


def test_proxy_user_password_and_company_certificates_are_saved_apart(
    open_window, registry, qtbot, tmp_path, monkeypatch
) -> None:
    use_test_keychain(monkeypatch)
    ca = TestCA(tmp_path / "ca")
    window = open_window(registry)

    dialog = open_dialog(window)
    assert "system keychain" in dialog.password_note.text()
    dialog.proxy.setText("http://proxy.corp.example:3128")
    dialog.proxy_user.setText("alice")
    dialog.proxy_password.setText("keychain-only-secret")
    dialog.no_proxy.setText("mirror.corp.example")
    dialog.ca_bundle.setText(str(ca.pem))
    with qtbot.waitSignal(
        window.message_shown,
        timeout=10000,
        check_params_cb=lambda text: text.startswith("Settings saved"),
    ):
        dialog.accept()
    assert "system keychain" in window.last_message

    saved = json.loads(registry.paths.settings_file.read_text(encoding="utf-8"))
    assert saved["proxy"] == "http://proxy.corp.example:3128"
    assert (saved["proxy_user"], saved["no_proxy"]) == ("alice", "mirror.corp.example")
    assert saved["ca_bundle"] == str(ca.pem)
    assert "keychain-only-secret" not in registry.paths.settings_file.read_text()
    config = registry.network_config()
    assert config.proxy_password == "keychain-only-secret"
    assert config.proxy_for("https://huggingface.co/x") == (
        "http://alice:keychain-only-secret@proxy.corp.example:3128"
    )
    assert config.proxy_for("https://mirror.corp.example/x") is None

    dialog = open_dialog(window)  # shows what is stored, never the password
    assert dialog.proxy_user.text() == "alice" and dialog.proxy_password.text() == ""
    dialog.reject()


def test_a_bad_ca_bundle_keeps_the_dialog_open_with_the_reason(
    open_window, registry, tmp_path
) -> None:
    bad = tmp_path / "root.cer"
    bad.write_bytes(b"\x30\x82\x01\x0a binary DER, not PEM")
    window = open_window(registry)
    dialog = open_dialog(window)
    dialog.ca_bundle.setText(str(bad))
    dialog.accept()
    assert dialog.isVisible()
    assert "holds no PEM certificate" in dialog.error.text()
    assert registry.stored_settings.ca_bundle is None

    dialog.ca_bundle.setText("")
    dialog.proxy.setText("http://u:p@proxy.corp.example:3128")
    dialog.accept()
    assert dialog.isVisible()
    assert "must not carry a user name or password" in dialog.error.text()
    dialog.reject()
