"""`python -m clary_desktop` opens the window, like `clary-desktop`."""

from clary_desktop.gui.app import main

raise SystemExit(main())
