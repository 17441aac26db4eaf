"""Entry point of the frozen (PyInstaller) app."""

from fashion_desktop.app.cli import main

raise SystemExit(main())
