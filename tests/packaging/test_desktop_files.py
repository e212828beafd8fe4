"""Fast checks of the packaging sources (no build): desktop file, AppStream metadata,
icons, the install script and the self-test from a source checkout."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from clary_desktop import APP_SLUG, __version__

ROOT = Path(__file__).resolve().parents[2]
DESKTOP = ROOT / "resources" / "desktop" / f"{APP_SLUG}.desktop"
METAINFO = ROOT / "resources" / "desktop" / "ai.clary.ClaryDesktop.metainfo.xml"
ICONS = ROOT / "resources" / "icons"


def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string(DESKTOP.read_text(encoding="utf-8"))
    return parser["Desktop Entry"]


def test_desktop_file_names_the_program_and_its_icon() -> None:
    entry = desktop_entry()
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Clary Desktop"
    assert entry["Exec"].split()[0] == APP_SLUG
    assert entry["Icon"] == APP_SLUG
    assert entry["StartupWMClass"] == APP_SLUG  # QGuiApplication.setDesktopFileName
    assert entry["Terminal"] == "false"
    assert entry["Categories"].endswith(";")


def test_license_files_open_in_the_program() -> None:
    """Double-clicking a .clarylicense file runs `clary-desktop FILE`, which uses it."""
    import xml.etree.ElementTree as ET

    from clary_desktop.gui.app import build_parser

    entry = desktop_entry()
    assert entry["Exec"] == f"{APP_SLUG} %f"
    assert entry["MimeType"] == "application/x-clary-license;"
    mime = ET.parse(DESKTOP.with_name(f"{APP_SLUG}-mime.xml")).getroot()
    ns = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    mime_type = mime.find("m:mime-type", ns)
    assert mime_type is not None and mime_type.get("type") == "application/x-clary-license"
    assert [g.get("pattern") for g in mime_type.findall("m:glob", ns)] == ["*.clarylicense"]
    args = build_parser().parse_args(["/home/u/Downloads/acme.clarylicense"])
    assert args.license_file == "/home/u/Downloads/acme.clarylicense" and args.license is None


def validator(program: str, package: str) -> str:
    """The validator's path. Without it the test skips, except in CI (.ci/run installs
    it and sets CLARY_REQUIRE_VALIDATORS=1), where a missing validator is a failure."""
    found = shutil.which(program)
    if found is None:
        if os.environ.get("CLARY_REQUIRE_VALIDATORS") == "1":
            pytest.fail(f"{program} is required here: install the {package} package")
        pytest.skip(f"{program} ({package}) is not installed")
    return found


def test_desktop_file_validates() -> None:
    tool = validator("desktop-file-validate", "desktop-file-utils")
    result = subprocess.run([tool, str(DESKTOP)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error" not in result.stdout


def test_metainfo_matches_the_program() -> None:
    root = ET.parse(METAINFO).getroot()
    assert root.tag == "component"
    assert root.get("type") == "desktop-application"
    assert root.findtext("id") == "ai.clary.ClaryDesktop"
    assert root.findtext("launchable") == DESKTOP.name
    assert {b.text for b in root.iter("binary")} == {"clary-desktop", "clary-models"}
    releases = [r.get("version") for r in root.iter("release")]
    assert releases and releases[0] == __version__, "add a <release> for the new version"


def test_metainfo_validates() -> None:
    tool = validator("appstreamcli", "appstream")
    result = subprocess.run(
        [tool, "validate", "--no-net", str(METAINFO)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_icons_are_rendered_from_the_svg_and_up_to_date() -> None:
    """The committed PNG/ICO/ICNS files are exactly what scripts/render_icons.py makes."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "render_icons.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 0, result.stderr
    for size in (16, 32, 48, 64, 128, 256, 512):
        data = (ICONS / f"{APP_SLUG}-{size}.png").read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        assert (width, height) == (size, size)


def test_install_script_is_valid_posix_shell() -> None:
    script = ROOT / "packaging" / "linux" / "install.sh"
    assert os.access(script, os.X_OK)
    result = subprocess.run(["sh", "-n", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_inno_setup_script_matches_the_build() -> None:
    iss = (ROOT / "packaging" / "windows" / "clary-desktop.iss").read_text(encoding="utf-8")
    assert "PrivilegesRequired=lowest" in iss  # per-user install
    assert "clary-desktop.exe" in iss and "clary-models.exe" in iss
    assert ".clarylicense" in iss
    assert f'#define AppVersion "{__version__}"' in iss


def test_self_test_from_a_source_checkout(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLARY_", "QT_QPA"))}
    env["HOME"] = str(home)
    env["CLARY_POLICY_FILE"] = str(tmp_path / "no-policy.json")
    result = subprocess.run(
        [sys.executable, "-m", "clary_desktop", "--self-test"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.stderr == ""
    assert result.returncode == 0, result.stdout
    assert "self-test passed" in result.stdout
    assert list(home.iterdir()) == []
