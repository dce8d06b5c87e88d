from jobdesk.cli.main import main

raise SystemExit(main())
