from fashion_desktop.app.entry import launch

raise SystemExit(launch())
