"""The windows every date and number a caller sends to assessment must lie in (ARCHITECTURE,
Security: bad input is a 4xx problem, never a 500 or a corrupt event). Pure."""

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import BaseModel

from assessment.domain import bounds
from assessment.domain.mental_health_forms import FeasibilityForm, PlanForm
from events.domain import Refused

NOW = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)


class Visit(BaseModel):
    """A request body as the routes take them: records, a planned date, numbers, a mapping."""

    held_at: datetime | None = None
    held_on: date | None = None
    starts_on: date | None = None
    hours: int = 1
    scores: dict[str, float] = {}
    notes: list[str] = []


def codes(body: BaseModel, ahead: tuple[str, ...] = ("starts_on",)) -> list[tuple[str, str]]:
    return [(v.code, v.field or "") for v in bounds.out_of_range(body, NOW, ahead)]


@pytest.mark.parametrize(
    "body",
    [
        Visit(),
        Visit(held_at=NOW + bounds.CLOCK_SKEW, held_on=NOW.date() + timedelta(days=1)),
        Visit(held_at=datetime(2000, 1, 1, tzinfo=UTC), held_on=date(2000, 1, 1)),
        Visit(held_at=datetime(2025, 6, 2, 8, 0)),  # no offset: read as UTC
        Visit(starts_on=NOW.date() + timedelta(days=700)),  # a date the domain lets lie ahead
        Visit(hours=-bounds.NUMBER_LIMIT, scores={"anxiety": bounds.NUMBER_LIMIT}),
    ],
)
def test_values_inside_their_windows_pass(body: Visit) -> None:
    assert codes(body) == []
    bounds.refuse_out_of_range(body, NOW, ("starts_on",))


@pytest.mark.parametrize(
    ("body", "found"),
    [
        (Visit(held_at=NOW + timedelta(minutes=6)), ("date_out_of_range", "held_at")),
        (Visit(held_at=datetime(9999, 12, 31, tzinfo=UTC)), ("date_out_of_range", "held_at")),
        (Visit(held_at=datetime(1999, 12, 31, tzinfo=UTC)), ("date_out_of_range", "held_at")),
        (Visit(held_on=date(9999, 12, 1)), ("date_out_of_range", "held_on")),
        (Visit(held_on=NOW.date() + timedelta(days=2)), ("date_out_of_range", "held_on")),
        (Visit(starts_on=date(9999, 12, 1)), ("date_out_of_range", "starts_on")),
        (Visit(starts_on=date(1999, 12, 31)), ("date_out_of_range", "starts_on")),
        (Visit(hours=10**30), ("number_out_of_range", "hours")),
        (Visit(scores={"anxiety": float("nan")}), ("number_out_of_range", "scores.anxiety")),
        (Visit(scores={"anxiety": float("inf")}), ("number_out_of_range", "scores.anxiety")),
        (Visit(scores={"anxiety": -1e308}), ("number_out_of_range", "scores.anxiety")),
        (Visit(scores={"x" * 300_000: 1.0}), ("key_too_long", "scores")),
        (Visit(notes=["ok", "x" * 300_000]), ("text_too_long", "notes.1")),
    ],
)
def test_values_outside_their_windows_are_refused_naming_the_field(
    body: Visit, found: tuple[str, str]
) -> None:
    assert codes(body) == [found]
    with pytest.raises(Refused) as refused:
        bounds.refuse_out_of_range(body, NOW, ("starts_on",))
    assert refused.value.rule == bounds.RULE and refused.value.status == 422


def test_a_date_not_named_ahead_is_a_record_of_what_happened():
    assert codes(Visit(starts_on=NOW.date() + timedelta(days=30)), ahead=()) == [
        ("date_out_of_range", "starts_on")
    ]


def test_the_forms_are_walked_to_their_nested_dates_and_scores():
    text = {"background": "合成", "cause_analysis": "合成", "solution": "合成"}
    plan = PlanForm.model_validate(
        {
            "problem_type": "anxiety",
            "planned_sessions": 6,
            "starts_on": "2025-06-09",
            "ends_on": "9999-12-31",
            "consent": {"by": "guardian", "signed_on": "2099-01-01"},
            "text": text,
        }
    )
    assert codes(plan, ("starts_on", "ends_on")) == [
        ("date_out_of_range", "ends_on"),
        ("date_out_of_range", "consent.signed_on"),
    ]
    boxes = {k: "合成" for k in ("family_situation", "individual_overview", "interview_findings")}
    feasibility = FeasibilityForm.model_validate(
        {
            "accepted_on": "2025-06-02",
            "intake_measure": {"instrument": "SDQ", "measured_on": "0001-01-01"},
            "problem_type": "anxiety",
            "text": {
                **boxes,
                "main_problems": "合成",
                "problems_to_solve": "合成",
                "measure": {"scores": {"sdq": 1e12}, "total": 12.5},
            },
        }
    )
    assert codes(feasibility) == [
        ("date_out_of_range", "intake_measure.measured_on"),
        ("number_out_of_range", "text.measure.scores.sdq"),
    ]
