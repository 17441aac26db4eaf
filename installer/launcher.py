"""Entry point of the frozen (PyInstaller) app."""

from fashion_desktop.cli import main

raise SystemExit(main())
