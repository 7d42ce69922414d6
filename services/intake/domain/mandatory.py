"""Mandatory reporting (强制报告): DOMAIN.md §3, T/SZSWA 009-2023 clause 5.2.

SZ-5.2.1: on finding that a minor suffers, is suspected to suffer, or faces unlawful harm, call
110 at once, report time, place and harm to the street police station, and tell the
responsible staff of the place. SZ-5.2.2 lists the nine situations (numbered 1-9 here, in the
standard's order; the standard's bullets carry no numbers). SZ-6.2.1 adds the report to the
supervising civil-affairs department on intake, and the 24-hour first home visit in an
emergency (also SZ-5.8.2, rule I-3).
"""

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from pydantic import BaseModel, ConfigDict

from intake.domain import Gender, Violation

LIST_CLAUSE = "SZ-5.2.2"
DUTY_CLAUSE = "SZ-5.2.1"
EMERGENCY_CLAUSE = "SZ-6.2.1"
EMERGENCY_FIRST_VISIT_HOURS = 24
GIRL_AGE_LINE = 14  # SZ-5.2.2(2) 不满十四周岁 / (3) 十四周岁以上 (以上 includes 14)
ADULT_AGE = 18
REPORT_CONTENT = ("time", "place", "harm")  # SZ-5.2.1 时间、地点、受侵害情形


class Trigger(BaseModel):
    """One situation of SZ-5.2.2 that makes a report mandatory."""

    model_config = ConfigDict(frozen=True)

    code: int
    name: str
    text_zh: str
    clause: str


class Recipient(BaseModel):
    """Who must receive a mandatory report, and the clause that names them."""

    model_config = ConfigDict(frozen=True)

    key: str
    name: str
    name_zh: str
    contact: str | None
    rule: str


class Reason(BaseModel):
    """Why a report is mandatory: a trigger of SZ-5.2.2, or the general duty of SZ-5.2.1."""

    model_config = ConfigDict(frozen=True)

    trigger: int | None
    rule: str
    text: str


class MandatoryDecision(BaseModel):
    """Whether a report must go to the police at once, to whom, why, and how fast to visit."""

    model_config = ConfigDict(frozen=True)

    mandatory: bool
    recipients: list[Recipient] = []
    report_content: list[str] = []
    reasons: list[Reason] = []
    emergency_first_visit_hours: int | None = None
    emergency_rule: str | None = None
    violations: list[Violation] = []
    warnings: list[Violation] = []


def _trigger(code: int, name: str, text_zh: str) -> Trigger:
    return Trigger(code=code, name=name, text_zh=text_zh, clause=f"{LIST_CLAUSE}({code})")


TRIGGERS: Mapping[int, Trigger] = MappingProxyType(
    {
        t.code: t
        for t in (
            _trigger(
                1,
                "injury to genitals or private parts",
                "未成年人的生殖器官或隐私部位遭受或疑似遭受非正常损伤的",
            ),
            _trigger(
                2,
                "girl under 14 sexually assaulted, pregnant or had an abortion",
                "不满十四周岁的女性未成年人遭受或疑似遭受性侵害、怀孕、流产的",
            ),
            _trigger(
                3,
                "girl 14 or older pregnant or had an abortion after sexual assault",
                "十四周岁以上女性未成年人遭受或疑似遭受性侵害所致怀孕、流产的",
            ),
            _trigger(
                4,
                "multiple injuries, malnutrition, unconsciousness, violence, abuse or drugging",
                "未成年人身体存在多处损伤、严重营养不良、意识不清，遭受或疑似存在受到家庭暴力、"
                "欺凌、虐待、殴打或者被人麻醉等情形的",
            ),
            _trigger(
                5,
                "disability or death from suicide, self-harm, work injury, poisoning or beating",
                "未成年人因自杀、自残、工伤、中毒、被人麻醉、殴打等非正常原因导致伤残、死亡情形的",
            ),
            _trigger(
                6,
                "abandoned or long-term unattended",
                "未成年人被遗弃或长期处于无人照料状态的",
            ),
            _trigger(
                7,
                "unknown origin, missing, trafficked or bought",
                "发现未成年人来源不明、失踪或者被拐卖、收买的",
            ),
            _trigger(8, "organised to beg", "发现未成年人被组织乞讨的"),
            _trigger(
                9,
                "other serious harm, or facing unlawful harm now",
                "其他严重侵害未成年人身心健康的情形或未成年人正在面临不法侵害危险的",
            ),
        )
    }
)

RECIPIENTS: tuple[Recipient, ...] = (
    Recipient(
        key="police",
        name="police: call 110 and report to the street police station",
        name_zh="110 报警电话 / 街道派出所",
        contact="110",
        rule=DUTY_CLAUSE,
    ),
    Recipient(
        key="place_responsible",
        name="responsible staff of the place where it was found",
        name_zh="该场域的负责工作人员",
        contact=None,
        rule=DUTY_CLAUSE,
    ),
    Recipient(
        key="civil_affairs",
        name="supervising civil-affairs department",
        name_zh="上级民政部门",
        contact=None,
        rule=EMERGENCY_CLAUSE,
    ),
)


def evaluate_report(
    triggers: Iterable[int],
    emergency: bool,
    child_gender: Gender | None = None,
    child_age_years: int | None = None,
) -> MandatoryDecision:
    """Decide whether a report is mandatory (SZ-5.2) and what follows from it.

    An emergency (serious domestic violence or unlawful infringement, SZ-6.2.1) is unlawful
    harm, so it makes the report mandatory under SZ-5.2.1 even when no trigger was chosen.
    Contradictions between a trigger and the child's stated age or gender are warnings, not
    refusals: the report goes out either way. `child_age_years` is the age in completed years
    (周岁) when the harm happened; None (unknown) age or gender gives no warning.
    """
    codes = sorted(set(triggers))
    known = [TRIGGERS[code] for code in codes if code in TRIGGERS]
    reasons = [Reason(trigger=t.code, rule=t.clause, text=t.name) for t in known]
    warnings = _consistency_warnings(known, child_gender, child_age_years)
    if emergency and not known:
        reasons.append(_emergency_reason())
        warnings.append(_emergency_without_trigger())
    mandatory = bool(reasons)
    return MandatoryDecision(
        mandatory=mandatory,
        recipients=list(RECIPIENTS) if mandatory else [],
        report_content=list(REPORT_CONTENT) if mandatory else [],
        reasons=reasons,
        emergency_first_visit_hours=EMERGENCY_FIRST_VISIT_HOURS if emergency else None,
        emergency_rule=EMERGENCY_CLAUSE if emergency else None,
        violations=[_unknown(code) for code in codes if code not in TRIGGERS],
        warnings=warnings,
    )


def _unknown(code: int) -> Violation:
    message = f"trigger {code} is not one of the situations 1-9 of {LIST_CLAUSE}"
    return Violation(code="unknown_trigger", rule=LIST_CLAUSE, message=message)


def _emergency_reason() -> Reason:
    text = "emergency: serious domestic violence or unlawful infringement is unlawful harm"
    return Reason(trigger=None, rule=DUTY_CLAUSE, text=text)


def _emergency_without_trigger() -> Violation:
    message = f"emergency reported without a situation of {LIST_CLAUSE}; choose one (often 4 or 9)"
    return Violation(code="emergency_without_trigger", rule=LIST_CLAUSE, message=message)


def _consistency_warnings(
    known: list[Trigger], gender: Gender | None, age: int | None
) -> list[Violation]:
    warnings: list[Violation] = []
    for trigger in known:
        warnings += _girl_trigger_warnings(trigger, gender, age)
    if age is not None and age >= ADULT_AGE:
        message = f"stated age {age}: mandatory reporting concerns minors (未成年人)"
        warnings.append(Violation(code="not_a_minor", rule=DUTY_CLAUSE, message=message))
    return warnings


def _girl_trigger_warnings(
    trigger: Trigger, gender: Gender | None, age: int | None
) -> list[Violation]:
    if trigger.code not in (2, 3):
        return []
    warnings = []
    if gender is not None and gender != Gender.FEMALE:
        message = f"trigger {trigger.code} concerns girls; the child is recorded as {gender}"
        warnings.append(
            Violation(code="trigger_gender_mismatch", rule=trigger.clause, message=message)
        )
    if age is not None and (age < GIRL_AGE_LINE) != (trigger.code == 2):
        message = _age_mismatch_message(trigger.code, age)
        warnings.append(
            Violation(code="trigger_age_mismatch", rule=trigger.clause, message=message)
        )
    return warnings


def _age_mismatch_message(code: int, age: int) -> str:
    if code == 2:
        return (
            f"trigger 2 concerns girls under 14; the child is {age}: pregnancy or abortion "
            "after sexual assault is trigger 3 from 14 on, other sexual harm trigger 9"
        )
    return f"trigger 3 concerns girls 14 or older; the child is {age}: this is trigger 2"
