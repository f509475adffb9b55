"""The PySide6 face of bulkprofiles: it calls the core, never SQL of its own."""
