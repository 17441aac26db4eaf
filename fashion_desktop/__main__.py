from fashion_desktop.app.cli import main

raise SystemExit(main())
