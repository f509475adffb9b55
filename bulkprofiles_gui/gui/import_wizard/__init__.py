"""The "Import profiles…" wizard over ``core.importer`` (one module per page)."""

from .common import ImportContext
from .wizard import ImportWizard, PageId

__all__ = ["ImportContext", "ImportWizard", "PageId"]
