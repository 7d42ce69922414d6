"""The entrustor's evaluation indicators of a project (JX-7.5.3, DOMAIN §10), from events. Pure.

The standard names five groups, each a pair; the services record what they are made of
(resolution R-JX-7.5.3, how each figure is computed):
1. client cooperation rate: closed cases whose client cooperated (`good` or `fair`) among
   those whose closing form rates it; satisfaction rate: satisfied clients (4 or 5 of 5)
   among those who gave a score (JX-7.5.2, closing form, Appendix D);
2. goal reasonableness and achievement: the mean of each closed case's rates;
3. plan suitability (sessions kept to the plan's rhythm) and completion (sessions done of
   those planned): the mean of each closed case's rates;
4. record standardisation: closings measured with the intake's instrument (JX-7.5.2);
   completeness: of the investigation records every case owes (first visit, investigation,
   initial statement, SZ-6.2.1 and 6.2.2), the share each case of the project holds, averaged;
5. project management: effectiveness, deadlines met in time among those met or past due;
   orderliness, deadlines not past due among those not met (cancelled ones count nowhere).

Every figure states what it was computed from (how many counted, of how many), and is `None`
when nothing counted: an empty project has no rates, not rates of 0.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean

RULE = "JX-7.5.3"
RESOLUTION = "R-JX-7.5.3"
COOPERATING = frozenset({"good", "fair"})
SATISFIED_FROM = 4  # of a 1-5 score
# The records every case owes from its investigation (SZ-6.2.1, SZ-6.2.2).
CASE_RECORDS = ("visit", "investigation", "initial_statement")
#: The events that say a case holds one of those records, and the approved closure.
RECORD_EVENTS = {
    "intake.case.visit_recorded": "visit",
    "intake.case.investigation_recorded": "investigation",
    "intake.case.initial_statement_recorded": "initial_statement",
}
CLOSURE_RECORDED = "assessment.closure.recorded"


@dataclass(frozen=True)
class Closure:
    """What `assessment.closure.recorded` says of one case (its `indicators`)."""

    case_id: str
    plan_completion_rate: float | None = None
    goal_achievement_rate: float | None = None
    goal_reasonableness_rate: float | None = None
    sessions_on_schedule_rate: float | None = None
    client_satisfaction: int | None = None
    client_cooperation: str | None = None
    same_instrument_as_intake: bool | None = None


def closure_of(case_id: str, figures: Mapping[str, object]) -> Closure:
    """The closure's `indicators` as assessment published them; a figure it does not give, or
    gives in another shape, is not known."""

    def rate(name: str) -> float | None:
        value = figures.get(name)
        ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1
        return float(value) if ok else None  # type: ignore[arg-type]

    satisfaction = figures.get("client_satisfaction")
    cooperation = figures.get("client_cooperation")
    instrument = figures.get("same_instrument_as_intake")
    return Closure(
        case_id=case_id,
        plan_completion_rate=rate("plan_completion_rate"),
        goal_achievement_rate=rate("goal_achievement_rate"),
        goal_reasonableness_rate=rate("goal_reasonableness_rate"),
        sessions_on_schedule_rate=rate("sessions_on_schedule_rate"),
        client_satisfaction=satisfaction if type(satisfaction) is int else None,
        client_cooperation=cooperation if isinstance(cooperation, str) else None,
        same_instrument_as_intake=instrument if isinstance(instrument, bool) else None,
    )


@dataclass(frozen=True)
class Deadlines:
    """The project's deadlines by outcome."""

    met_in_time: int = 0
    met_late: int = 0
    overdue: int = 0  # past due, not met
    open: int = 0  # not yet due


@dataclass(frozen=True)
class Figure:
    """One indicator: a share in [0, 1] (`None`: nothing counted), from `counted` items of
    `of` considered, and how it was computed."""

    value: float | None
    counted: int
    of: int
    basis: str


@dataclass(frozen=True)
class Indicators:
    project_id: str
    cases: int
    closed_cases: int
    groups: dict[str, dict[str, Figure]]
    rule: str = RULE
    resolution: str = RESOLUTION


def share(hits: int, total: int, basis: str) -> Figure:
    return Figure(hits / total if total else None, hits, total, basis)


def mean(values: Iterable[float | None], total: int, basis: str) -> Figure:
    known = [v for v in values if v is not None]
    return Figure(round(fmean(known), 4) if known else None, len(known), total, basis)


def project_indicators(
    project_id: str,
    records: dict[str, frozenset[str]],
    closures: Sequence[Closure],
    deadlines: Deadlines,
) -> Indicators:
    """The five groups of JX-7.5.3 for one project: `records` maps each case of the project to
    the record kinds it holds, `closures` are its closed cases."""
    return Indicators(
        project_id=project_id,
        cases=len(records),
        closed_cases=len(closures),
        groups={
            "client": _client(closures),
            "goals": _goals(closures),
            "plans": _plans(closures),
            "records": _records(records, closures),
            "project_management": _management(deadlines),
        },
    )


def _client(closures: Sequence[Closure]) -> dict[str, Figure]:
    rated = [c.client_cooperation for c in closures if c.client_cooperation is not None]
    scored = [c.client_satisfaction for c in closures if c.client_satisfaction is not None]
    return {
        "cooperation_rate": share(
            sum(r in COOPERATING for r in rated), len(rated), "cooperation good or fair"
        ),
        "satisfaction_rate": share(
            sum(s >= SATISFIED_FROM for s in scored), len(scored), "satisfaction 4 or 5 of 5"
        ),
    }


def _goals(closures: Sequence[Closure]) -> dict[str, Figure]:
    n = len(closures)
    return {
        "reasonableness": mean(
            (c.goal_reasonableness_rate for c in closures), n, "mean of closed cases"
        ),
        "achievement_rate": mean(
            (c.goal_achievement_rate for c in closures), n, "mean of closed cases"
        ),
    }


def _plans(closures: Sequence[Closure]) -> dict[str, Figure]:
    n = len(closures)
    return {
        "suitability": mean(
            (c.sessions_on_schedule_rate for c in closures), n, "sessions on the plan's rhythm"
        ),
        "completion_rate": mean(
            (c.plan_completion_rate for c in closures), n, "sessions done of those planned"
        ),
    }


def _records(records: dict[str, frozenset[str]], closures: Sequence[Closure]) -> dict[str, Figure]:
    measured = [c.same_instrument_as_intake for c in closures]
    known = [m for m in measured if m is not None]
    held = (len(kinds & frozenset(CASE_RECORDS)) / len(CASE_RECORDS) for kinds in records.values())
    return {
        "standardisation": share(
            sum(known), len(known), "closings measured with the intake's instrument"
        ),
        "completeness": mean(held, len(records), "visit, investigation, initial statement"),
    }


def _management(deadlines: Deadlines) -> dict[str, Figure]:
    d = deadlines
    fell_due = d.met_in_time + d.met_late + d.overdue
    return {
        "effectiveness": share(d.met_in_time, fell_due, "met in time of those met or past due"),
        "orderliness": share(d.open, d.open + d.overdue, "not past due of those not met"),
    }
