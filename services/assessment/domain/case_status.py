"""Which work assessment accepts on a case in each status intake gives it (issue 14 item 3).
Pure: intake's status (learnt from `intake.case.opened` and `.status_changed`) and the kind of
work a route records in; the clause that allows it out, or a `Conflict` (409) naming the status
and the clause that ends the work.

- `open` (SZ-6.2.1) and `in_service` (SZ-6.4): every kind of work.
- `closing` (SZ-6.5: sum up, consolidate, end the relationship, closing record): nothing new
  starts (no feasibility, plan, worker change, adjustment, order or extension, no filing);
  sessions and guidance go on to consolidate, closures, assessments, follow-ups, crises and
  interviews are recorded.
- `follow_up` (SZ-6.6: 1-2 follow-ups within 6 months, then an assessment for full closure):
  follow-ups, closure records, follow-up assessments, reviews, tasks, crises and interviews;
  no new service and no service delivery (a case served again goes back to `in_service` at
  intake first).
- `closed` (SZ-6.6), `transferred` (JX-6.2.1), `handed_over` (JX-9.4.2): no work at all; a
  child in new danger is a new report at intake. A status this table does not know takes none.
Resolutions R-CASE-01..03 of rule set CASE-WORK-2026 (`rulesets`) state these choices.
"""

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

from events.domain import conflict

Work = Literal[
    "assess",  # safety, guardianship, mental-health risk: also the follow-up assessment
    "start_service",  # feasibility, filing, plan, worker change, adjustment, order, extension
    "serve",  # sessions, client requests, family-education guidance
    "close",  # mental-health closure, an order's completion
    "follow_up",  # follow-ups after closure, full closure (SZ-6.6)
    "review",  # a supervisor's decision on what was submitted
    "task",  # completing or cancelling a task
    "crisis",  # M-11 (JX-7.6): whenever the child is in danger
    "interview",  # I-6: the record of the child's interview
]
WORK: Final = frozenset(Work.__args__)  # type: ignore[attr-defined]

STATUS_RULES: Final = MappingProxyType(
    {
        "open": "SZ-6.2.1",
        "in_service": "SZ-6.4",
        "closing": "SZ-6.5",
        "follow_up": "SZ-6.6",
        "closed": "SZ-6.6",
        "transferred": "JX-6.2.1",
        "handed_over": "JX-9.4.2",
    }
)
FINAL: Final = frozenset({"closed", "transferred", "handed_over"})
ALLOWED: Final = MappingProxyType(
    {
        "open": WORK,
        "in_service": WORK,
        "closing": WORK - {"start_service"},
        "follow_up": WORK - {"start_service", "serve"},
        **{status: frozenset[str]() for status in FINAL},
    }
)
UNKNOWN_RULE: Final = "SZ-6.1"  # the service process of SZ-6.1 names no other step
WHY: Final = MappingProxyType(
    {
        "closing": "the case is closing: no new service starts (SZ-6.5)",
        "follow_up": "the case is in follow-up: follow-ups, closure records and the assessment "
        "for full closure only (SZ-6.6)",
        "closed": "the case is closed: no new work (SZ-6.6); new danger is a new report at intake",
        "transferred": "the case is transferred to another institution: no new work (JX-6.2.1)",
        "handed_over": "the case is handed over to the entrustor: no new work (JX-9.4.2)",
    }
)


@dataclass(frozen=True)
class Allowed:
    status: str
    work: str
    rule: str


def may_work(status: str, work: Work | str) -> Allowed:
    """The clause under which `work` may be recorded on a case in `status`; Conflict otherwise."""
    rule = STATUS_RULES.get(status)
    if rule is None:
        message = f"the case's status {status!r} is unknown to assessment: no work recorded"
        raise conflict("case_status_unknown", UNKNOWN_RULE, message, field="status", state=status)
    if work not in ALLOWED[status]:
        message = f"{WHY[status]}; refused: {work.replace('_', ' ')}"
        raise conflict(f"case_status_{status}", rule, message, field="status", state=status)
    return Allowed(status, work, rule)
