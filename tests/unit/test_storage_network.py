"""The network probe and offline mode (CLARY_OFFLINE and the setting)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from clary_desktop.settings import RunOverrides, Settings, load_settings, save_settings
from clary_desktop.storage.network import is_online, network_allowed, probe


def test_is_online_sees_a_listening_port_and_a_closed_one() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert is_online(f"http://127.0.0.1:{port}", timeout=2)
    assert not is_online(f"http://127.0.0.1:{port}", timeout=2)


def test_offline_mode_never_probes(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("offline mode touched the network")

    monkeypatch.setattr(socket, "create_connection", refuse)
    assert not probe(Settings(offline=True), "http://127.0.0.1:9")
    monkeypatch.setenv("CLARY_OFFLINE", "1")
    assert not network_allowed(Settings())
    assert not probe(Settings(), "http://127.0.0.1:9")


def test_clary_offline_overrides_the_file_but_is_never_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "settings.json"
    save_settings(path, Settings(offline=False))
    monkeypatch.setenv("CLARY_OFFLINE", "1")
    overrides = RunOverrides.from_environment()
    assert overrides.apply(load_settings(path)).offline
    assert not load_settings(path).offline  # what is stored stays the user's choice
    assert overrides.notes() == ["CLARY_OFFLINE=1 keeps this run offline, whatever is saved here."]
    monkeypatch.delenv("CLARY_OFFLINE")
    assert not RunOverrides.from_environment().apply(load_settings(path)).offline
