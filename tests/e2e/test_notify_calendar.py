"""The notify service as a real process: working-day questions (DOMAIN §13) over HTTP with a
token, a problem body for a year it does not know, and the deadline list on its own database."""

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from events import devissuer
from tests.conftest import _asyncpg_url, _create_database, _drop_database
from tests.e2e.conftest import ROOT, Running, start_service, wait_until


@pytest.fixture(scope="module")
def notify(stack: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    admin = stack["CARELEDGER_PG_ADMIN_URL"]
    db = asyncio.run(_create_database(admin))
    service = start_service("notify", _asyncpg_url(admin, db), tmp_path_factory.mktemp("notify"))
    try:
        wait_until(service, "/ready", 200)
        yield service
    finally:
        service.stop()
        asyncio.run(_drop_database(admin, db))


def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {devissuer.issue_token('worker', org='org-synthetic')}"}


def test_five_working_days_across_national_day_2026_fall_on_12_october(notify: Running) -> None:
    response = httpx.get(
        notify.url + "/v1/calendar/add-working-days",
        params={"start": "2026-09-29", "days": 5},
        headers=auth(),
    )
    assert response.status_code == 200
    assert response.json() == {"start": "2026-09-29", "days": 5, "due": "2026-10-12"}


def test_saturday_10_october_2026_is_a_working_day(notify: Running) -> None:
    response = httpx.get(
        notify.url + "/v1/calendar/working-day", params={"date": "2026-10-10"}, headers=auth()
    )
    assert response.json() == {"date": "2026-10-10", "working_day": True, "holiday": None}


def test_an_unknown_year_gets_a_problem_body_naming_it(notify: Running) -> None:
    response = httpx.get(
        notify.url + "/v1/calendar/working-day", params={"date": "2027-01-04"}, headers=auth()
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith("/calendar-year-unknown")
    assert response.json()["year"] == 2027


def test_the_calendar_refuses_a_caller_without_a_token(notify: Running) -> None:
    response = httpx.get(notify.url + "/v1/calendar/working-day", params={"date": "2026-10-10"})
    assert response.status_code == 401


def test_the_real_process_lists_deadlines_to_a_supervisor_and_its_scheduler_runs(
    notify: Running,
) -> None:
    token = devissuer.issue_token("supervisor", org="org-synthetic")
    response = httpx.get(
        notify.url + "/v1/deadlines",
        params={"state": "overdue"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    assert response.json() == []  # a new database: the read model exists and is empty
    log = notify.log.read_text()
    assert "deadline scheduler started" in log
    assert "deadline scheduler failed" not in log


def cli_token(*args: str) -> str:
    """A token from the development issuer's command line, as `make token` prints it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "libs")}
    command = [sys.executable, "-m", "events.devissuer", "token", *args]
    return subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout


def test_only_an_operator_loads_a_calendar_year_and_the_token_cli_issues_one(
    notify: Running,
) -> None:
    """The calendar is national (DOMAIN §13): an organisation's admin may not move every
    organisation's deadlines; a platform operator may."""
    body = {"holidays": [{"date": "2031-01-01", "name": "元旦"}]}
    url = notify.url + "/v1/calendar/years/2031"  # 2027 stays unknown for the test above
    admin = cli_token("--role", "org_admin", "--org", "org-synthetic").strip()
    refused = httpx.put(url, json=body, headers={"Authorization": f"Bearer {admin}"})
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    operator = cli_token("--role", "operator").strip()
    loaded = httpx.put(url, json=body, headers={"Authorization": f"Bearer {operator}"})
    assert loaded.status_code == 200, loaded.text
    assert loaded.json()["loaded_by"] == "dev-operator"
    day = httpx.get(
        notify.url + "/v1/calendar/working-day", params={"date": "2031-01-01"}, headers=auth()
    )
    assert day.json() == {"date": "2031-01-01", "working_day": False, "holiday": "元旦"}


def test_absurd_dates_get_a_problem_not_a_server_error(notify: Running) -> None:
    for path, params in (
        ("/v1/calendar/add-working-days", {"start": "9999-12-31", "days": 1}),
        ("/v1/calendar/working-day", {"date": "0001-01-01"}),
    ):
        response = httpx.get(notify.url + path, params=params, headers=auth())
        assert response.status_code == 422, response.text
        assert response.json()["type"].endswith("/validation-error")


def test_provisionally_an_unknown_year_is_counted_as_clocks_count_it_s13(notify: Running) -> None:
    """Issue 14 items 14-15: `provisional=true` answers what a clock counts for 2027, whose
    notice nobody loaded: Monday to Friday less New Year's Day, flagged with the year."""
    response = httpx.get(
        notify.url + "/v1/calendar/add-working-days",
        params={"start": "2026-12-24", "days": 10, "provisional": "true"},
        headers=auth(),
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "start": "2026-12-24",
        "days": 10,
        "due": "2027-01-08",
        "provisional": True,
        "missing_years": [2027],
    }
