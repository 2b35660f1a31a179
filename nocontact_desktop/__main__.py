"""Allow ``python -m nocontact_desktop``."""

from nocontact_desktop.cli import main

raise SystemExit(main())
