from fashion_desktop.app.cli import launch

raise SystemExit(launch())
