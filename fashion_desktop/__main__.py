from fashion_desktop.cli import main

raise SystemExit(main())
