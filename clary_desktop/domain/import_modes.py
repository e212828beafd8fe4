"""How a file the user has becomes part of the models folder (a module of its own, free
of pydantic, because the command line's arguments offer these as choices)."""

MODES = ("copy", "move", "hardlink", "symlink")
