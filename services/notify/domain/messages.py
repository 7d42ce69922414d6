"""Texts of notifications in Chinese and English, one template per event and language. Pure.

Only ids, rule codes, clauses and times go into a text (never a child's personal data), so a
message may cross e-mail. Times are shown in China time. The subscription's language chooses
the text; Chinese is the default.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from string import Template
from zoneinfo import ZoneInfo

from notify.domain.subscriptions import (
    CALENDAR_YEAR_NEEDED,
    CASE_UNDERSTAFFED,
    DEADLINE_MISSED,
    EMERGENCY_ACCESS_GRANTED,
    ESCALATED,
    MANDATORY_REPORT_FILED,
    REMINDER_SENT,
    Language,
)

CHINA = ZoneInfo("Asia/Shanghai")

TEMPLATES: Mapping[str, Mapping[Language, tuple[Template, Template]]] = {
    REMINDER_SENT: {
        Language.ZH: (
            Template("【期限提醒】$rule 将于 $due_at 到期"),
            Template("对象 $subject_id 的期限 $rule 将于 $due_at（北京时间）到期，请及时处理。"),
        ),
        Language.EN: (
            Template("[Reminder] $rule falls due at $due_at"),
            Template("The deadline $rule on $subject_id falls due at $due_at (China time)."),
        ),
    },
    DEADLINE_MISSED: {
        Language.ZH: (
            Template("【期限逾期】$rule（$clause）"),
            Template("对象 $subject_id 的期限 $rule 已于 $due_at（北京时间）逾期（$clause）。"),
        ),
        Language.EN: (
            Template("[Missed] $rule ($clause)"),
            Template("The deadline $rule on $subject_id ran out at $due_at China time ($clause)."),
        ),
    },
    ESCALATED: {
        Language.ZH: (
            Template("【逾期升级】$rule（$clause）"),
            Template("对象 $subject_id 的期限 $rule 逾期未完成，已升级至：$roles（$clause）。"),
        ),
        Language.EN: (
            Template("[Escalated] $rule ($clause)"),
            Template(
                "The missed deadline $rule on $subject_id was escalated to: $roles ($clause)."
            ),
        ),
    },
    CALENDAR_YEAR_NEEDED: {
        Language.ZH: (
            Template("【日历待录入】需要 $year 年法定节假日安排"),
            Template(
                "期限 $rule 的计算涉及 $year 年，系统尚无该年的国务院节假日安排，"
                "已暂按周一至周五计算。请机构管理员录入该年安排"
                "（PUT /v1/calendar/years/$year），录入后自动重算（§13）。"
            ),
        ),
        Language.EN: (
            Template("[Calendar] the $year holiday schedule is needed"),
            Template(
                "The deadline $rule reaches $year, whose official holiday schedule is not loaded; "
                "it was counted Monday to Friday for now. An org admin should load it (PUT "
                "/v1/calendar/years/$year); clocks are recomputed then (§13)."
            ),
        ),
    },
    MANDATORY_REPORT_FILED: {
        Language.ZH: (
            Template("【强制报告】报告 $report_id"),
            Template(
                "机构 $organisation 于 $filed_at（北京时间）提交强制报告 $report_id，"
                "情形编号：$triggers。请立即受理并确认（SZ-5.2）。"
            ),
        ),
        Language.EN: (
            Template("[Mandatory report] report $report_id"),
            Template(
                "$organisation filed mandatory report $report_id at $filed_at China time, "
                "triggers: $triggers. Please act on it and acknowledge it at once (SZ-5.2)."
            ),
        ),
    },
    EMERGENCY_ACCESS_GRANTED: {
        Language.ZH: (
            Template("【紧急调阅】个案 $case_id 被其他机构督导调阅"),
            Template(
                "$granted_to_organisation 的督导 $granted_to 于 $granted_at（北京时间）"
                "以紧急情况为由调阅本机构个案 $case_id，可读至 $until。"
                "调阅理由已随个案记录，请核实（SZ-7.3.3）。"
            ),
        ),
        Language.EN: (
            Template("[Emergency access] case $case_id opened by another organisation"),
            Template(
                "Supervisor $granted_to of $granted_to_organisation opened your case $case_id "
                "in an emergency at $granted_at China time, readable until $until. The reason "
                "is recorded with the case; please review it (SZ-7.3.3)."
            ),
        ),
    },
    CASE_UNDERSTAFFED: {
        Language.ZH: (
            Template("【人员不足】个案 $case_id 需补充服务人员"),
            Template(
                "服务人员 $removed_worker_id 离开后，个案 $case_id 仅余 $remaining_worker_ids，"
                "不符合要求：$shortfalls（$flagged_on）。请督导 $supervisors 补足服务团队"
                "（$rule）。"
            ),
        ),
        Language.EN: (
            Template("[Understaffed] case $case_id needs its team completed"),
            Template(
                "With $removed_worker_id gone, case $case_id is left with $remaining_worker_ids, "
                "short of: $shortfalls (since $flagged_on). Supervisors $supervisors, please "
                "complete the team ($rule)."
            ),
        ),
    },
}


@dataclass(frozen=True)
class Message:
    language: Language
    title: str
    text: str


def message_for(event_name: str, fields: Mapping[str, object], language: Language) -> Message:
    """The title and text of a notification about `event_name` in `language`."""
    title, text = TEMPLATES[event_name][language]
    separator = "、" if language is Language.ZH else ", "
    values = {k: _shown(v, separator) for k, v in fields.items()}
    return Message(language, title.safe_substitute(values), text.safe_substitute(values))


def _shown(value: object, separator: str) -> str:
    if isinstance(value, datetime):
        return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, list | tuple):
        return separator.join(_shown(v, separator) for v in value) if value else "-"
    if value is None:
        return "-"
    return str(value)
