"""Who may see and work on a case (ARCHITECTURE, Security, record-level rules): a worker the
cases assigned to them, a supervisor their organisation's. Pure: the caller's id, roles and
organisation as their token states them, and the case's team as intake assigned it
(`intake.case.team_assigned`, less `worker_removed`)."""

from collections.abc import Collection, Mapping
from dataclasses import dataclass

RULE = "ARCHITECTURE-security-record-level"


@dataclass(frozen=True)
class Access:
    allowed: bool
    reason: str
    rule: str = RULE


def case_access(
    subject: str, roles: Collection[str], organisation: str | None, team: Mapping[str, str]
) -> Access:
    """`team` maps each assigned worker to the organisation that assigned them. A supervisor's
    organisation is checked where the case is read or recorded, as for every caller."""
    if "supervisor" in roles:
        return Access(True, "a supervisor works on their organisation's cases")
    assigned_by = team.get(subject)
    if assigned_by is not None and assigned_by == organisation:
        return Access(True, "the worker is on the case's team")
    return Access(False, "a worker sees and works on the cases assigned to them only")
