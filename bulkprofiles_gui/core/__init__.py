"""The Qt-free core.  Nothing under this package may import Qt (see
tests/test_import_contract.py)."""
