"""Registry entries (intake's staff registry as assessment keeps it) for pure assessment tests:
qualified, cleared staff of one organisation, all synthetic."""

from collections.abc import Iterable
from datetime import date
from typing import Any

from assessment.domain.assessors import StaffRecord
from assessment.domain.events import Assessor

ORG = "org-synthetic"
CHECKED_ON = date(2025, 3, 1)


def registered(assessors: Iterable[Assessor], **changes: Any) -> dict[str, StaffRecord]:
    """Each assessor as registered staff of ORG with a clean check on CHECKED_ON."""
    return {
        a.worker_id: StaffRecord.model_validate(
            {
                "worker_id": a.worker_id,
                "organisation": ORG,
                "gender": a.gender,
                "qualified": True,
                "background_check_on": CHECKED_ON,
                "background_check_clean": True,
                **changes,
            }
        )
        for a in assessors
    }
