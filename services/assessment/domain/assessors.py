"""Who may assess a case, as intake's staff registry says (DOMAIN I-5, §12). Pure.

- MZ-6.2.2: qualified social workers of the organisation assess, at least two together; a
  woman takes part when the child is a girl (checked against the registered gender).
- MZ-7.1.3: a yearly background check, clean; a positive one suspends the person at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from assessment.domain.events import Assessor
from events.domain import Violation

TEAM_RULE = "MZ-6.2.2"
CHECK_RULE = "MZ-7.1.3"


class StaffRecord(BaseModel):
    """A staff member as intake's events left them; the person is (organisation, worker_id)."""

    model_config = ConfigDict(frozen=True)

    worker_id: str
    organisation: str
    gender: Literal["male", "female"]
    qualified: bool
    background_check_on: date | None = None
    background_check_clean: bool | None = None
    suspended: bool = False


def registry_violations(
    assessors: Sequence[Assessor], staff: Mapping[str, StaffRecord], organisation: str, on: date
) -> list[Violation]:
    """Every assessor must be registered staff of the organisation, qualified and cleared.
    `staff` holds the organisation's registry entries by worker id: a staff id names one person
    within one organisation (DOMAIN §12), so an entry of another organisation with the same id
    is another person and never stands for the assessor."""
    return [
        v
        for assessor in assessors
        for v in _violations(assessor, staff.get(assessor.worker_id), organisation, on)
    ]


def _violations(
    assessor: Assessor, record: StaffRecord | None, organisation: str, on: date
) -> list[Violation]:
    who = assessor.worker_id
    if record is None or record.organisation != organisation:
        return [_v("assessor_not_registered", TEAM_RULE, f"{who} is not registered staff here")]
    found = []
    if record.gender != assessor.gender:
        found.append(_v("assessor_gender_mismatch", TEAM_RULE, f"{who}: gender differs"))
    if not record.qualified:
        found.append(_v("assessor_not_qualified", TEAM_RULE, f"{who} is not a social worker"))
    if record.suspended:
        found.append(_v("assessor_suspended", CHECK_RULE, f"{who} is suspended"))
    elif not _cleared(record, on):
        found.append(_v("assessor_not_cleared", CHECK_RULE, f"{who}: no clean check this year"))
    return found


def _cleared(record: StaffRecord, on: date) -> bool:
    checked = record.background_check_on
    if checked is None or not record.background_check_clean:
        return False
    return check_is_current(checked, on)


def check_valid_until(checked_on: date) -> date:
    """The last day a yearly check (MZ-7.1.3) clears: valid from its date for one year, until
    the same calendar day a year later (29 February: 28 February). The twin of this rule is
    `intake.domain.assignment.check_valid_until` (services do not import each other); the two
    must stay the same definition (tests/unit/test_intake_people_staff.py compares them)."""
    if (checked_on.month, checked_on.day) == (2, 29):
        return date(checked_on.year + 1, 2, 28)
    return checked_on.replace(year=checked_on.year + 1)


def check_is_current(checked_on: date, on: date) -> bool:
    """Does a check dated `checked_on` clear a person on `on` (MZ-7.1.3, one year)?"""
    return checked_on <= on <= check_valid_until(checked_on)


def _v(code: str, rule: str, message: str) -> Violation:
    return Violation(code=code, rule=rule, field="assessors", message=message, sensitive=False)
