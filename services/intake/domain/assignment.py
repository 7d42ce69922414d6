"""Who may investigate, supervise and visit: DOMAIN.md I-5 and §12.

- MZ-6.2.2: an investigation is done by qualified social workers, at least two working
  together; when a girl is concerned a female social worker takes part.
- MZ-7.1.3: every year, check that no staff member has a record of sexual assault, abuse,
  trafficking or violence; a positive finding stops their work at once (SZ-7.1.4: dismissal).
- SZ-7.1.5: a supervisor has at least 4 years (4 included) of social work in child services,
  the social-worker qualification and a registered supervisor qualification.
- JX-7.3: home service while the guardian (or temporary guardian) is not at home needs at least
  two workers, and the guardian must be told.
"""

from collections.abc import Iterable
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from intake.domain import Gender, Violation

TEAM_RULE = "MZ-6.2.2"
CHECK_RULE = "MZ-7.1.3"
SUPERVISOR_RULE = "SZ-7.1.5"
HOME_VISIT_RULE = "JX-7.3"
MIN_INVESTIGATORS = 2
MIN_SUPERVISOR_YEARS = 4
MIN_WORKERS_WITHOUT_GUARDIAN = 2


class StaffMember(BaseModel):
    """A worker or supervisor as the rules see them; `qualified` = social-worker certificate."""

    model_config = ConfigDict(frozen=True)

    id: str
    organisation: str
    gender: Gender
    qualified: bool
    years_in_child_services: float = Field(ge=0)
    background_check_date: date | None
    background_check_clean: bool | None
    suspended: bool = False
    deregistered: bool = False  # no longer with the organisation (DOMAIN §12)
    supervisor_registered: bool | None = None  # 督导资质备案 (SZ-7.1.5); None: not recorded,
    # which fails SZ-7.1.5 as False does


def check_investigation_team(
    team: Iterable[StaffMember], child_gender: Gender, on: date
) -> list[Violation]:
    """Violations of MZ-6.2.2 and MZ-7.1.3 by an investigation team formed on `on`.

    Only members who are cleared (current, clean check and not suspended) and qualified count
    towards the two workers and the female worker.
    """
    members = _unique(team)
    violations = [v for member in members for v in clearance_violations(member, on)]
    counted = [m for m in members if m.qualified and not clearance_violations(m, on)]
    if len(counted) < MIN_INVESTIGATORS:
        violations.append(_too_few(len(counted)))
    if child_gender == Gender.FEMALE and all(m.gender != Gender.FEMALE for m in counted):
        violations.append(_no_female())
    return violations


def check_supervisor(member: StaffMember, on: date | None = None) -> list[Violation]:
    """Violations of SZ-7.1.5 by a supervisor; with `on`, also of the yearly check MZ-7.1.3."""
    violations = _supervisor_violations(member)
    if on is None:
        return violations + _stopped_violations(member)
    return violations + clearance_violations(member, on)


def clearance_violations(member: StaffMember, on: date) -> list[Violation]:
    """Is `member` allowed to work with children on `on` (MZ-7.1.3)?"""
    return _background_violations(member, on) + _stopped_violations(member)


def home_visit_rules(
    workers_present: int, guardian_present: bool, guardian_informed: bool
) -> list[Violation]:
    """Violations of JX-7.3 by a home visit; nothing is required while the guardian is home."""
    if workers_present < 0:
        raise ValueError("workers_present cannot be negative")
    if guardian_present:
        return []
    violations = []
    if workers_present < MIN_WORKERS_WITHOUT_GUARDIAN:
        message = f"guardian not at home: {workers_present} worker(s) present, at least 2 needed"
        violations.append(_violation("home_visit_too_few_workers", HOME_VISIT_RULE, message))
    if not guardian_informed:
        message = "guardian not at home and not told of the visit"
        violations.append(_violation("guardian_not_informed", HOME_VISIT_RULE, message))
    return violations


def check_valid_until(checked_on: date) -> date:
    """The last day a yearly check (MZ-7.1.3) clears: valid from its date for one year, until
    the same calendar day a year later (29 February: 28 February). The twin of this rule is
    `assessment.domain.assessors.check_valid_until`; the two must stay the same definition
    (tests/unit/test_intake_people_staff.py compares them)."""
    if (checked_on.month, checked_on.day) == (2, 29):
        return date(checked_on.year + 1, 2, 28)
    return checked_on.replace(year=checked_on.year + 1)


def check_is_current(checked_on: date, on: date) -> bool:
    """Does a check dated `checked_on` clear a person on `on` (MZ-7.1.3, one year)?"""
    return checked_on <= on <= check_valid_until(checked_on)


def one_year_before(day: date) -> date:
    """Same calendar day a year earlier; 29 February maps to 28 February."""
    if (day.month, day.day) == (2, 29):
        return date(day.year - 1, 2, 28)
    return day.replace(year=day.year - 1)


def _violation(code: str, rule: str, message: str) -> Violation:
    return Violation(code=code, rule=rule, message=message)


def _unique(team: Iterable[StaffMember]) -> list[StaffMember]:
    by_id: dict[str, StaffMember] = {}
    for member in team:
        by_id.setdefault(member.id, member)
    return list(by_id.values())


def _too_few(counted: int) -> Violation:
    message = f"{counted} qualified and cleared worker(s); at least {MIN_INVESTIGATORS} needed"
    return _violation("team_too_few_qualified", TEAM_RULE, message)


def _no_female() -> Violation:
    message = "the child is a girl: a qualified, cleared female worker must take part"
    return _violation("team_no_female_worker", TEAM_RULE, message)


def _background_violations(member: StaffMember, on: date) -> list[Violation]:
    checked, clean = member.background_check_date, member.background_check_clean
    if checked is None:
        return [_check_violation("background_check_missing", member, "no yearly check on file")]
    violations = []
    if checked > on:
        message = f"check dated {checked}, after {on}"
        violations.append(_check_violation("background_check_in_future", member, message))
    elif not check_is_current(checked, on):
        message = f"last check {checked} was valid until {check_valid_until(checked)}"
        violations.append(_check_violation("background_check_expired", member, message))
    if clean is None:
        message = "check result not recorded"
        violations.append(_check_violation("background_check_result_missing", member, message))
    elif not clean:
        message = "check found a record: work must stop at once"
        violations.append(_check_violation("background_check_not_clean", member, message))
    return violations


def _stopped_violations(member: StaffMember) -> list[Violation]:
    """Suspended (MZ-7.1.3) or no longer with the organisation (§12)."""
    violations = []
    if member.suspended:
        message = "suspended from work with children"
        violations.append(_check_violation("staff_suspended", member, message))
    if member.deregistered:
        message = f"staff {member.id}: no longer with the organisation"
        violations.append(_violation("staff_deregistered", "§12", message))
    return violations


def _check_violation(code: str, member: StaffMember, message: str) -> Violation:
    return _violation(code, CHECK_RULE, f"staff {member.id}: {message}")


def _supervisor_violations(member: StaffMember) -> list[Violation]:
    violations = []
    if member.years_in_child_services < MIN_SUPERVISOR_YEARS:
        message = (
            f"staff {member.id}: {member.years_in_child_services:g} years in child services,"
            f" at least {MIN_SUPERVISOR_YEARS} needed"
        )
        violations.append(_violation("supervisor_experience", SUPERVISOR_RULE, message))
    if not member.qualified:
        message = f"staff {member.id}: no social-worker qualification"
        violations.append(_violation("supervisor_not_qualified", SUPERVISOR_RULE, message))
    if not member.supervisor_registered:  # not recorded is not registered: no silent pass
        message = f"staff {member.id}: supervisor qualification not registered (督导资质备案)"
        violations.append(_violation("supervisor_not_registered", SUPERVISOR_RULE, message))
    return violations
