"""What the wizard's pages share: the open store and the one job draft.

The draft is the job being put together (the way Qt's licensewizard shares
fields): the selection page writes the selection into it as it is edited,
the chosen action's page its ``action``, the review page ``skip_triggers``;
the review and run pages, the save and the action pages' checks read it.
Nothing rebuilds the job from the pages, and no page looks for another.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from ...core.config import Settings
from ...core.jobfile import Job
from ...core.store import Store


@dataclass
class WizardContext:
    store: Store
    settings: Settings
    #: Set by the selection page when the operator picks a database/segment.
    database_id: int | None = None
    database_name: str | None = None
    segment_name: str | None = None
    #: The job the wizard's pages read and edit.
    draft: Job = field(default_factory=Job)
    #: How many profiles the draft's selection holds, once counted (else None).
    selected_count: int | None = None

    def job(self) -> Job:
        """A copy of the draft (to run, save or check in the background)."""
        return copy.deepcopy(self.draft)
