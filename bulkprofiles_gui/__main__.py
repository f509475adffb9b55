from __future__ import annotations

from bulkprofiles_gui.cli import main

raise SystemExit(main())
