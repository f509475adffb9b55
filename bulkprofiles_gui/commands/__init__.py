"""Subcommands of ``bulkprofiles``: one module each, registered with
``@bulkprofiles_gui.cli.command``; cli.py imports every module here."""
