"""Recording a guardianship capacity assessment of a case (SZ Appendix D; DOMAIN §4, §8). Pure:
a command and the case's present state in, an event out.

The team is checked as for the safety assessment (MZ-6.2.2, R-SZ-D-04): two or more workers, a
woman among them for a girl. A reassessment is a new fact naming the assessment it supersedes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from assessment.domain import rulesets as rs
from assessment.domain.assessors import StaffRecord
from assessment.domain.events import Assessor, GuardianshipCapacityAssessed
from assessment.domain.guardianship import (
    GuardianshipFindings,
    GuardianshipInput,
    evaluate_guardianship,
    guardianship_requirement,
)
from assessment.domain.safety_assessment import Gender, RecordSource, checked_team


class AssessGuardianship(BaseModel):
    """Record one Appendix D assessment of the case's family."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    assessment_id: str
    organisation: str
    assessed_at: datetime
    child_gender: Gender | None
    assessors: tuple[Assessor, ...]
    guardian_declares_inability: bool = False
    guardianship_disputed: bool = False
    inputs: GuardianshipInput
    findings: GuardianshipFindings | None = None
    notes: str | None = None
    expected_version: int | None = None  # the version the assessors read; None: the latest


class GuardianshipCase(BaseModel):
    """What an assessment needs of the case: the assessment it replaces, the current safety
    grade (safety read model) and the child's gender when intake published it."""

    model_config = ConfigDict(frozen=True)

    current_assessment_id: str | None = None
    safety_grade: rs.Grade | None = None
    child_gender: Gender | None = None
    child_gender_source: RecordSource = "intake.case.opened"
    staff: Mapping[str, StaffRecord] = {}


def assess_guardianship(
    command: AssessGuardianship, case: GuardianshipCase
) -> GuardianshipCapacityAssessed:
    """The recorded assessment, superseding the current one; Refused if the team may not assess."""
    fields = checked_team(command, case)
    requirement = guardianship_requirement(
        case.safety_grade,
        guardian_declares_inability=command.guardian_declares_inability,
        guardianship_disputed=command.guardianship_disputed,
    )
    result = evaluate_guardianship(command.inputs)
    return GuardianshipCapacityAssessed(
        **fields,
        guardian_declares_inability=command.guardian_declares_inability,
        guardianship_disputed=command.guardianship_disputed,
        requirement=requirement,
        rule_set=result.rule_set,
        result=result,
        findings=command.findings,
    )
