"""Notify's pure domain: the working-day calendar, the clock table and due-time arithmetic.

Imports only the standard library, pydantic, `events.domain` and chinesecalendar, so deadlines
can be reviewed and tested without a database or a broker.
"""

from notify.domain.calendar import (
    CalendarYearUnknown,
    InvalidYearSchedule,
    WorkingCalendar,
    WorkingDaySum,
    YearSchedule,
    library_schedule,
)
from notify.domain.clocks import (
    CLOCK_TABLE,
    EVENT_CATALOG,
    ClockRule,
    ClockTableError,
    DueAt,
    Duration,
    Repeat,
    Role,
    SpanFraction,
    Subject,
    Unit,
    When,
    rule_for,
    rules_satisfied_by,
    rules_started_by,
    rules_stopped_by,
)
from notify.domain.deadlines import (
    Due,
    add_months,
    due_at,
    occurrence_due,
    occurrences,
    remind_at,
    series_end,
)

__all__ = [
    "CLOCK_TABLE",
    "EVENT_CATALOG",
    "CalendarYearUnknown",
    "ClockRule",
    "ClockTableError",
    "Due",
    "DueAt",
    "Duration",
    "InvalidYearSchedule",
    "Repeat",
    "Role",
    "SpanFraction",
    "Subject",
    "Unit",
    "When",
    "WorkingCalendar",
    "WorkingDaySum",
    "YearSchedule",
    "add_months",
    "due_at",
    "library_schedule",
    "occurrence_due",
    "occurrences",
    "remind_at",
    "rule_for",
    "rules_satisfied_by",
    "rules_started_by",
    "rules_stopped_by",
    "series_end",
]
