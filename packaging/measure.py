"""Measure the one-folder build: its size on disk and its start time to a shown window.

    python packaging/measure.py [dist/clary-desktop] [--runs 5]

Start time is the wall time from launching `clary-desktop --self-test` to the moment it
prints "window shown" (the main window is shown, offscreen), and to the catalog loaded.
"Cold" runs first drop the kernel's file cache when allowed (root on Linux), so every
library is read from disk again; "warm" runs follow each other.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def folder_bytes(folder: Path) -> int:
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() or p.is_symlink())


def drop_caches() -> bool:
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def one_start(app: Path) -> tuple[float, float, float]:
    """Seconds to "window shown", to "catalog loaded" and to exit."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "QT_QPA_PLATFORM": "offscreen",
    }
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(app / "clary-desktop"), "--self-test"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    shown = loaded = float("nan")
    assert process.stdout is not None
    for line in process.stdout:
        now = time.perf_counter() - started
        if "window shown" in line:
            shown = now
        elif "catalog loaded" in line:
            loaded = now
    _out, err = process.communicate()
    total = time.perf_counter() - started
    if process.returncode != 0 or err:
        raise SystemExit(f"self-test failed ({process.returncode}): {err}")
    return shown, loaded, total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("app", nargs="?", type=Path, default=ROOT / "dist" / "clary-desktop")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    app = args.app.resolve()
    size = folder_bytes(app)
    print(f"one-folder build {app}: {size / 2**20:.0f} MiB on disk")
    for tarball in sorted(app.parent.glob("clary-desktop-*.tar.gz")):
        print(f"{tarball.name}: {tarball.stat().st_size / 2**20:.0f} MiB")
    cold = []
    for _ in range(args.runs):
        if not drop_caches():
            print("(cannot drop the file cache here: no cold figures)")
            break
        cold.append(one_start(app))
    warm = [one_start(app) for _ in range(args.runs)]
    for name, runs in (("cold", cold), ("warm", warm)):
        if runs:
            shown = statistics.median(r[0] for r in runs)
            loaded = statistics.median(r[1] for r in runs)
            total = statistics.median(r[2] for r in runs)
            print(
                f"{name} start, median of {len(runs)}: window shown {shown:.2f} s, "
                f"catalog loaded {loaded:.2f} s, self-test exited {total:.2f} s"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
