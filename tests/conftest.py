"""Fixtures every suite shares: a private data dir and the real CLI in a subprocess."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from clary_desktop.app import Registry
from clary_desktop.paths import AppPaths, resolve_paths
from tests.support import cli as cli_support


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test may read or write the real user's folders or the machine's policy, or reach
    the real Hub."""
    for name in (
        "CLARY_DATA_DIR",
        "CLARY_DATABASE_URL",
        "CLARY_LICENSE_FILE",
        "CLARY_DEV_LICENSE_KEYS",
        "CLARY_CATALOG_URL",
        "CLARY_OFFLINE",
        "HF_ENDPOINT",
        "HF_TOKEN",
        # The machine's proxy and its password: a test chooses its own (test_corporate_proxy).
        "CLARY_PROXY_PASSWORD",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "no_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    # Nor the machine's policy file: a test that wants one writes it and points here.
    monkeypatch.setenv("CLARY_POLICY_FILE", str(cli_support.NO_POLICY_FILE))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / ".local" / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "home" / ".local" / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home" / ".cache"))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def paths(data_dir: Path) -> AppPaths:
    return resolve_paths(data_dir)


@pytest.fixture
def registry(paths: AppPaths) -> Iterator[Registry]:
    reg = Registry.open(paths)
    yield reg
    reg.close()


CliRunner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(data_dir: Path) -> CliRunner:
    """`cli("list", "--json")` runs `clary-models --data-dir <tmp> list --json`."""

    def run(
        *args: str, env: dict[str, str] | None = None, **kwargs
    ) -> subprocess.CompletedProcess[str]:
        return cli_support.run(
            "clary-models",
            "--data-dir",
            data_dir,
            *args,
            env=env if env is not None else cli_support.clean_env(),
            **kwargs,
        )

    return run
