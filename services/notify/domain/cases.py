"""The case as notify follows it from intake's events: when it ends (its clocks are then
cancelled, SZ-6.5/6.6, JX-6.2.1, JX-9.4.2), why a clock was cancelled, and who its clocks name
as the case team changes (MZ-6.2.2). Pure."""

from collections.abc import Mapping, Sequence

STATUS_CHANGED = "intake.case.status_changed"
TEAM_ASSIGNED = "intake.case.team_assigned"
WORKER_REMOVED = "intake.case.worker_removed"
#: Intake's statuses after which no work on the case is owed: fully closed (SZ-6.6),
#: transferred to another institution (JX-6.2.1), archive handed over (JX-9.4.2).
FINAL_STATUSES = frozenset({"closed", "transferred", "handed_over"})


def case_end_reason(data: Mapping[str, object]) -> str | None:
    """The reason a status change gives for cancelling the case's clocks, None when the case
    stays active (its clocks go on)."""
    to_status = data.get("to_status")
    if to_status not in FINAL_STATUSES:
        return None
    return f"{STATUS_CHANGED}: {data.get('from_status')} -> {to_status}"


def cancel_reason(event_name: str, data: Mapping[str, object]) -> str:
    """Why a stop event cancelled a clock: the event, and its own reason code when it has one
    (a task `superseded` by a regrade) or the move it made (a case gone to follow-up)."""
    if event_name == STATUS_CHANGED:
        return f"{STATUS_CHANGED}: {data.get('from_status')} -> {data.get('to_status')}"
    code = data.get("reason_code")
    return f"{event_name}: {code}" if isinstance(code, str) and code else event_name


def reassigned(
    workers: Sequence[str], *, old_team: Sequence[str], new_team: Sequence[str]
) -> tuple[str, ...]:
    """Who a clock names once the case team changed from `old_team` to `new_team`: the new
    members join, those who left the team leave (even the worker who took the report), the
    others it named stay (an assessment task's assignees)."""
    left = set(old_team) - set(new_team)
    return tuple(dict.fromkeys([*(w for w in workers if w not in left), *new_team]))


def with_team(workers: Sequence[str], team: Sequence[str]) -> tuple[str, ...]:
    """Who a clock set on a case with a team names: those its start event named and the team."""
    return tuple(dict.fromkeys([*workers, *team]))
