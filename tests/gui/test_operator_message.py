"""The window shows an operator error as its own line, whatever its class."""

from __future__ import annotations

import pytest

from bulkprofiles_gui.core.export import ExportError
from bulkprofiles_gui.core.importer import ImportFileError, ImportSpecError
from bulkprofiles_gui.core.manage import CatalogError
from bulkprofiles_gui.core.store import StoreError
from bulkprofiles_gui.gui.views.base import operator_message


@pytest.mark.parametrize(
    "error", [StoreError, CatalogError, ImportFileError, ImportSpecError, ExportError]
)
def test_operator_errors_are_their_own_line(error: type[Exception]) -> None:
    assert operator_message(error("people.csv: line 3: bad\nmore")) == "people.csv: line 3: bad"


def test_unexpected_errors_name_their_class() -> None:
    assert operator_message(KeyError("x")) == "KeyError: 'x'"
