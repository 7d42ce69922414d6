"""Who may see and work on a case (ARCHITECTURE, Security, record-level rules): a worker the
cases assigned to them, a supervisor their organisation's. Pure: the caller's id, roles and
organisation as their token states them; the case's organisation as intake opened it
(`intake.case.opened`) and its team as intake assigned it (`intake.case.team_assigned`, less
`worker_removed`). A case intake never opened is nobody's, so no first write can claim it."""

from collections.abc import Collection, Mapping
from dataclasses import dataclass

RULE = "ARCHITECTURE-security-record-level"


@dataclass(frozen=True)
class Access:
    allowed: bool
    reason: str
    rule: str = RULE


def case_access(
    subject: str,
    roles: Collection[str],
    organisation: str | None,
    owner: str | None,
    team: Mapping[str, str],
) -> Access:
    """`owner` is the organisation that opened the case (None: assessment never learned of
    it); `team` maps each assigned worker to the organisation that assigned them."""
    if owner is None:
        return Access(False, "intake has opened no such case")
    if organisation != owner:
        return Access(False, "the case is another organisation's")
    if "supervisor" in roles:
        return Access(True, "a supervisor works on their organisation's cases")
    if team.get(subject) == owner:
        return Access(True, "the worker is on the case's team")
    return Access(False, "a worker sees and works on the cases assigned to them only")


def may_hold(worker_id: str, owner: str | None, team: Mapping[str, str]) -> Access:
    """The worker a case is given to (M-6: who takes it on, or a successor) must be on its
    team, or the case would be held by someone who may not see it."""
    if owner is not None and team.get(worker_id) == owner:
        return Access(True, "the worker is on the case's team")
    return Access(False, "a case is held by a worker of its team only")
