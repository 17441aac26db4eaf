"""Entry point of the frozen (PyInstaller) app."""

from fashion_desktop.app.entry import launch

raise SystemExit(launch())
