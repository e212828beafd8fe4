"""The test "keychain" (test_keyring/clary_test_keyring.py) for this process and for the
CLI processes a test starts."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import keyring.core
import pytest

KEYRING_DIR = Path(__file__).parent / "test_keyring"
if str(KEYRING_DIR) not in sys.path:
    sys.path.insert(0, str(KEYRING_DIR))

import clary_test_keyring  # noqa: E402  (found through KEYRING_DIR, as the CLI finds it)


def use_test_keychain(monkeypatch: pytest.MonkeyPatch, available: bool = True) -> None:
    """Every keychain call of this test, here and in the CLI it runs, goes to a JSON file
    in the test's own folder (or, with `available=False`, fails as on a computer
    without a keychain)."""
    backend = "FileKeyring" if available else "NoKeyring"
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", f"clary_test_keyring.{backend}")
    monkeypatch.setenv(
        "PYTHONPATH",
        os.pathsep.join(filter(None, [str(KEYRING_DIR), os.environ.get("PYTHONPATH")])),
    )
    # keyring keeps the backend it chose in keyring.core: swapped for this test only.
    monkeypatch.setattr(keyring.core, "_keyring_backend", getattr(clary_test_keyring, backend)())
