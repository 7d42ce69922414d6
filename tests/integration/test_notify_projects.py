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


def bearer(
    role: str | list[str],
    org: str = ORG,
    *,
    projects: tuple[str, ...] = (),
    subject: str | None = None,
) -> dict[str, str]:
    token = devissuer.issue_token(role, org=org, subject=subject, projects=projects)
    return {"Authorization": f"Bearer {token}"}


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


async def case_with_report(
    notify: Notify, received_by: str = "worker-synthetic-1"
) -> tuple[str, str]:
    """A report (its 72 h clock, naming `received_by`) and the case opened from it."""
    report = f"report-{uuid4().hex[:10]}"
    received = report_received(report, emergency=False)
    received.data["received_by"] = received_by
    await notify.handle(received)
    case = f"case-{report}"
    opened = case_opened(case, RECEIVED + timedelta(hours=1))
    opened.data["report_ids"] = [report]
    await notify.handle(opened)
    return case, report


async def listed(api: httpx.AsyncClient, headers: dict[str, str], **params: str) -> list[str]:
    response = await api.get("/v1/deadlines", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return sorted({d["subject_id"] for d in response.json()})  # a report has several clocks


async def test_deadlines_are_listed_per_project_to_supervisors_and_the_entrustor(notify, api):
    project = f"project-{uuid4().hex[:6]}"
    (case_in, report_in), (_, report_out) = (
        await case_with_report(notify),
        await case_with_report(notify),
    )
    await notify.handle(project_set(case_in, project))
    assert await listed(api, bearer("supervisor"), project=project) == [report_in]
    assert await listed(api, bearer("supervisor")) == sorted([report_in, report_out])
    entrustor = bearer("entrustor", ENTRUSTOR, projects=(project,))
    assert await listed(api, entrustor) == [report_in]
    assert await listed(api, entrustor, project=project) == [report_in]
    assert await listed(api, bearer("entrustor", "civil-affairs-other", projects=(project,))) == []


async def test_a_case_moved_to_another_project_leaves_the_first(notify, api):
    first, second = f"project-{uuid4().hex[:6]}", f"project-{uuid4().hex[:6]}"
    case, report = await case_with_report(notify)
    await notify.handle(project_set(case, first))
    await notify.handle(project_set(case, second, "civil-affairs-second"))
    assert await listed(api, bearer("supervisor"), project=first) == []
    second_entrustor = bearer("entrustor", "civil-affairs-second", projects=(second,))
    assert await listed(api, second_entrustor) == [report]
    assert await listed(api, bearer("entrustor", ENTRUSTOR, projects=(first,))) == []


async def test_partners_are_refused_and_staff_see_only_their_organisation(api):
    assert (await api.get("/v1/deadlines", headers=bearer("partner"))).status_code == 403
    other = await api.get(
        "/v1/deadlines", params={"organisation": "o2"}, headers=bearer("org_admin")
    )
    assert other.status_code == 403


async def test_an_entrustor_sees_only_the_projects_its_token_names(notify, api):
    """ARCHITECTURE, record-level rules: "an entrustor its projects'" are those the token
    names, not every project its organisation ever commissioned."""
    named, unnamed = f"project-{uuid4().hex[:6]}", f"project-{uuid4().hex[:6]}"
    (case_named, report_named), (case_unnamed, _) = (
        await case_with_report(notify),
        await case_with_report(notify),
    )
    await notify.handle(project_set(case_named, named))
    await notify.handle(project_set(case_unnamed, unnamed))
    assert await listed(api, bearer("entrustor", ENTRUSTOR, projects=(named,))) == [report_named]
    assert await listed(api, bearer("entrustor", ENTRUSTOR)) == []  # a token naming none
    refused = await listed(api, bearer("entrustor", ENTRUSTOR, projects=(named,)), project=unnamed)
    assert refused == []


async def test_a_worker_who_is_also_an_entrustor_sees_their_own_clocks_and_their_projects(
    notify, api
):
    """Several roles see what each grants on its own terms, never the organisation as a whole
    unless a role that sees it (supervisor, org admin) is held."""
    me, colleague = "worker-synthetic-1", "worker-synthetic-7"
    project, other = f"project-{uuid4().hex[:6]}", f"project-{uuid4().hex[:6]}"
    _, mine = await case_with_report(notify, received_by=me)
    case_in, in_project = await case_with_report(notify, received_by=colleague)
    case_other, _ = await case_with_report(notify, received_by=colleague)
    _, unrelated = await case_with_report(notify, received_by=colleague)
    await notify.handle(project_set(case_in, project, entrustor=ORG))
    await notify.handle(project_set(case_other, other, entrustor=ORG))
    both = bearer(["worker", "entrustor"], ORG, projects=(project,), subject=me)
    assert await listed(api, both) == sorted([mine, in_project])
    assert unrelated not in await listed(api, both)
    assert await listed(api, both, worker=colleague) == [in_project]
    assert await listed(api, both, state="met") == []
    supervisor = bearer(["supervisor", "entrustor"], ORG, projects=(project,), subject=me)
    assert len(await listed(api, supervisor)) == 4  # a supervisor sees the organisation


LONG = "w" * 60_000  # as long as httpx lets a query be (64 K)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"worker": LONG}, "worker"),
        ({"organisation": LONG}, "organisation"),
        ({"project": LONG}, "project"),
        ({"limit": "0"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "99999999999999999999"}, "limit"),
        ({"state": "x" * 1000}, "state"),
    ],
)
async def test_absurd_list_parameters_are_422_problems(api, params, field):
    response = await api.get("/v1/deadlines", params=params, headers=bearer("supervisor"))
    assert response.status_code == 422, response.text[:300]
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert LONG not in response.text
