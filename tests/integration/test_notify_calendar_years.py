"""Calendar years an administrator loads (DOMAIN §13), against the real PostgreSQL: a clock that
reaches an unknown year is set provisionally and raises one alert per year; loading the year
(PUT /v1/calendar/years/{year}) recomputes it; another replica learns the year on its next
scheduler tick. Time is frozen; the 2027 schedule is illustrative, all data synthetic.
"""

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import httpx
import pytest
from sqlalchemy import select

from events import devissuer
from events.api import now
from events.context import Context
from events.envelope import Metadata
from notify.api import calendar_years
from notify.domain import WorkingCalendar, YearSchedule
from notify.domain.calendar import LoadCalendarYear
from notify.domain.subscriptions import Channel, CreateSubscription, Language
from notify.handlers import calendar as calendar_handlers
from notify.handlers import subscriptions as subscription_handlers
from notify.projections.tables import deliveries
from tests.integration import test_notify_deadlines
from tests.integration.harness import served
from tests.integration.test_notify_deadlines import (
    ORG,
    FrozenClock,
    Notify,
    risk_graded,
)

notify = test_notify_deadlines.notify  # the fixture: notify's database and store

GRADED = datetime(2026, 12, 28, 2, 0, tzinfo=UTC)  # Monday; 5 working days reach into 2027
NOW = datetime(2026, 12, 29, 1, 0, tzinfo=UTC)
HIGH_RISK = "mental_health.start_high_risk"
SCHEDULE_2027 = {
    "holidays": [{"date": "2027-01-01", "name": "元旦"}],
    "extra_workdays": [],
}
SCHEDULE_2026 = {"holidays": [{"date": "2026-01-01", "name": "元旦"}]}


@pytest.fixture
async def api(notify: Notify, tmp_path_factory) -> AsyncIterator[httpx.AsyncClient]:
    backbone = SimpleNamespace(engine=notify.engine, uow=notify.uow)
    state = {"calendar": WorkingCalendar()}
    async with served(tmp_path_factory, calendar_years.router, backbone=backbone, **state) as api:
        api.app.dependency_overrides[now] = FrozenClock(NOW).now  # type: ignore[attr-defined]
        yield api


def bearer(role: str, org: str | None = ORG) -> dict[str, str]:
    return {"Authorization": f"Bearer {devissuer.issue_token(role, org=org)}"}


async def subscribe_admins(notify: Notify) -> str:
    command = CreateSubscription(
        ORG,
        None,
        Channel.EMAIL,
        "admins@org-synthetic.example",
        ["notify.calendar.year_needed"],
        Language.EN,
    )
    ctx = Context(Metadata(actor="admin-synthetic-1"))
    async with notify.uow() as uow:
        subscription_id, _ = await subscription_handlers.create(command, uow, ctx)
    return subscription_id


async def queued_for(notify: Notify, subscription_id: str) -> list[Any]:
    query = select(deliveries).where(deliveries.c.subscription_id == subscription_id)
    async with notify.engine.connect() as conn:
        return list((await conn.execute(query)).all())


async def calendar_stream(notify: Notify, year: int) -> list[str]:
    async with notify.engine.connect() as conn:
        return [e.type for e in await notify.store.read_stream(conn, f"calendar-{year}")]


async def high_risk_clock(notify: Notify) -> Any:
    case = f"case-{uuid4().hex[:10]}"
    await notify.handle(risk_graded(case, "high", GRADED))
    return (await notify.rows(subject_id=case))[HIGH_RISK]


async def test_a_clock_reaching_an_unknown_year_alerts_the_admins_once_per_year(notify):
    subscription = await subscribe_admins(notify)
    first, second = await high_risk_clock(notify), await high_risk_clock(notify)
    assert first.provisional and second.provisional and first.missing_years == [2027]
    assert await calendar_stream(notify, 2027) == ["notify.calendar.year_needed.v1"]
    (delivery,) = await queued_for(notify, subscription)
    assert delivery.event_type == "notify.calendar.year_needed"
    assert "2027" in delivery.title and "PUT /v1/calendar/years/2027" in delivery.text


async def test_loading_the_year_recomputes_the_provisional_clock(notify, api):
    row = await high_risk_clock(notify)
    # Mon-Fri less the fixed-date holidays (1 Jan, issue 14 item 14): 29-31 Dec, 4, 5 Jan
    assert row.due_at == datetime(2027, 1, 5, 15, 59, 59, tzinfo=UTC) and row.provisional
    response = await api.put(
        "/v1/calendar/years/2027", json=SCHEDULE_2027, headers=bearer("operator")
    )
    assert response.status_code == 200, response.text
    assert response.json()["source"] == "loaded"
    after = (await notify.rows(subject_id=row.subject_id))[HIGH_RISK]
    # 29, 30, 31 Dec, [1 Jan holiday], 4, 5 Jan: due at the end of 5 Jan, China time
    assert after.due_at == datetime(2027, 1, 5, 15, 59, 59, tzinfo=UTC)
    assert after.provisional is False and after.missing_years == []
    async with notify.engine.connect() as conn:
        last = (await notify.store.read_stream(conn, row.stream_id))[-1]
    assert last.type == "notify.deadline.recomputed.v1"
    assert last.data["previous_due_at"].startswith("2027-01-05") and last.data["years_loaded"] == [
        2027
    ]
    assert api.app.state.calendar.is_working_day(date(2027, 1, 1)) is False  # type: ignore[attr-defined]
    # the same schedule again appends nothing
    again = await api.put("/v1/calendar/years/2027", json=SCHEDULE_2027, headers=bearer("operator"))
    assert again.status_code == 200
    assert await calendar_stream(notify, 2027) == [
        "notify.calendar.year_needed.v1",
        "notify.calendar.year_loaded.v1",
    ]


async def test_loaded_and_library_years_are_listed_and_shown(notify, api):
    await api.put("/v1/calendar/years/2027", json=SCHEDULE_2027, headers=bearer("operator"))
    listed = (await api.get("/v1/calendar/years", headers=bearer("worker"))).json()
    assert {
        "year": 2027,
        "source": "loaded",
        "loaded_at": NOW.isoformat().replace("+00:00", "Z"),
    } in listed
    assert {"year": 2026, "source": "library", "loaded_at": None} in listed
    shown = (await api.get("/v1/calendar/years/2027", headers=bearer("worker"))).json()
    assert shown["holidays"] == [{"date": "2027-01-01", "name": "元旦"}]
    library = (await api.get("/v1/calendar/years/2026", headers=bearer("worker"))).json()
    assert {"date": "2026-10-01", "name": "National Day"} in library["holidays"]
    assert "2026-10-10" in library["extra_workdays"]  # a Saturday worked (调休)
    unknown = await api.get("/v1/calendar/years/2031", headers=bearer("worker"))
    assert unknown.status_code == 404 and unknown.json()["type"].endswith("calendar-year-unknown")
    assert (await api.get("/v1/calendar/years")).status_code == 401


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (
            {
                "holidays": [{"date": "2027-01-02", "name": "元旦"}],
                "extra_workdays": ["2027-01-04"],
            },
            422,
            "extra_workdays",
        ),
        ({"holidays": [{"date": "2028-01-01", "name": "元旦"}]}, 422, "holidays"),
        (
            {
                "holidays": [
                    {"date": "2027-01-01", "name": "a"},
                    {"date": "2027-01-01", "name": "b"},
                ]
            },
            422,
            "holidays",
        ),
        ({"holidays": []}, 422, "holidays"),
        ({"holidays": [{"date": "2027-13-01", "name": "x"}]}, 422, "holidays.0.date"),
    ],
)
async def test_a_schedule_that_cannot_be_right_is_a_422_naming_the_field(api, body, status, field):
    response = await api.put("/v1/calendar/years/2027", json=body, headers=bearer("operator"))
    assert response.status_code == status, response.text
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in problem["errors"]]


async def test_a_library_year_is_replaced_only_when_asked(api):
    body = {"holidays": [{"date": "2026-01-01", "name": "元旦"}]}
    refused = await api.put("/v1/calendar/years/2026", json=body, headers=bearer("operator"))
    assert refused.status_code == 409 and refused.json()["type"].endswith("calendar-year-known")
    replaced = await api.put(
        "/v1/calendar/years/2026",
        json={**body, "replace_library": True},
        headers=bearer("operator"),
    )
    assert replaced.status_code == 200 and replaced.json()["source"] == "loaded"


@pytest.mark.parametrize(
    "role", ["org_admin", "supervisor", "worker", "entrustor", "partner", "auditor", "service"]
)
async def test_only_a_platform_operator_loads_or_replaces_a_year(notify, api, role):
    """The calendar is national: one organisation's admin must not move every organisation's
    deadlines (ARCHITECTURE, Security: roles; DOMAIN §13)."""
    for year, body in ((2027, SCHEDULE_2027), (2026, {**SCHEDULE_2026, "replace_library": True})):
        response = await api.put(f"/v1/calendar/years/{year}", json=body, headers=bearer(role))
        assert response.status_code == 403, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    assert await calendar_stream(notify, 2027) == []
    assert (await api.get("/v1/calendar/years/2027", headers=bearer(role))).status_code == 404


async def test_an_operator_needs_no_organisation_to_load_a_year(notify, api):
    response = await api.put(
        "/v1/calendar/years/2027", json=SCHEDULE_2027, headers=bearer("operator", org=None)
    )
    assert response.status_code == 200, response.text
    assert response.json()["loaded_by"] == "dev-operator"


LONG = "节" * 300_000  # 300 K characters, under the edge's 1 MB body limit once encoded


@pytest.mark.parametrize(
    ("year", "body", "field"),
    [
        ("9999", SCHEDULE_2027, "path.year"),
        ("0", SCHEDULE_2027, "path.year"),
        ("-1", SCHEDULE_2027, "path.year"),
        ("1999", SCHEDULE_2027, "path.year"),
        ("2101", SCHEDULE_2027, "path.year"),
        ("2027", {"holidays": [{"date": "2027-01-01", "name": LONG}]}, "holidays.0.name"),
        ("2027", {"holidays": [{"date": "2027-01-01", "name": "元旦\nX"}]}, "holidays.0.name"),
        ("2027", {"holidays": [{"date": "9999-12-31", "name": "x"}]}, "holidays"),
        ("2027", {"holidays": [{"date": "0001-01-01", "name": "x"}]}, "holidays"),
        (
            "2027",
            {"holidays": [{"date": f"2027-01-{d:02}", "name": "x"} for d in range(1, 32)] * 2},
            "holidays",
        ),
        ("2027", {**SCHEDULE_2027, "extra_workdays": ["2027-01-02"] * 31}, "extra_workdays"),
    ],
)
async def test_absurd_years_names_dates_and_lists_are_422_problems(notify, api, year, body, field):
    response = await api.put(f"/v1/calendar/years/{year}", json=body, headers=bearer("operator"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in response.json()["errors"]]
    assert LONG not in response.text
    assert await calendar_stream(notify, 2027) == []


@pytest.mark.parametrize("year", ["9999", "0", "-1"])
async def test_reading_an_absurd_year_is_a_422_problem(api, year):
    response = await api.get(f"/v1/calendar/years/{year}", headers=bearer("worker"))
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_another_replica_learns_the_year_on_its_next_tick_and_recomputes(notify):
    row = await high_risk_clock(notify)
    schedule = YearSchedule(2027, {date(2027, 1, 1): "元旦"}, frozenset())
    async with notify.uow() as uow:  # loaded through another replica, which recomputed nothing
        loaded = LoadCalendarYear(schedule, False, NOW)
        await calendar_handlers.store_year(uow, loaded, Metadata(actor="admin-synthetic-1"))
        await uow.commit()
    scheduler = notify.scheduler(NOW)
    assert scheduler.calendar.loaded(2027) is None
    assert await scheduler.settle_calendar(NOW) == 1
    assert scheduler.calendar.loaded(2027) == schedule
    after = (await notify.rows(subject_id=row.subject_id))[HIGH_RISK]
    assert after.due_at == datetime(2027, 1, 5, 15, 59, 59, tzinfo=UTC) and not after.provisional
    assert await scheduler.settle_calendar(NOW) == 0
