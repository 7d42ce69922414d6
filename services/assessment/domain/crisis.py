"""Crisis intervention (M-11, DB36/T 2143-2025 "JX" 7.6.1). Pure: a command and the case's
crises folded from their events in, events out, every refusal naming JX-7.6.1.

When a serious risk to the child's body, mind or safety is found the provider starts crisis
intervention at once and reports it to the entrustor. What JX-7.6.1 then asks depends on what
was found (`conditions`); each condition's actions are `required`, and what is not yet done
stays `outstanding`. A crisis is never refused for what is still outstanding: recording it at
once matters more (Resolution R-JX-CRISIS of rule set JX-2025-MH), the read model shows
what remains.
"""

from __future__ import annotations

from datetime import datetime
from functools import singledispatch
from types import MappingProxyType
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from assessment.domain import mental_health_rules as mr
from assessment.domain.events import CrisisActionRecorded, CrisisRecorded
from events.domain import EventData, Refused, Violation, conflict

RULE: Final = mr.CRISIS  # JX-7.6.1, M-11
Condition = Literal["danger_to_life", "unsafe_environment", "beyond_capability", "medical_need"]
ActionCode = Literal[
    "safety_assessment_started",  # 启动…身心健康与安全状况的评估
    "reported_to_entrustor",  # 及时上报给委托机构
    "medical_escort",  # 协同监护人将困境儿童送至医疗机构
    "emergency_plan_started",  # 立即启动紧急干预方案
    "frequency_raised",  # 增加服务频次
    "reliable_carer_present",  # 可靠的照料人随时监护和陪伴
    "placement_started",  # 协助委托机构启动安置方案，并获取公检法司的支持
    "referral_assisted",  # 协助委托机构及时转介
]
Partner = Literal["police", "procuratorate", "court", "justice"]  # 公检法司

ALWAYS: Final = ("safety_assessment_started", "reported_to_entrustor")
BY_CONDITION: Final = MappingProxyType(
    {
        "medical_need": ("medical_escort",),
        "danger_to_life": ("emergency_plan_started", "frequency_raised", "reliable_carer_present"),
        "unsafe_environment": ("placement_started",),
        "beyond_capability": ("referral_assisted",),
    }
)


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True)


class CrisisAction(_Value):
    code: ActionCode
    done_at: datetime
    supported_by: tuple[Partner, ...] = ()
    with_guardian: bool | None = None
    notes: str | None = None


class RecordCrisis(_Value):
    case_id: str
    crisis_id: str
    organisation: str
    detected_at: datetime
    conditions: tuple[Condition, ...]
    actions: tuple[CrisisAction, ...] = ()
    recorded_by: str
    summary: str | None = None


class RecordAction(_Value):
    case_id: str
    crisis_id: str
    action: CrisisAction
    recorded_by: str


class Crisis(_Value):
    crisis_id: str
    detected_at: datetime
    conditions: tuple[str, ...]
    required: tuple[str, ...]
    done: tuple[str, ...] = ()

    @property
    def outstanding(self) -> tuple[str, ...]:
        return tuple(code for code in self.required if code not in self.done)


class Crises(_Value):
    case_id: str
    organisation: str | None = None
    crises: dict[str, Crisis] = Field(default_factory=dict)
    version: int = 0


def required_actions(conditions: tuple[str, ...]) -> list[str]:
    """JX-7.6.1: assess and report always, then each condition's own actions, in order."""
    found = [*ALWAYS, *(code for c in conditions for code in BY_CONDITION[c])]
    return list(dict.fromkeys(found))


def record_crisis(command: RecordCrisis, state: Crises) -> list[EventData]:
    if command.crisis_id in state.crises:
        raise conflict("crisis_recorded", RULE, "this crisis is recorded already")
    if not command.conditions:
        raise _refused("no_crisis_condition", "conditions", "name the serious risk found")
    conditions: list[str] = list(dict.fromkeys(command.conditions))
    recorded = CrisisRecorded(
        crisis_id=command.crisis_id,
        case_id=command.case_id,
        organisation=command.organisation,
        detected_at=command.detected_at,
        conditions=conditions,
        required=required_actions(tuple(conditions)),
        recorded_by=command.recorded_by,
        rule=RULE,
        summary=command.summary,
    )
    done = [
        _action(command.case_id, command.crisis_id, a, command.detected_at, command.recorded_by)
        for a in command.actions
    ]
    return [recorded, *done]


def record_action(command: RecordAction, state: Crises) -> list[EventData]:
    crisis = state.crises.get(command.crisis_id)
    if crisis is None:
        raise conflict("no_such_crisis", RULE, "no crisis with this id on the case")
    by = command.recorded_by
    return [_action(command.case_id, crisis.crisis_id, command.action, crisis.detected_at, by)]


def _action(
    case_id: str, crisis_id: str, action: CrisisAction, detected_at: datetime, by: str
) -> CrisisActionRecorded:
    violations = [
        _v("action_before_crisis", "actions", "an action is done after the crisis was found")
        if action.done_at < detected_at
        else None,
        _v(
            "placement_without_support",
            "supported_by",
            "a placement is started with the "
            "support of police, procuratorate, court or justice (JX-7.6.1)",
        )
        if action.code == "placement_started" and not action.supported_by
        else None,
    ]
    found = [v for v in violations if v is not None]
    if found:
        raise Refused(found)
    return CrisisActionRecorded(
        crisis_id=crisis_id,
        case_id=case_id,
        code=action.code,
        done_at=action.done_at,
        supported_by=list(dict.fromkeys(action.supported_by)),
        with_guardian=action.with_guardian,
        recorded_by=by,
        rule=RULE,
        notes=action.notes,
    )


def decide(command: RecordCrisis | RecordAction, state: Crises) -> list[EventData]:
    if isinstance(command, RecordCrisis):
        return record_crisis(command, state)
    return record_action(command, state)


# --- folding ---------------------------------------------------------------------------------


def fold(case_id: str, events: list[EventData]) -> Crises:
    state = Crises(case_id=case_id)
    for event in events:
        state = evolve(state, event)
    return state


def evolve(state: Crises, event: EventData) -> Crises:
    return _evolve(event, state).model_copy(update={"version": state.version + 1})


@singledispatch
def _evolve(event: EventData, state: Crises) -> Crises:
    return state


@_evolve.register(CrisisRecorded)
def _recorded(event: CrisisRecorded, state: Crises) -> Crises:
    crisis = Crisis(
        crisis_id=event.crisis_id,
        detected_at=event.detected_at,
        conditions=tuple(event.conditions),
        required=tuple(event.required),
    )
    crises = {**state.crises, event.crisis_id: crisis}
    return state.model_copy(update={"organisation": event.organisation, "crises": crises})


@_evolve.register(CrisisActionRecorded)
def _action_recorded(event: CrisisActionRecorded, state: Crises) -> Crises:
    crisis = state.crises[event.crisis_id]
    updated = crisis.model_copy(update={"done": (*crisis.done, event.code)})
    return state.model_copy(update={"crises": {**state.crises, event.crisis_id: updated}})


def _v(code: str, field: str, message: str) -> Violation:
    return Violation(code=code, rule=RULE, field=field, message=message)


def _refused(code: str, field: str, message: str) -> Refused:
    return Refused([_v(code, field, message)])
