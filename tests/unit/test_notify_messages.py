"""Texts of notifications in Chinese (the default) and English, from one template module."""

from datetime import UTC, datetime

from notify.domain.messages import TEMPLATES, message_for
from notify.domain.subscriptions import NOTIFIABLE, Language

DUE = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)  # 10:00 China time


def test_every_notifiable_event_has_a_chinese_and_an_english_text() -> None:
    assert set(TEMPLATES) == set(NOTIFIABLE)
    assert all(set(texts) == set(Language) for texts in TEMPLATES.values())


def test_a_reminder_in_chinese_shows_the_due_time_in_china_time() -> None:
    fields = {"rule": "intake.first_visit", "subject_id": "report-syn-1", "due_at": DUE}
    message = message_for("notify.reminder.sent", fields, Language.ZH)
    assert message.title == "【期限提醒】intake.first_visit 将于 2026-11-03 10:00 到期"
    assert "report-syn-1" in message.text and "北京时间" in message.text


def test_a_mandatory_report_in_english_lists_its_triggers() -> None:
    fields = {
        "report_id": "report-syn-2",
        "organisation": "org-syn-1",
        "filed_at": DUE,
        "triggers": [4, 6],
    }
    message = message_for("intake.mandatory_report.filed", fields, Language.EN)
    assert message.title == "[Mandatory report] report report-syn-2"
    assert "triggers: 4, 6" in message.text and "SZ-5.2" in message.text


def test_a_missing_field_leaves_its_placeholder_instead_of_failing() -> None:
    message = message_for("notify.escalated", {"rule": "r"}, Language.ZH)
    assert "$subject_id" in message.text
