"""Who may see a report, a child or a case: one record rule (SZ-7.3.3; ARCHITECTURE.md,
"Security", record-level rules).

SZ-7.3.3 keeps a child's file from staff who do not serve the child. So a supervisor sees the
records of their organisation; a worker sees a record only when they serve it: they are on the
team of a case that holds it, or they took it in (received one of its reports, or opened the
case). A report not yet in a case is thus for supervisors and the worker who received it; a
child for the teams of the child's cases and the receivers of the child's reports. Another
organisation's record is nobody's here. The routes answer a record the caller may not see as
they answer a missing one (404), so its existence is not revealed either.
"""

from pydantic import BaseModel, ConfigDict

RULE = "SZ-7.3.3"


class Caller(BaseModel):
    """Who asks, as the rule sees them (taken from their token by the API)."""

    model_config = ConfigDict(frozen=True)

    subject: str
    organisation: str | None
    supervisor: bool = False


class Holding(BaseModel):
    """What the rule needs to know of a record: whose it is and who serves it."""

    model_config = ConfigDict(frozen=True)

    organisation: str
    team: frozenset[str] = frozenset()  # on the team of a case that holds the record
    took_in: frozenset[str] = frozenset()  # received one of its reports, or opened the case
    # Supervisors of other organisations who broke the glass (`intake.domain.emergency`) and
    # whose access has not run out: (subject, organisation).
    emergency: frozenset[tuple[str, str]] = frozenset()


class Access(BaseModel):
    """The rule's answer, with why and the clause."""

    model_config = ConfigDict(frozen=True)

    allowed: bool
    reason: str
    rule: str = RULE


def may_see(caller: Caller, record: Holding) -> Access:
    """May `caller` see (and so act on) `record`?"""
    if caller.supervisor and (caller.subject, caller.organisation or "") in record.emergency:
        return Access(allowed=True, reason="opened in an emergency, registered and notified")
    if caller.organisation != record.organisation:
        return Access(allowed=False, reason="another organisation's record")
    if caller.supervisor:
        return Access(allowed=True, reason="a supervisor of the organisation")
    if caller.subject in record.team:
        return Access(allowed=True, reason="on the team of a case that holds it")
    if caller.subject in record.took_in:
        return Access(allowed=True, reason="took it in")
    return Access(allowed=False, reason="neither on its case's team nor who took it in")


def may_change_case(caller: Caller, case: Holding) -> Access:
    """Work on a case (visits, consent, categories...): its team or a supervisor. Who opened it
    without being on the team still sees it (`may_see`) but does not change it."""
    seen = may_see(caller, case)
    if seen.allowed and caller.organisation != case.organisation:
        return Access(allowed=False, reason="an emergency opening reads the case, no more")
    if not seen.allowed or caller.supervisor or caller.subject in case.team:
        return seen
    return Access(allowed=False, reason="only the workers assigned to the case change it")
