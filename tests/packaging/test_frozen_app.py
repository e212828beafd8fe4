"""The installer-packaged program, built with PyInstaller and run as a user would.

The one-folder app is built once per test run (a few minutes on two cores) by the
session fixture below; `CLARY_PACKAGING_DIST=dist` reuses an existing `make package`
output instead. Every run happens in an environment without the development set-up:
no virtualenv, no PYTHONPATH, a fresh HOME, no locale.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.licenses import Signer

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(1500)]

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "packaging" / "clary-desktop.spec"
PREBUILT = os.environ.get("CLARY_PACKAGING_DIST")
BUILD_TIMEOUT_S = 1200


def _pyinstaller() -> list[str]:
    if shutil.which("pyinstaller", path=str(Path(sys.executable).parent)) is None:
        try:
            import PyInstaller  # noqa: F401
        except ImportError:
            pytest.fail(
                "PyInstaller is not installed: `pip install -e .[package]` "
                "(or run `make test-packaging`)"
            )
    return [sys.executable, "-m", "PyInstaller"]


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding `clary-desktop/` (the one-folder build) and the .tar.gz of it."""
    if PREBUILT:
        folder = Path(PREBUILT).resolve()
        assert (folder / "clary-desktop" / "clary-desktop").is_file(), folder
    else:
        folder = tmp_path_factory.mktemp("dist")
        work = tmp_path_factory.mktemp("pyinstaller-work")
        result = subprocess.run(
            [
                *_pyinstaller(),
                "--noconfirm",
                "--log-level",
                "WARN",
                "--distpath",
                str(folder),
                "--workpath",
                str(work),
                str(SPEC),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_S,
        )
        assert result.returncode == 0, result.stderr[-6000:]
    if not list(folder.glob("clary-desktop-*.tar.gz")):
        result = subprocess.run(
            [
                sys.executable,
                str(ROOT / "packaging" / "linux" / "make_tarball.py"),
                "--dist",
                str(folder),
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, result.stderr
    return folder


@pytest.fixture(scope="session")
def app_dir(dist: Path) -> Path:
    return dist / "clary-desktop"


@pytest.fixture
def user_env(tmp_path: Path) -> dict[str, str]:
    """A user's environment on a machine without Python: no venv, no locale, empty HOME."""
    home = tmp_path / "user-home"
    home.mkdir()
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "CLARY_POLICY_FILE": str(tmp_path / "no-policy.json"),  # not the machine's policy
    }


def run(
    app_dir: Path, program: str, *args: str, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(app_dir / program), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=env["HOME"],
    )


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_version(app_dir: Path, user_env: dict[str, str]) -> None:
    from clary_desktop import __version__

    for program in ("clary-desktop", "clary-models"):
        result = run(app_dir, program, "--version", env=user_env)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"{program} {__version__}"
        assert result.stderr == ""


def test_self_test_passes_with_empty_stderr(app_dir: Path, user_env: dict[str, str]) -> None:
    result = run(app_dir, "clary-desktop", "--self-test", env=user_env)
    assert result.stderr == ""
    assert result.returncode == 0, result.stdout
    assert "frozen" in result.stdout
    assert "window shown" in result.stdout
    assert "self-test passed" in result.stdout
    # It worked in a temporary folder: nothing in the user's home.
    assert files_under(Path(user_env["HOME"])) == []


def test_self_test_on_a_utf8_locale_too(app_dir: Path, user_env: dict[str, str]) -> None:
    result = run(
        app_dir,
        "clary-desktop",
        "--self-test",
        env={**user_env, "LANG": "C.UTF-8", "QT_QPA_PLATFORM": "offscreen"},
    )
    assert (result.returncode, result.stderr) == (0, "")


def test_bundled_cli_lists_the_catalog(
    app_dir: Path, user_env: dict[str, str], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    result = run(app_dir, "clary-models", "--data-dir", str(data), "list", "--json", env=user_env)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    listing = json.loads(result.stdout)
    assert listing["user_tier"] == "lite"
    assert listing["count"] >= 1
    assert {m["tier"] for m in listing["models"]} == {"lite"}
    assert (data / "catalog.db").is_file()
    assert files_under(Path(user_env["HOME"])) == []


def test_frozen_app_ignores_development_license_keys(
    app_dir: Path, user_env: dict[str, str], tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    signer = Signer(kid="dev-packaging-test")
    keys = tmp_path / "devkeys"
    signer.write_public(keys)
    license_file = tmp_path / "pro.json"
    license_file.write_bytes(
        signer.license(
            tier="professional",
            issued_at=now - timedelta(days=1),
            expires_at=now + timedelta(days=30),
        )
    )
    args = ("--data-dir", str(tmp_path / "data"), "--license", str(license_file), "list", "--json")
    env = {**user_env, "CLARY_DEV_LICENSE_KEYS": str(keys)}

    # The same key and license make a source checkout professional...
    source = subprocess.run(
        [sys.executable, "-m", "clary_desktop.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, **env},
    )
    assert source.returncode == 0, source.stderr
    assert json.loads(source.stdout)["user_tier"] == "professional"

    # ...but the frozen build trusts only the keys it ships.
    frozen = run(app_dir, "clary-models", *args, env=env)
    assert frozen.returncode == 0, frozen.stderr
    assert json.loads(frozen.stdout)["user_tier"] == "lite"
    shown = run(
        app_dir,
        "clary-models",
        "--data-dir",
        str(tmp_path / "data"),
        "--license",
        str(license_file),
        "license",
        "show",
        "--json",
        env=env,
    )
    assert json.loads(shown.stdout)["tier"] == "lite", shown.stdout


def test_frozen_app_ignores_another_resources_folder(
    app_dir: Path, user_env: dict[str, str], tmp_path: Path
) -> None:
    """A copy of resources/ whose keys/ holds an attacker's key, and whose catalog makes
    every model lite: a source checkout may use it (tests do), a frozen build never."""
    now = datetime.now(UTC)
    signer = Signer(kid="attacker")
    forged = tmp_path / "forged"
    shutil.copytree(ROOT / "resources", forged)
    shutil.rmtree(forged / "keys")
    signer.write_public(forged / "keys")
    catalog = json.loads((forged / "catalog" / "default.json").read_text())
    shipped_tiers = {entry["id"]: entry["tier"] for entry in catalog["models"]}
    assert set(shipped_tiers.values()) != {"lite"}
    for entry in catalog["models"]:
        entry["tier"] = "lite"
    (forged / "catalog" / "default.json").write_text(json.dumps(catalog))
    license_file = tmp_path / "pro.json"
    license_file.write_bytes(
        signer.license(
            tier="professional",
            issued_at=now - timedelta(days=1),
            expires_at=now + timedelta(days=30),
        )
    )
    env = {**user_env, "CLARY_RESOURCES_DIR": str(forged)}
    data = tmp_path / "data"

    shown = run(
        app_dir,
        "clary-models",
        "--data-dir",
        str(data),
        "--license",
        str(license_file),
        "license",
        "show",
        "--json",
        env=env,
    )
    status = json.loads(shown.stdout)
    assert (status["tier"], status["state"]) == ("lite", "invalid"), shown.stdout
    listed = run(
        app_dir,
        "clary-models",
        "--data-dir",
        str(data),
        "list",
        "--tier",
        "professional",
        "--json",
        env=env,
    )
    assert listed.returncode == 0, listed.stderr
    tiers = {m["id"]: m["tier"] for m in json.loads(listed.stdout)["models"]}
    assert tiers == shipped_tiers


def test_frozen_app_ignores_python_environment_variables(
    app_dir: Path, user_env: dict[str, str], tmp_path: Path
) -> None:
    """PYTHONPATH and friends cannot slip code into the frozen program."""
    planted = tmp_path / "planted"
    planted.mkdir()
    marker = tmp_path / "ran"
    code = f"open({str(marker)!r}, 'w').close()\n"
    for name in ("sitecustomize.py", "usercustomize.py", "startup.py"):
        (planted / name).write_text(code)
    (planted / "clary_desktop").mkdir()
    (planted / "clary_desktop" / "__init__.py").write_text(code)
    env = {
        **user_env,
        "PYTHONPATH": str(planted),
        "PYTHONSTARTUP": str(planted / "startup.py"),
        "PYTHONUSERBASE": str(planted),
        "PYTHONINSPECT": "1",
    }
    result = run(app_dir, "clary-models", "--version", env=env)
    assert result.returncode == 0, result.stderr
    assert not marker.exists()


def test_window_without_a_display_says_why(app_dir: Path, user_env: dict[str, str]) -> None:
    """No display (an ssh login, a server): one plain message and status 1, not abort()."""
    result = run(app_dir, "clary-desktop", env={**user_env, "QT_QPA_PLATFORM": "xcb"})
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert "DISPLAY is not set" in result.stderr and "QT_QPA_PLATFORM=offscreen" in result.stderr
    assert "Traceback" not in result.stderr and "Aborted" not in result.stderr


def test_unused_qt_modules_are_left_out(app_dir: Path) -> None:
    names = "\n".join(files_under(app_dir))
    for unused in (
        "Qt6Qml",
        "Qt6Quick",
        "Qt6WebEngine",
        "Qt6Multimedia",
        "Qt6Charts",
        "Qt63D",
        "Qt6Pdf",
        "Qt6Designer",
        "QtQml.abi3",
        "QtQuick.abi3",
    ):
        assert unused not in names, unused
    assert "platforms/libqoffscreen.so" in names  # --self-test on a headless machine
    assert "platforms/libqxcb.so" in names
    assert "imageformats/libqsvg.so" in names


def test_resources_are_bundled(app_dir: Path) -> None:
    resources = app_dir / "_internal" / "resources"
    assert (resources / "catalog" / "default.json").is_file()
    assert list((resources / "keys").glob("*.pub"))
    assert (resources / "icons" / "clary-desktop.svg").is_file()
    assert (resources / "desktop" / "clary-desktop.desktop").is_file()


def test_tarball_installs_for_the_user(
    dist: Path, user_env: dict[str, str], tmp_path: Path
) -> None:
    (tarball,) = dist.glob("clary-desktop-*-linux-*.tar.gz")
    unpacked = tmp_path / "unpacked"
    with tarfile.open(tarball) as archive:
        archive.extractall(unpacked, filter="tar")
    (top,) = unpacked.iterdir()
    home = Path(user_env["HOME"])
    install = subprocess.run(
        ["sh", str(top / "install.sh")], capture_output=True, text=True, env=user_env, timeout=300
    )
    assert install.returncode == 0, install.stderr
    # The installer names the X11 packages the window lacks, as the program itself does.
    check = run(
        top, "clary-desktop", "--check-libraries", env={**user_env, "QT_QPA_PLATFORM": "xcb"}
    )
    if check.returncode:
        assert "sudo apt-get install" in check.stderr
        assert check.stderr.strip() in install.stderr
    else:
        assert "Install the packages above" not in install.stderr
    share = home / ".local" / "share"
    desktop = share / "applications" / "clary-desktop.desktop"
    target = home / ".local" / "opt" / "clary-desktop"
    assert f"Exec={target}/clary-desktop" in desktop.read_text()
    assert (share / "metainfo" / "ai.clary.ClaryDesktop.metainfo.xml").is_file()
    assert (share / "mime" / "packages" / "clary-desktop.xml").is_file()
    assert (share / "icons" / "hicolor" / "scalable" / "apps" / "clary-desktop.svg").is_file()
    for size in (16, 32, 48, 64, 128, 256, 512):
        assert (
            share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "clary-desktop.png"
        ).is_file()
    version = subprocess.run(
        [str(home / ".local" / "bin" / "clary-models"), "--version"],
        capture_output=True,
        text=True,
        env=user_env,
        timeout=60,
    )
    assert version.returncode == 0, version.stderr

    uninstall = subprocess.run(
        ["sh", str(target / "install.sh"), "--uninstall"],
        capture_output=True,
        text=True,
        env=user_env,
        timeout=120,
    )
    assert uninstall.returncode == 0, uninstall.stderr
    assert not target.exists()
    assert not desktop.exists()
    assert not (share / "mime" / "packages" / "clary-desktop.xml").exists()
    assert not (home / ".local" / "bin" / "clary-desktop").exists()


def test_python_modules_are_plain_files_for_a_quicker_start(app_dir: Path) -> None:
    """Modules unpacked from an archive inside each program made every start slower
    (packaging/clary-desktop.spec, `noarchive`); the shared folder holds them as .pyc."""
    internal = app_dir / "_internal"
    for module in ("clary_desktop/cli/main.pyc", "clary_desktop/app/registry.pyc"):
        assert (internal / module).is_file(), module
    assert (internal / "sqlalchemy" / "__init__.pyc").is_file()
    assert not list(internal.rglob("clary_desktop/**/*.py")), "sources are not shipped"
