"""``python -m bulkprofiles_gui``, and the entry point of the desktop bundle."""

from __future__ import annotations

import sys

if getattr(sys, "frozen", False):
    # In the bundle, a helper process of the demo generator (multiprocessing,
    # spawn) starts this executable again: let it run the helper, not the app.
    import multiprocessing

    multiprocessing.freeze_support()

from bulkprofiles_gui.cli import main

raise SystemExit(main())
