from policycheck.cli import main

raise SystemExit(main())
