"""The child's interview about the harm (I-6: MZ-5.2.3, JX-4.5). Pure: a command and the case's
interviews folded from their events in, events out.

The child is not questioned again and again, in different places, about what was done to them
(secondary harm). So the first interview record of a matter (the harm it is about, named by a
code such as its report id) is the one every later step reads (`record_of`); a second interview
on the same matter is recorded only with a reason, naming the one it repeats, and refused
otherwise (422 naming MZ-5.2.3, the rulebook's I-6). Resolution R-I6-01 of rule set
CASE-WORK-2026 (`rulesets`).
"""

from __future__ import annotations

from datetime import datetime
from functools import singledispatch
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict

from assessment.domain.events import ChildInterviewRecorded
from events.domain import EventData, Refused, Violation, conflict

RULE: Final = "MZ-5.2.3"  # with JX-4.5: avoid repeated questioning (I-6)
ReasonCode = Literal[
    "new_facts",  # facts the first record does not cover came to light
    "earlier_record_unusable",  # the first record is lost or cannot serve the step
    "judicial_request",  # police, procuratorate or court ask for it
    "child_asked",  # the child wants to speak again
]


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True)


class RepeatReason(_Value):
    code: ReasonCode
    text: str | None = None


class RecordInterview(_Value):
    case_id: str
    interview_id: str
    organisation: str
    matter: str
    held_at: datetime
    interviewer_ids: tuple[str, ...]
    record: str
    recorded_by: str
    place: str | None = None
    repeat_reason: RepeatReason | None = None


class Interviews(_Value):
    case_id: str
    first_of: dict[str, str] = {}  # matter -> the first interview's id
    ids: frozenset[str] = frozenset()
    version: int = 0

    def record_of(self, matter: str) -> str | None:
        """The interview record every later step reads for `matter`, if there is one."""
        return self.first_of.get(matter)


def record_interview(command: RecordInterview, state: Interviews) -> list[EventData]:
    if command.interview_id in state.ids:
        raise conflict("interview_recorded", RULE, "this interview is recorded already")
    earlier = state.record_of(command.matter)
    reason = command.repeat_reason
    if earlier is not None and reason is None:
        message = (
            f"the child was interviewed on this matter already ({earlier}): read that record; "
            "a second interview needs a recorded reason (I-6, MZ-5.2.3, JX-4.5)"
        )
        raise Refused([_v("repeated_questioning", message)])
    if earlier is None and reason is not None:
        raise Refused([_v("nothing_repeated", "no interview on this matter to repeat")])
    return [
        ChildInterviewRecorded(
            interview_id=command.interview_id,
            case_id=command.case_id,
            organisation=command.organisation,
            matter=command.matter,
            held_at=command.held_at,
            interviewer_ids=list(dict.fromkeys(command.interviewer_ids)),
            recorded_by=command.recorded_by,
            rule=RULE,
            repeat_of=earlier,
            repeat_reason_code=reason.code if reason else None,
            place=command.place,
            record=command.record,
            repeat_reason=reason.text if reason else None,
        )
    ]


def fold(case_id: str, events: list[EventData]) -> Interviews:
    state = Interviews(case_id=case_id)
    for event in events:
        state = _evolve(event, state).model_copy(update={"version": state.version + 1})
    return state


@singledispatch
def _evolve(event: EventData, state: Interviews) -> Interviews:
    return state


@_evolve.register(ChildInterviewRecorded)
def _recorded(event: ChildInterviewRecorded, state: Interviews) -> Interviews:
    first_of = {event.matter: event.interview_id, **state.first_of}  # the first one stays
    return state.model_copy(update={"first_of": first_of, "ids": state.ids | {event.interview_id}})


def _v(code: str, message: str) -> Violation:
    return Violation(code=code, rule=RULE, field="repeat_reason", message=message)
