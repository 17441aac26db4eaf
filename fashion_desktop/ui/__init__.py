"""The window: widgets, models and delegates. Everything here runs on the GUI thread."""
