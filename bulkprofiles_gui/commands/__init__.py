"""Subcommands of ``bulkprofiles``: one module each, with a ``cmd_<name>(args)``
function.  Their arguments and help are declared in :mod:`._arguments`
(``SUBCOMMANDS``), which names that function; ``cli.main`` imports a module
only when its subcommand runs.  A new subcommand is a module here plus its
``Subcommand`` entry there (``tests/test_cli_startup.py`` checks both)."""
