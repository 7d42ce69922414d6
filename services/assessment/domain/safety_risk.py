"""Safety risk grade of a child in safety distress: T/SZSWA 009-2023 Appendix B and §6.4.

Rule set ``SZ-2023-B``. Every number, item list and intervention comes from ``rulesets``; this
module only combines them. Each result names the rule set, the clause that set the grade, every
item that decided it and every Resolution the product applied on the way.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from assessment.domain import rulesets as rs
from assessment.domain.rulesets import Grade, Modal, Rating


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class B1Items(_Input):
    """Table B.1 (极危): yes/no items on the guardian; any yes makes the case D."""

    sexual_abuse_or_violence: StrictBool = False
    unattended_danger: StrictBool = False
    abandonment_6_months: StrictBool = False
    addiction_or_custody_refuses_delegation: StrictBool = False
    coerced_begging_3_warnings: StrictBool = False
    abetting_crime: StrictBool = False


class B2Ratings(_Input):
    """Table B.2 (中高危): each dimension rated A, B or C, or None when not present (无)."""

    physical_or_sexual_abuse: Rating | None = None
    neglect: Rating | None = None
    motive: Rating | None = None
    substance: Rating | None = None


class B3Ratings(_Input):
    """Table B.3: the guardianship-capacity profile; never sets the grade."""

    guardian_capacity: Rating | None = None
    cooperation: Rating | None = None
    parenting_skills: Rating | None = None
    substitute_parent: Rating | None = None
    support_system: Rating | None = None
    stress_crisis: Rating | None = None
    parent_child_relationship: Rating | None = None


class SafetyRiskInput(_Input):
    """One Appendix B assessment; every key may be left out."""

    b1: B1Items = Field(default_factory=B1Items)
    b2: B2Ratings = Field(default_factory=B2Ratings)
    life_threatening_event: StrictBool = False
    b3: B3Ratings = Field(default_factory=B3Ratings)


class _Output(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DecidingItem(_Output):
    """An input item that set the grade, with the clause it cites."""

    item: str
    clause: str


class RequiredAction(_Output):
    """An intervention §6.4 lists for the grade; ``due`` is an ISO-8601 duration or None."""

    code: str
    clause: str
    due: str | None
    modal: Modal
    condition: str | None
    note: str | None


class Recommendation(_Output):
    """A recommendation raised from the B.3 profile, with the items that raised it."""

    code: str
    clause: str
    reason: str


class CapacityProfile(_Output):
    """Table B.3 as recorded, and the dimensions at the rating that triggers recommendations."""

    clause: str
    ratings: B3Ratings
    flagged_items: list[str]


class SafetyRiskResult(_Output):
    """The grade, why, and what §6.4 requires for it."""

    rule_set: str
    grade: Grade
    label: str
    grade_clause: str
    decided_by: list[DecidingItem]
    required_actions: list[RequiredAction]
    recommendations: list[Recommendation]
    capacity_profile: CapacityProfile
    resolutions_applied: list[str]


@dataclass(frozen=True)
class _Decision:
    grade: Grade
    clause: str
    decided_by: tuple[DecidingItem, ...]
    resolutions: tuple[str, ...]


def evaluate_safety_risk(inp: SafetyRiskInput) -> SafetyRiskResult:
    """Grade one assessment under rule set SZ-2023-B (Appendix B, §6.4)."""
    decision = _decide_grade(inp)
    flagged = _flagged_b3_items(inp.b3)
    recommendations = _recommendations(flagged, decision.grade)
    actions = rs.REQUIRED_ACTIONS[decision.grade]
    return SafetyRiskResult(
        rule_set=rs.SAFETY_RISK_RULE_SET_ID,
        grade=decision.grade,
        label=rs.GRADE_LABELS[decision.grade],
        grade_clause=decision.clause,
        decided_by=list(decision.decided_by),
        required_actions=[_required_action(rule) for rule in actions],
        recommendations=recommendations,
        capacity_profile=CapacityProfile(
            clause=rs.B3_PROFILE_CLAUSE, ratings=inp.b3, flagged_items=flagged
        ),
        resolutions_applied=_resolutions_applied(decision, inp.b3, flagged, actions),
    )


def _decide_grade(inp: SafetyRiskInput) -> _Decision:
    true_b1 = _true_b1_items(inp.b1)
    if true_b1:
        return _Decision(rs.B1_GRADE, rs.B1_GRADE_CLAUSE, true_b1, ())
    rated = _rated(inp.b2, rs.B2_DIMENSIONS)
    if not rated:
        return _Decision(rs.EMPTY_B2_GRADE, rs.B2_NOTE_CLAUSE, (), (rs.R_B2_EMPTY_IS_LOW,))
    return _grade_from_b2(rated, inp.life_threatening_event)


def _true_b1_items(b1: B1Items) -> tuple[DecidingItem, ...]:
    values = b1.model_dump()
    return tuple(_deciding("b1", rule) for rule in rs.B1_ITEMS if values[rule.key])


def _grade_from_b2(
    rated: list[tuple[rs.ItemRule, Rating]], life_threatening_event: bool
) -> _Decision:
    top = max((rating for _, rating in rated), key=rs.RATING_ORDER.index)
    top_items = tuple(_deciding("b2", rule) for rule, rating in rated if rating == top)
    if top == rs.ESCALATION_RATING and life_threatening_event:
        life = DecidingItem(item=rs.LIFE_THREATENING_ITEM, clause=rs.LIFE_THREATENING_CLAUSE)
        return _Decision(
            rs.ESCALATED_GRADE,
            rs.B2_NOTE_CLAUSE,
            (*top_items, life),
            (rs.R_B2_HIGHEST, rs.R_B2_ESCALATION),
        )
    return _Decision(top, rs.B2_GRADE_CLAUSE, top_items, (rs.R_B2_HIGHEST,))


def _rated(model: BaseModel, rules: tuple[rs.ItemRule, ...]) -> list[tuple[rs.ItemRule, Rating]]:
    values = model.model_dump()
    return [(rule, values[rule.key]) for rule in rules if values[rule.key] is not None]


def _deciding(table: str, rule: rs.ItemRule) -> DecidingItem:
    return DecidingItem(item=f"{table}.{rule.key}", clause=rule.clause)


def _flagged_b3_items(b3: B3Ratings) -> list[str]:
    return [
        f"b3.{rule.key}"
        for rule, rating in _rated(b3, rs.B3_DIMENSIONS)
        if rating == rs.B3_RECOMMENDATION_TRIGGER
    ]


def _recommendations(flagged: list[str], grade: Grade) -> list[Recommendation]:
    if not flagged or grade in rs.B3_RECOMMENDATION_EXCLUDED_GRADES:
        return []
    reason = f"rated {rs.B3_RECOMMENDATION_TRIGGER} in table B.3: {', '.join(flagged)}"
    return [
        Recommendation(code=rule.code, clause=rule.clause, reason=f"{rule.text} ({reason})")
        for rule in rs.B3_RECOMMENDATIONS
    ]


def _required_action(rule: rs.ActionRule) -> RequiredAction:
    return RequiredAction(
        code=rule.code,
        clause=rule.clause,
        due=rule.due,
        modal=rule.modal,
        condition=rule.condition,
        note=rule.note,
    )


def _resolutions_applied(
    decision: _Decision,
    b3: B3Ratings,
    flagged: list[str],
    actions: tuple[rs.ActionRule, ...],
) -> list[str]:
    applied = set(decision.resolutions)
    applied.update(rule.resolution for rule in actions if rule.resolution)
    if _rated(b3, rs.B3_DIMENSIONS):
        applied.add(rs.R_B3_NEVER_GRADES)
    if flagged:
        excluded = decision.grade in rs.B3_RECOMMENDATION_EXCLUDED_GRADES
        applied.add(rs.R_B3_NOT_FOR_D if excluded else rs.R_B3_C_RECOMMENDS)
    return sorted(applied)
