"""Files that are not files: /dev/zero reads forever, opening a FIFO waits for a writer.

Every command that reads a file a user names (or could have replaced) refuses both at
once, with a message naming the file, and changes nothing. The subprocess timeout is
what a hang would hit; a fix answers in about a second.
"""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import CliRunner
from tests.support import cli as cli_support
from tests.support.db_state import dump
from tests.support.licenses import Signer

pytestmark = pytest.mark.skipif(
    not (hasattr(os, "mkfifo") and Path("/dev/zero").exists()), reason="needs FIFOs, /dev/zero"
)
# A hang ends here instead of blocking the suite; far above a normal run, even on a busy CI.
HANG = 90
ZERO = Path("/dev/zero")


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.json"
    os.mkfifo(path)
    return path


def one_line_error(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
    for text in expected:
        assert text in result.stderr, result.stderr


def test_catalog_import_and_sync_refuse_a_device_and_a_pipe(
    cli: CliRunner, data_dir: Path, fifo: Path
) -> None:
    assert cli("list").returncode == 0
    before = dump(data_dir / "catalog.db")
    for path, kind in ((ZERO, "is a device"), (fifo, "is a named pipe (FIFO)")):
        one_line_error(
            cli("catalog", "import", str(path), timeout=HANG),
            f"{path}: {kind}, not a regular file; give the path of a manifest file",
        )
        one_line_error(
            cli("catalog", "sync", "--from", str(path), "--allow-unsigned", timeout=HANG),
            f"{path}: {kind}, not a regular file",
        )
    assert dump(data_dir / "catalog.db") == before


def test_license_install_and_license_option_refuse_a_device_and_a_pipe(
    data_dir: Path, tmp_path: Path, fifo: Path
) -> None:
    signer = Signer(kid="dev-special-files")
    signer.write_public(tmp_path / "keys")
    now = datetime.now(UTC)
    good = tmp_path / "good.json"
    good.write_bytes(
        signer.license(issued_at=now - timedelta(days=1), expires_at=now + timedelta(days=30))
    )
    env = cli_support.clean_env(CLARY_DEV_LICENSE_KEYS=str(tmp_path / "keys"))

    def models(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return cli_support.run("clary-models", "--data-dir", data_dir, *args, env=env, timeout=HANG)

    assert models("license", "install", good).returncode == 0
    installed = data_dir / "license.json"
    state_before = (data_dir / "license-state.json").read_bytes()

    for path, kind in ((ZERO, "is a device"), (fifo, "is a named pipe (FIFO)")):
        one_line_error(
            models("license", "install", path),
            f"{path} was not installed: Cannot read the license file {path}: it {kind}",
            "The current license is unchanged.",
        )
        assert installed.read_bytes() == good.read_bytes()

        for how in (("--license", str(path)), ()):
            run_env = env if how else {**env, "CLARY_LICENSE_FILE": str(path)}
            shown = cli_support.run(
                "clary-models", "--data-dir", data_dir, *how, "license", "show", "--json",
                env=run_env, timeout=HANG,
            )  # fmt: skip
            assert shown.returncode == 0, shown.stderr
            status = json.loads(shown.stdout)
            assert (status["state"], status["tier"], status["reason_code"]) == (
                "invalid",
                "lite",
                "unreadable",
            )
            assert f"it {kind}, not a regular file" in status["reason"]
    assert (data_dir / "license-state.json").read_bytes() == state_before
    assert json.loads(models("license", "show", "--json").stdout)["tier"] == "professional"


def test_settings_and_license_state_that_are_not_files(
    cli: CliRunner, data_dir: Path, tmp_path: Path
) -> None:
    """The program's own small files, replaced by a pipe or a link to /dev/zero."""
    assert cli("list").returncode == 0
    settings = data_dir / "settings.json"
    for make in (lambda p: os.mkfifo(p), lambda p: p.symlink_to(ZERO)):
        settings.unlink(missing_ok=True)
        make(settings)
        one_line_error(
            cli("list", timeout=HANG),
            f"The settings file {settings} cannot be read: it is a",
            "Fix it or delete it to go back to the defaults.",
        )
    settings.unlink()

    state = data_dir / "license-state.json"
    for make in (lambda p: os.mkfifo(p), lambda p: p.symlink_to(ZERO)):
        state.unlink(missing_ok=True)
        make(state)
        result = cli("license", "show", "--json", timeout=HANG)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["state"] == "none"


def test_clary_catalog_sign_refuses_a_device_and_a_pipe(tmp_path: Path, fifo: Path) -> None:
    signer = Signer(kid="dev-sign")
    key = signer.write_private(tmp_path / "keys")
    for path, kind in ((ZERO, "is a device"), (fifo, "is a named pipe (FIFO)")):
        for args in (
            ("--key", str(key), "--in", str(path)),
            ("--key", str(path), "--in", str(key)),
        ):
            result = cli_support.run(
                "clary-catalog", "sign", *args, "--out", tmp_path / "out.json",
                "--sequence", "1", timeout=HANG,
            )  # fmt: skip
            one_line_error(result, f"{path}: {kind}, not a regular file")
    assert not (tmp_path / "out.json").exists()


def test_a_catalog_database_that_is_not_a_file_is_refused(
    cli: CliRunner, data_dir: Path, tmp_path: Path
) -> None:
    """SQLite would wait on a pipe for ever; the program stops at once and says so."""
    data_dir.mkdir()
    db_file = data_dir / "catalog.db"
    for make, kind in (
        (lambda p: os.mkfifo(p), "is a named pipe (FIFO)"),
        (lambda p: p.symlink_to(ZERO), "is a device"),
    ):
        db_file.unlink(missing_ok=True)
        make(db_file)
        one_line_error(
            cli("list", timeout=HANG),
            f"The catalog database {db_file} {kind}, not a regular file. Move it away",
        )
        assert not db_file.is_file()
    assert sorted(p.name for p in data_dir.iterdir() if p.name != "logs") == ["catalog.db"]
