"""A keyring backend for the tests: a JSON file under $XDG_DATA_HOME (a private temporary
folder in every test), so the test process and the CLI it starts share one "keychain"
and the user's real keychain is never touched. Chosen with
PYTHON_KEYRING_BACKEND=clary_test_keyring.FileKeyring and this folder on PYTHONPATH
(see tests.support.keychain)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


def _path() -> Path:
    return Path(os.environ["XDG_DATA_HOME"]) / "clary-test-keyring.json"


def _read() -> dict[str, str]:
    path = _path()
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _write(entries: dict[str, str]) -> None:
    path = _path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(entries), encoding="utf-8")


class FileKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        return _read().get(f"{service}\n{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        entries = _read()
        entries[f"{service}\n{username}"] = password
        _write(entries)

    def delete_password(self, service: str, username: str) -> None:
        entries = _read()
        if entries.pop(f"{service}\n{username}", None) is None:
            raise PasswordDeleteError("no such password")
        _write(entries)


class NoKeyring(KeyringBackend):
    """A computer without a keychain: every operation fails as keyring's own 'fail'
    backend does."""

    priority = 0  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        from keyring.errors import NoKeyringError

        raise NoKeyringError("No recommended backend was available.")

    set_password = delete_password = get_password  # type: ignore[assignment]
