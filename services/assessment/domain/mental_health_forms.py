"""The forms of the mental-health service (DB36/T 2143-2025, "JX"), as pydantic values.

Appendix A (feasibility assessment), B (service plan), C (session record) and D (closure).
Free text about the child is kept in the nested ``*Text`` models, which the events declare
personal as a whole (encrypted with the case's data key); codes, counts, dates and instrument
names stay readable so read models and other services can act on them. Nothing here names the
child: who the child is lives in intake's registry, under the case id.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

RiskLevel = Literal["normal", "low", "medium", "high"]
Trigger = Literal["danger_to_life", "psychotic_or_personality_disorder", "beyond_capability"]
Frequency = Literal["weekly", "fortnightly", "monthly"]
Signatory = Literal["client", "guardian"]
ClientRequestKind = Literal["pause", "change", "stop"]
Trend = Literal["improved", "unchanged", "deteriorated"]
MidtermDecision = Literal["continue", "adjust", "refer"]
ClosureReason = Literal["goals_met", "agreed_end", "client_stopped", "referred"]
Cooperation = Literal["good", "fair", "poor"]
Preference = Literal["none", "male", "female"]

Text = Annotated[str, Field(min_length=1, max_length=10_000)]
ShortText = Annotated[str, Field(min_length=1, max_length=500)]
Code = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][\w.:/-]*$")]


class _Form(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Confirmation(_Form):
    """A signature box of a form: who confirmed it (the client or the guardian) and when."""

    by: Signatory
    signed_on: date


class Measure(_Form):
    """One result of a psychological test (JX-6.1.1, JX-9.2): the instrument is a readable code
    (kept the same from intake to closure, JX-7.5.2); the score is health data (personal)."""

    instrument: Code
    measured_on: date


class MeasureText(_Form):
    """What the test gave: dimension scores, total and interpretation (personal)."""

    scores: dict[str, float] = Field(default_factory=dict, max_length=50)
    total: float | None = None
    interpretation: Text | None = None


class WorkerPreferences(_Form):
    """Table A.1 (continued): what the client hopes for in a worker; 'none' = no preference."""

    gender: Preference = "none"
    age: Literal["none", "young", "middle_aged", "older"] = "none"
    language: Literal["none", "mandarin", "local_dialect", "other"] = "none"
    style: Literal["none", "thoughtful", "warm", "energetic", "other"] = "none"
    other: ShortText | None = None


class FeasibilityText(_Form):
    """The free-text boxes of table A.1 (personal: encrypted as a whole)."""

    family_situation: Text
    individual_overview: Text = Field(description="health, schooling and conduct at school")
    interview_findings: Text = Field(description="cognition, emotion and will as seen in person")
    main_problems: Text
    emergency_detail: Text | None = None
    referral_situation: Text | None = None
    previous_counselling_content: Text | None = None
    problems_to_solve: Text
    emergency_contact: ShortText | None = Field(None, description="name, relation, phone")
    desired_time: ShortText | None = None
    desired_place: ShortText | None = None
    measure: MeasureText = Field(default_factory=MeasureText)


class FeasibilityForm(_Form):
    """Table A.1, the feasibility assessment of JX-7.1.1, with the M-2 screening of JX-7.1.2."""

    accepted_on: date
    intake_measure: Measure
    problem_type: Code
    emergency: bool = False
    referral_triggers: list[Trigger] = Field(default_factory=list, max_length=3)
    currently_in_counselling: bool = False
    on_psychiatric_medication: bool = False
    previous_counselling_sessions: int = Field(0, ge=0, le=1000)
    desired_sessions_per_week: int = Field(1, ge=1, le=7)
    worker_preferences: WorkerPreferences = Field(default_factory=WorkerPreferences)
    client_confirmation: Confirmation | None = None
    text: FeasibilityText


class PlanText(_Form):
    """The free-text boxes of table B.1 (personal)."""

    background: Text
    cause_analysis: Text = Field(description="presentation, theory, summary of the problem")
    solution: Text = Field(description="theoretical basis, methods, path of intervention, schedule")
    precautions: Text | None = None
    place: ShortText | None = None


class PlanForm(_Form):
    """Table B.1, the service plan of JX-7.2.1, with the informed consent of JX-7.2.3."""

    problem_type: Code
    planned_sessions: int = Field(ge=1, le=200)
    frequency: Frequency = "weekly"
    session_minutes: int = Field(60, ge=1, le=600)
    starts_on: date
    ends_on: date
    consent: Confirmation | None = Field(None, description="informed consent (JX-7.2.3)")
    text: PlanText


class SessionText(_Form):
    """Table C.1 (personal): place, goal, theory, process, effect, homework, reflection."""

    place: ShortText
    goal: Text
    theory: Text
    process: Text
    effect: Text = Field(description="cognition, emotion, will")
    homework: Text | None = None
    reflection: Text
    remarks: Text | None = None


class SessionForm(_Form):
    """Table C.1: one session as it took place."""

    started_at: AwareDatetime
    ended_at: AwareDatetime
    worker_ids: list[Code] = Field(min_length=1, max_length=5)
    home_visit: bool = False
    guardian_present: bool = True
    guardian_informed: bool = False
    text: SessionText


class Goal(_Form):
    """One goal of the plan and whether the closing assessment found it achieved."""

    code: Code
    achieved: bool
    reasonable: bool = True


class ClosureText(_Form):
    """Table D.1 (personal): summary, change, reflection, follow-up, why goals were not met."""

    summary: Text
    change: Text = Field(description="change in test results, behaviour, emotion, will")
    reflection: Text
    follow_up: Text | None = None
    unmet_goal_analysis: Text | None = None
    final_measure: MeasureText = Field(default_factory=MeasureText)


class ClosureForm(_Form):
    """Table D.1 with the closing evaluation of JX-7.5.2 and the indicators of JX-7.5.3."""

    reason: ClosureReason
    final_measure: Measure | None = None
    goals: list[Goal] = Field(default_factory=list, max_length=50)
    client_satisfaction: int | None = Field(None, ge=1, le=5, description="1-5, if given")
    client_cooperation: Cooperation | None = None
    client_confirmation: Confirmation | None = None
    text: ClosureText


class ClientConsent(_Form):
    """The client's (or guardian's) recorded consent to a change of worker (JX-7.3)."""

    given: bool
    by: Signatory
    recorded_at: datetime
