"""What the wizard's pages share: the open store and the choices so far."""

from __future__ import annotations

from dataclasses import dataclass

from ...core.config import Settings
from ...core.store import Store


@dataclass
class WizardContext:
    store: Store
    settings: Settings
    #: Set by the selection page when the operator picks a database/segment.
    database_id: int | None = None
    database_name: str | None = None
    segment_name: str | None = None
