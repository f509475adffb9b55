"""Dialogs of the window that manage the catalogue (databases, fields, resources, programs)."""
