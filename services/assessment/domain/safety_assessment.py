"""Safety assessment of a case (DOMAIN §4, SZ-6.3): who assessed, what they found, which grade
rule set SZ-2023-B gives it. Pure: a command and the case's present state in, an event out.

An assessment is made by at least two workers, a woman among them when the child is a girl
(MZ-6.2.2, DOMAIN I-5). The child's gender is the one intake recorded for the case when it
published one; until then the assessors state it, and the event says which source was used.
A regrade is a new fact that names the assessment it supersedes; the
earlier one stays in the record as it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from assessment.domain.assessors import StaffRecord, registry_violations
from assessment.domain.events import Assessor, GenderSource, SafetyRiskGraded
from assessment.domain.safety_risk import SafetyRiskInput, evaluate_safety_risk
from events.domain import Refused, Violation

Gender = Literal["male", "female"]
RecordSource = Literal["intake.case.opened", "intake.child.registered"]

TEAM_RULE = "MZ-6.2.2"
MIN_ASSESSORS = 2


class GradeSafetyRisk(BaseModel):
    """Record one Appendix B assessment of a case and the grade it gives."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    assessment_id: str
    organisation: str
    assessed_at: datetime
    child_gender: Gender | None
    assessors: tuple[Assessor, ...]
    inputs: SafetyRiskInput
    notes: str | None = None
    expected_version: int | None = None  # the version the assessors read; None: the latest


class SafetyCase(BaseModel):
    """What a new assessment needs to know of the case: its current grade, the child's gender
    when intake published it, and the registry entries of the assessors named."""

    model_config = ConfigDict(frozen=True)

    current_assessment_id: str | None = None
    child_gender: Gender | None = None
    child_gender_source: RecordSource = "intake.case.opened"
    staff: Mapping[str, StaffRecord] = {}


def grade_safety_risk(command: GradeSafetyRisk, case: SafetyCase) -> SafetyRiskGraded:
    """The graded assessment, superseding the current one; Refused if the team may not assess."""
    fields = checked_team(command, case)
    result = evaluate_safety_risk(command.inputs)
    return SafetyRiskGraded(**fields, rule_set=result.rule_set, result=result)


def checked_team(command: Any, case: Any) -> dict[str, Any]:
    """The fields every assessment event of a case has, once the team may assess (MZ-6.2.2,
    MZ-7.1.3); Refused naming every rule the team breaks."""
    child_gender, source = child_gender_of(
        command.child_gender, case.child_gender, case.child_gender_source
    )
    on = command.assessed_at.date()
    violations = assessor_violations(
        command.assessors, child_gender, case.staff, command.organisation, on
    )
    if violations:
        raise Refused(violations)
    return {
        "case_id": command.case_id,
        "assessment_id": command.assessment_id,
        "organisation": command.organisation,
        "assessed_at": command.assessed_at,
        "child_gender": child_gender,
        "child_gender_source": source,
        "assessors": list(command.assessors),
        "inputs": command.inputs,
        "supersedes": case.current_assessment_id,
        "notes": command.notes,
    }


def child_gender_of(
    stated: Gender | None, recorded: Gender | None, source: RecordSource = "intake.case.opened"
) -> tuple[Gender, GenderSource]:
    """The gender the team rule is checked against: intake's record (of the case, or of the
    child in its registry: `source`), else the assessors' word."""
    if recorded is not None:
        if stated not in (None, recorded):
            raise Refused([_gender("child_gender_mismatch", "differs from the case record")])
        return recorded, source
    if stated is None:
        raise Refused([_gender("child_gender_unknown", "is needed to check the assessors")])
    return stated, "request"


def assessor_violations(
    assessors: tuple[Assessor, ...],
    child_gender: Gender,
    staff: Mapping[str, StaffRecord],
    organisation: str,
    on: date,
) -> list[Violation]:
    """MZ-6.2.2: two or more distinct registered, cleared workers; a woman for a girl."""
    violations = registry_violations(assessors, staff, organisation, on)
    distinct = {a.worker_id for a in assessors}
    if len(distinct) < len(assessors):
        violations.append(_team("assessor_repeated", "a worker is listed twice as an assessor"))
    if len(distinct) < MIN_ASSESSORS:
        violations.append(
            _team("too_few_assessors", f"at least {MIN_ASSESSORS} different workers must assess")
        )
    if child_gender == "female" and not any(a.gender == "female" for a in assessors):
        violations.append(
            _team("no_female_assessor", "the child is a girl: a female worker must take part")
        )
    return violations


def _gender(code: str, message: str) -> Violation:
    message = f"the child's gender {message}"  # names no gender: not sensitive
    return Violation(
        code=code, rule=TEAM_RULE, field="child_gender", message=message, sensitive=False
    )


def _team(code: str, message: str) -> Violation:
    return Violation(code=code, rule=TEAM_RULE, field="assessors", message=message, sensitive=False)
