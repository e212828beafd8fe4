"""The window's parts: filter panel, detail pane, queue panel, status bar."""
