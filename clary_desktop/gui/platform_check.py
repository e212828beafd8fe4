"""Can the window open here? Checked before Qt tries, because Qt answers a missing X11
library or an unreachable display with abort() and a core dump.

Qt 6.5+ needs X11 helper libraries (libxcb-cursor0, libxcb-icccm4, ...) that server
images and minimal desktops lack. This module names what is missing and the packages that
bring it, in one plain message; `clary-desktop --check-display`, `make run` and the Linux
installer print the same message.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

# The X11 libraries Qt's xcb platform loads, with the Debian/Ubuntu and Fedora packages
# that provide them.
XCB_LIBRARIES: dict[str, tuple[str, str]] = {
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-xinerama.so.0": ("libxcb-xinerama0", "libxcb"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
}
# What the README's "Before you start" lists: enough for Qt's xcb platform on a minimal
# install, whichever of them happens to be missing.
DEBIAN_PACKAGES = [
    "libxcb-cursor0",
    "libxcb-icccm4",
    "libxcb-keysyms1",
    "libxcb-image0",
    "libxcb-render-util0",
    "libxcb-shape0",
    "libxcb-randr0",
    "libxcb-xkb1",
    "libxcb-xinerama0",
    "libxkbcommon-x11-0",
    "libegl1",
    "libgl1",
    "libfontconfig1",
]
FEDORA_PACKAGES = [
    "xcb-util-cursor",
    "xcb-util-wm",
    "xcb-util-keysyms",
    "xcb-util-image",
    "xcb-util-renderutil",
    "libxkbcommon-x11",
    "libglvnd-egl",
    "libglvnd-glx",
    "fontconfig",
]

ALTERNATIVES = (
    "The command line (clary-models) works without a display, and "
    "QT_QPA_PLATFORM=offscreen runs the window without a screen."
)


def _platforms() -> list[str]:
    """The platform plugins Qt will try, as QT_QPA_PLATFORM names them ("xcb:opt" -> xcb)."""
    wanted = os.environ.get("QT_QPA_PLATFORM", "")
    names = [part.split(":", 1)[0].strip() for part in wanted.split(";") if part.strip()]
    if names:
        return names
    return ["wayland", "xcb"] if os.environ.get("WAYLAND_DISPLAY") else ["xcb"]


def xcb_plugin() -> Path | None:
    import PySide6  # the package only, not a Qt module: no Qt library loads here

    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    return plugin if plugin.is_file() else None


def missing_libraries(plugin: Path) -> list[str]:
    """Shared libraries the plugin needs that this system lacks. Loading the plugin costs
    nothing extra (Qt loads it next); only when that fails is `ldd` asked for the whole
    list, since the loader names just the first missing library."""
    try:
        ctypes.CDLL(str(plugin))
    except OSError as error:
        loader_says = str(error)
    else:
        return []
    if ldd := shutil.which("ldd"):
        try:
            listing = subprocess.run(
                [ldd, str(plugin)], capture_output=True, text=True, timeout=30
            ).stdout
        except (OSError, subprocess.SubprocessError):
            listing = ""
        if missing := re.findall(r"^\s*(\S+) => not found", listing, flags=re.MULTILINE):
            return sorted(set(missing))
    found = re.match(r"(\S+\.so[.\d]*): cannot open shared object file", loader_says)
    return [found.group(1)] if found else [loader_says]


def install_hint(missing: list[str]) -> str:
    """The package lines that bring `missing` (every known one when a name is unknown)."""
    known = [XCB_LIBRARIES[name] for name in missing if name in XCB_LIBRARIES]
    if missing and len(known) == len(missing):
        debian = sorted({deb for deb, _ in known})
        fedora = sorted({rpm for _, rpm in known})
    else:
        debian, fedora = DEBIAN_PACKAGES, FEDORA_PACKAGES
    return (
        f"On Debian or Ubuntu: sudo apt-get install {' '.join(debian)}\n"
        f"On Fedora: sudo dnf install {' '.join(fedora)}"
    )


def display_error(display: str) -> str | None:
    """Why the X server at `display` cannot be reached, or None when it can."""
    try:
        xcb = ctypes.CDLL("libxcb.so.1")
    except OSError:
        return None  # reported as a missing library instead
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    connection = xcb.xcb_connect(display.encode(), None)
    try:
        failed = xcb.xcb_connection_has_error(connection)
    finally:
        xcb.xcb_disconnect(connection)
    return f"the X display {display!r} cannot be opened" if failed else None


def window_problem(*, check_display: bool = True) -> str | None:
    """A plain message saying why the window cannot open on this system, or None.
    Without `check_display`, only the libraries are checked (an installer run over ssh)."""
    if not sys.platform.startswith("linux") or _platforms() != ["xcb"]:
        return None  # other systems and platforms fail softly in Qt, or are not ours to test
    plugin = xcb_plugin()
    problems: list[str] = []
    missing = missing_libraries(plugin) if plugin is not None else []
    if missing:
        problems.append(
            f"the X11 libraries Qt needs are not installed (missing: {', '.join(missing)}).\n"
            + install_hint(missing)
        )
    display = os.environ.get("DISPLAY", "") if check_display else None
    if display == "":
        problems.append(
            "no display to show it on: DISPLAY is not set (no desktop session, "
            "or an ssh login without X forwarding)"
        )
    elif display and not missing and (reason := display_error(display)):
        problems.append(f"{reason}: is the desktop session running, and may this user use it?")
    if not problems:
        return None
    return (
        "Clary Desktop's window cannot start: " + "\nAlso, ".join(problems) + ("\n" + ALTERNATIVES)
    )


def qt_failed_message(qt_message: str) -> str:
    """What to print when Qt itself gives up on its platform despite the checks above."""
    return (
        f"Clary Desktop's window cannot start: Qt could not open a display ({qt_message.strip()})"
        f"\nIf the X11 libraries are missing:\n{install_hint([])}\n{ALTERNATIVES}"
    )
