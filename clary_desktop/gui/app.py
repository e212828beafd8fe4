"""`clary-desktop` / `python -m clary_desktop`: parse the options, show the window at
once, open the Registry on a worker thread, and run Qt and asyncio as one loop."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from clary_desktop import APP_NAME, APP_SLUG, __version__
from clary_desktop.gui.platform_check import window_problem
from clary_desktop.logging_setup import setup_logging
from clary_desktop.paths import AppPaths, resolve_paths

if TYPE_CHECKING:
    from clary_desktop.app import Registry


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=APP_SLUG, description=f"{APP_NAME}: the window.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="keep the database, models, settings and logs under DIR "
        "(default: CLARY_DATA_DIR, else the per-user folders)",
    )
    parser.add_argument(
        "--license",
        metavar="FILE",
        help="use this license file (default: CLARY_LICENSE_FILE, else the "
        "one loaded from File > Load license)",
    )
    parser.add_argument(
        "license_file",
        nargs="?",
        metavar="LICENSE_FILE",
        help="a license file to use, as --license (what opening a "
        ".clarylicense file from the file manager does)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="also print the log")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="open the window offscreen on a temporary catalog, check the "
        "bundled resources, close, and exit (0: all good)",
    )
    parser.add_argument(
        "--check-display",
        action="store_true",
        help="say whether the window can open on this system (the X11 "
        "libraries and the display) and exit (0: it can)",
    )
    parser.add_argument(
        "--check-libraries",
        action="store_true",
        help="as --check-display, but only the X11 libraries (for installers "
        "that run without a display)",
    )
    return parser


def make_opener(paths: AppPaths, license_file: str | None) -> Callable[[], Registry]:
    """What the window calls on a worker thread to open the Registry."""

    def open_registry() -> Registry:
        # Imported here, on the worker thread: the window shows before the catalog's
        # libraries (SQLAlchemy, the download engine) have loaded.
        from clary_desktop.app import Registry

        return Registry.open(paths, license_file=license_file)

    return open_registry


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.self_test:  # before anything touches the user's folders
        # Loaded only when asked for: it builds on the whole window (main_window).
        from clary_desktop.gui.self_test import run_self_test

        return run_self_test()
    if problem := window_problem(check_display=not args.check_libraries):
        print(problem, file=sys.stderr)
        return 1
    if args.check_display or args.check_libraries:
        print("The window can open on this system.")
        return 0
    paths = resolve_paths(args.data_dir)
    setup_logging(paths.log_file, verbose=args.verbose)

    # Qt, asyncio and the window's modules load only now: after the checks above, which
    # must answer (and print) on a system where Qt's platform cannot start, and never
    # for --version.
    import asyncio

    import qasync

    # The window and Qt's start-up, loaded here for the reasons above.
    from clary_desktop.gui.main_window import MainWindow
    from clary_desktop.gui.qt_start import start_qt_application

    app = start_qt_application()
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_SLUG)
    window = MainWindow(paths, opener=make_opener(paths, args.license or args.license_file))
    window.show()

    async def run() -> None:
        closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def on_closed() -> None:
            if not closed.done():
                closed.set_result(None)

        app.lastWindowClosed.connect(on_closed)
        window.start()
        await closed

    try:
        with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
            runner.run(run())
    except KeyboardInterrupt:
        window.shutdown()
        return 130
    finally:
        window.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
