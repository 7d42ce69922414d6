"""Deadlines per project (DOMAIN §1, ARCHITECTURE "an entrustor its projects'"), against the
real PostgreSQL: intake's `intake.case.project_set` puts a case in a project; the deadlines of
the case and of its reports, child and tasks are listed per project, to the organisation's
supervisors and to the entrustor that commissions the project. All data is synthetic."""

from collections.abc import AsyncIterator
from datetime import timedelta
from types import SimpleNamespace
from uuid import uuid4

import httpx
import pytest

from events import devissuer
from events.envelope import Envelope
from notify.api import deadlines as deadlines_api
from tests.integration import test_notify_deadlines
from tests.integration.harness import served
from tests.integration.test_notify_deadlines import (
    ORG,
    RECEIVED,
    Notify,
    case_opened,
    published,
    report_received,
)

notify = test_notify_deadlines.notify  # the fixture: notify's database and store
ENTRUSTOR = "civil-affairs-synthetic"


@pytest.fixture
async def api(notify: Notify, tmp_path_factory) -> AsyncIterator[httpx.AsyncClient]:
    backbone = SimpleNamespace(engine=notify.engine)
    async with served(tmp_path_factory, deadlines_api.router, backbone=backbone) as client:
        yield client


def bearer(role: str, org: str = ORG) -> dict[str, str]:
    return {"Authorization": f"Bearer {devissuer.issue_token(role, org=org)}"}


def project_set(case_id: str, project: str, entrustor: str = ENTRUSTOR) -> Envelope:
    data = {
        "case_id": case_id,
        "organisation": ORG,
        "project_id": project,
        "entrustor_org": entrustor,
        "set_at": RECEIVED.isoformat(),
        "set_by": "supervisor-synthetic-1",
    }
    return published("intake.case.project_set", data, RECEIVED, case_id)


async def case_with_report(notify: Notify) -> tuple[str, str]:
    """A report (its 72 h clock) and the case opened from it."""
    report = f"report-{uuid4().hex[:10]}"
    await notify.handle(report_received(report, emergency=False))
    case = f"case-{report}"
    opened = case_opened(case, RECEIVED + timedelta(hours=1))
    opened.data["report_ids"] = [report]
    await notify.handle(opened)
    return case, report


async def listed(api: httpx.AsyncClient, headers: dict[str, str], **params: str) -> list[str]:
    response = await api.get("/v1/deadlines", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return sorted(d["subject_id"] for d in response.json())


async def test_deadlines_are_listed_per_project_to_supervisors_and_the_entrustor(notify, api):
    project = f"project-{uuid4().hex[:6]}"
    (case_in, report_in), (_, report_out) = (
        await case_with_report(notify),
        await case_with_report(notify),
    )
    await notify.handle(project_set(case_in, project))
    assert await listed(api, bearer("supervisor"), project=project) == [report_in]
    assert await listed(api, bearer("supervisor")) == sorted([report_in, report_out])
    assert await listed(api, bearer("entrustor", ENTRUSTOR)) == [report_in]
    assert await listed(api, bearer("entrustor", ENTRUSTOR), project=project) == [report_in]
    assert await listed(api, bearer("entrustor", "civil-affairs-other")) == []


async def test_a_case_moved_to_another_project_leaves_the_first(notify, api):
    first, second = f"project-{uuid4().hex[:6]}", f"project-{uuid4().hex[:6]}"
    case, report = await case_with_report(notify)
    await notify.handle(project_set(case, first))
    await notify.handle(project_set(case, second, "civil-affairs-second"))
    assert await listed(api, bearer("supervisor"), project=first) == []
    assert await listed(api, bearer("entrustor", "civil-affairs-second")) == [report]
    assert await listed(api, bearer("entrustor", ENTRUSTOR)) == []


async def test_partners_are_refused_and_staff_see_only_their_organisation(api):
    assert (await api.get("/v1/deadlines", headers=bearer("partner"))).status_code == 403
    other = await api.get(
        "/v1/deadlines", params={"organisation": "o2"}, headers=bearer("org_admin")
    )
    assert other.status_code == 403
