"""Settings and About dialogs."""
