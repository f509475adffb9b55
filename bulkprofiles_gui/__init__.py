"""bulkprofiles: bulk updates of customer profiles through a guided wizard.

``bulkprofiles_gui.core`` is the Qt-free library (store, selection, actions,
jobs, tasks) used alike by the command line, the GUI, the tests and the
benchmarks; ``bulkprofiles_gui.gui`` is the PySide6 face on top of it.
"""

__version__ = "0.1.0"
