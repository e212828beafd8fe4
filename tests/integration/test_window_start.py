"""`clary-desktop` on a Linux system where the window cannot open: one plain message and
exit status 1, never Qt's abort() and a core dump. Real subprocesses of
`python -m clary_desktop`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from clary_desktop.gui.platform_check import install_hint
from tests.support.cli import clean_env


def start_window(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = clean_env(**env)
    environment.pop("DISPLAY", None)
    environment.pop("WAYLAND_DISPLAY", None)
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "clary_desktop", "--data-dir", str(tmp_path / "data"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
    )


def assert_plain_failure(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert "Clary Desktop's window cannot start" in result.stderr
    assert "QT_QPA_PLATFORM=offscreen" in result.stderr and "clary-models" in result.stderr
    assert "Traceback" not in result.stderr


def test_no_display_is_one_plain_message(tmp_path: Path) -> None:
    result = start_window(tmp_path, QT_QPA_PLATFORM="xcb")
    assert_plain_failure(result)
    assert "DISPLAY is not set" in result.stderr
    assert not (tmp_path / "data").exists()  # nothing written before the check


def test_unreachable_display_names_the_libraries_or_the_display(tmp_path: Path) -> None:
    result = start_window(tmp_path, QT_QPA_PLATFORM="xcb", DISPLAY=":87")
    assert_plain_failure(result)
    # which one this system lacks depends on its packages; both are named in words
    assert ("sudo apt-get install" in result.stderr) or ("':87' cannot be opened" in result.stderr)


def test_check_display_says_the_same_without_starting(tmp_path: Path) -> None:
    result = start_window(tmp_path, "--check-display", QT_QPA_PLATFORM="xcb")
    assert_plain_failure(result)
    ok = start_window(tmp_path, "--check-display", QT_QPA_PLATFORM="offscreen")
    assert ok.returncode == 0 and "can open" in ok.stdout


def test_qt_giving_up_on_its_platform_is_caught(tmp_path: Path) -> None:
    """A failure the checks cannot foresee still ends with a message, not abort()."""
    result = start_window(tmp_path, QT_QPA_PLATFORM="no-such-platform")
    assert_plain_failure(result)
    assert "Qt could not open a display" in result.stderr


def test_install_hint_names_the_packages_of_the_missing_libraries() -> None:
    hint = install_hint(["libxcb-icccm.so.4", "libxcb-keysyms.so.1"])
    assert "sudo apt-get install libxcb-icccm4 libxcb-keysyms1\n" in hint
    assert "sudo dnf install xcb-util-keysyms xcb-util-wm" in hint
    unknown = install_hint(["libsomething-else.so.3"])  # unknown: the whole list
    assert "libxcb-cursor0" in unknown and "libxkbcommon-x11-0" in unknown


def test_check_libraries_leaves_the_display_out(tmp_path: Path) -> None:
    """What the Linux installer runs, often over ssh: only the libraries count."""
    result = start_window(tmp_path, "--check-libraries", QT_QPA_PLATFORM="xcb")
    checked = start_window(tmp_path, "--check-display", QT_QPA_PLATFORM="xcb")
    assert "DISPLAY is not set" not in result.stderr and "DISPLAY is not set" in checked.stderr
    if "sudo apt-get install" in checked.stderr:  # this system lacks some of them
        assert_plain_failure(result)
        assert "sudo apt-get install" in result.stderr
    else:
        assert result.returncode == 0 and "can open" in result.stdout
