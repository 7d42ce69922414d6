"""The entrustor's indicators of a project (JX-7.5.3, DOMAIN §10; issue 14 item 17), against
the real PostgreSQL: intake's case-work events and assessment's approved closures, as notify
consumes them, make the five groups of figures of `GET /v1/projects/{id}/indicators`; the
entrustor whose token names the project and the provider's supervisors read them, nobody else.
All data is synthetic."""

from collections.abc import AsyncIterator
from datetime import timedelta
from types import SimpleNamespace
from uuid import uuid4

import httpx
import pytest

from notify.api import indicators as indicators_api
from tests.integration import test_notify_deadlines
from tests.integration.harness import served
from tests.integration.test_notify_deadlines import (
    ORG,
    RECEIVED,
    Notify,
    published,
    visit_recorded,
)
from tests.integration.test_notify_projects import ENTRUSTOR, bearer, case_with_report, project_set

notify = test_notify_deadlines.notify  # the fixture: notify's database and store


@pytest.fixture
async def api(notify: Notify, tmp_path_factory) -> AsyncIterator[httpx.AsyncClient]:
    backbone = SimpleNamespace(engine=notify.engine)
    async with served(tmp_path_factory, indicators_api.router, backbone=backbone) as client:
        yield client


def closure_recorded(case_id: str, **figures: object) -> object:
    """An approved closure (Appendix D) with its share of the indicators, as assessment
    publishes it."""
    indicators = {
        "plan_completion_rate": 1.0,
        "goal_achievement_rate": None,
        "goal_reasonableness_rate": None,
        "sessions_on_schedule_rate": None,
        "client_satisfaction": None,
        "client_cooperation": None,
        "same_instrument_as_intake": None,
        **figures,
    }
    data = {
        "case_id": case_id,
        "organisation": ORG,
        "item_id": f"item-{uuid4().hex[:8]}",
        "worker_id": "worker-synthetic-1",
        "reason": "goals_met",
        "closed_at": (RECEIVED + timedelta(days=60)).isoformat(),
        "approved_by": "supervisor-synthetic-1",
        "sessions_done": 6,
        "planned_sessions": 6,
        "indicators": indicators,
        "rule_set": "JX-2025-MH",
    }
    return published("assessment.closure.recorded", data, RECEIVED + timedelta(days=60), case_id)


def investigated(case_id: str, report_id: str) -> list[object]:
    """The investigation and the initial statement of the case (SZ-6.2.1, SZ-6.2.2)."""
    base = {"case_id": case_id, "organisation": ORG, "child_id": f"child-{case_id}"}
    at = RECEIVED + timedelta(hours=30)
    return [
        published(
            "intake.case.investigation_recorded",
            {**base, "report_ids": [report_id], "investigated_at": at.isoformat()},
            at,
            case_id,
        ),
        published(
            "intake.case.initial_statement_recorded",
            {**base, "report_ids": [report_id], "recorded_at": at.isoformat()},
            at,
            case_id,
        ),
    ]


async def indicators(api: httpx.AsyncClient, project: str, headers: dict[str, str]) -> dict:
    answer = await api.get(f"/v1/projects/{project}/indicators", headers=headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def test_the_five_groups_come_from_the_projects_cases_and_their_closures(notify, api):
    project = f"project-{uuid4().hex[:6]}"
    (done, done_report), (begun, begun_report) = (
        await case_with_report(notify),
        await case_with_report(notify),
    )
    outside, _ = await case_with_report(notify)  # in no project: counts nowhere
    for case in (done, begun):
        await notify.handle(project_set(case, project))
    visit = visit_recorded(done_report, RECEIVED + timedelta(hours=20))
    visit.data["case_id"] = done
    for event in (visit, *investigated(done, done_report)):
        await notify.handle(event)
    await notify.handle(
        closure_recorded(
            done,
            client_cooperation="good",
            client_satisfaction=5,
            goal_achievement_rate=0.5,
            same_instrument_as_intake=True,
        )
    )
    await notify.handle(closure_recorded(outside, client_cooperation="poor"))
    del begun_report

    found = await indicators(api, project, bearer("entrustor", ENTRUSTOR, projects=(project,)))
    assert (found["rule"], found["cases"], found["closed_cases"]) == ("JX-7.5.3", 2, 1)
    groups = found["groups"]
    assert groups["client"]["cooperation_rate"]["value"] == 1.0  # the outside case's "poor" not
    assert groups["client"]["satisfaction_rate"]["value"] == 1.0
    assert groups["goals"]["achievement_rate"]["value"] == 0.5
    assert groups["plans"]["completion_rate"]["value"] == 1.0
    assert groups["records"]["standardisation"]["value"] == 1.0
    # one case holds the three records, the other none of them yet
    assert groups["records"]["completeness"]["value"] == 0.5
    management = groups["project_management"]
    assert management["orderliness"]["of"] > 0  # the begun case's report clocks run
    assert management["orderliness"]["value"] == 1.0  # none past due yet
    assert found == await indicators(api, project, bearer("supervisor"))


async def test_an_empty_project_named_in_the_entrustors_token_has_no_rates(notify, api):
    project = f"project-{uuid4().hex[:6]}"
    found = await indicators(api, project, bearer("entrustor", ENTRUSTOR, projects=(project,)))
    assert found["cases"] == 0
    assert found["groups"]["client"]["cooperation_rate"] == {
        "value": None,
        "counted": 0,
        "of": 0,
        "basis": "cooperation good or fair",
    }


async def test_only_the_entrustor_of_the_project_and_the_providers_supervisors_read_them(
    notify, api
):
    project = f"project-{uuid4().hex[:6]}"
    case, _ = await case_with_report(notify)
    await notify.handle(project_set(case, project))
    url = f"/v1/projects/{project}/indicators"
    not_named = bearer("entrustor", ENTRUSTOR, projects=("project-other",))
    other_entrustor = bearer("entrustor", "civil-affairs-other", projects=(project,))
    other_provider = bearer("supervisor", "org-synthetic-other")
    for headers in (not_named, other_provider):
        answer = await api.get(url, headers=headers)
        assert answer.status_code == 404, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
    assert (await indicators(api, project, other_entrustor))["cases"] == 0
    assert (await api.get(url, headers=bearer("worker"))).status_code == 403
    assert (await api.get(url, headers=bearer("partner"))).status_code == 403
    assert (await api.get(url)).status_code == 401
