"""Pack the one-folder build into `dist/clary-desktop-<version>-linux-<arch>.tar.gz`.

    python packaging/linux/make_tarball.py [--dist dist]

The archive holds one folder, `clary-desktop-<version>/`: the two programs, their
`_internal/` folder and `install.sh` (which puts the menu entry and icons in the
user's ~/.local/share folders). Symbolic links inside the build are kept as links.
"""

from __future__ import annotations

import argparse
import platform
import re
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INSTALL_SCRIPT = Path(__file__).resolve().parent / "install.sh"


def version() -> str:
    text = (ROOT / "clary_desktop" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'__version__ = "([^"]+)"', text)
    if match is None:
        raise SystemExit("make_tarball: no __version__ in clary_desktop/__init__.py")
    return match.group(1)


def make_tarball(dist: Path) -> Path:
    build = dist / "clary-desktop"
    if not (build / "clary-desktop").is_file() or not (build / "clary-models").is_file():
        raise SystemExit(f"make_tarball: no one-folder build in {build} (run `make package`)")
    top = f"clary-desktop-{version()}"
    arch = platform.machine().lower() or "unknown"
    target = dist / f"{top}-linux-{arch}.tar.gz"
    partial = target.with_name(target.name + ".part")

    def normalise(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    with tarfile.open(partial, "w:gz", compresslevel=6) as archive:
        archive.add(build, arcname=top, filter=normalise)
        install = archive.gettarinfo(INSTALL_SCRIPT, arcname=f"{top}/install.sh")
        install.mode = 0o755
        with INSTALL_SCRIPT.open("rb") as handle:
            archive.addfile(normalise(install), handle)
    partial.replace(target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    args = parser.parse_args(argv)
    target = make_tarball(args.dist)
    print(f"wrote {target} ({target.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
