"""Entry script of the frozen `clary-models` (the command line). PyInstaller starts here."""

from clary_desktop.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
