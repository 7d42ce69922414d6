"""The working-day calendar over HTTP (`/v1/calendar/...`, DOMAIN §13): authenticated, pure,
and refusing what it cannot answer with a problem body instead of a guess.

Dates are those of the State Council's 2026 notice as chinesecalendar carries it: National Day
1-7 October with Sunday 20 September and Saturday 10 October worked; 2027 is not known.
"""

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from events import devissuer
from events.auth import TokenVerifier
from events.problems import PROBLEM_BASE, install_problem_handlers
from notify.api import calendar

ADD = "/v1/calendar/add-working-days"
DAY = "/v1/calendar/working-day"
PROBLEM_JSON = "application/problem+json"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv(devissuer.DIR_ENV, str(tmp_path_factory.mktemp("dev-issuer")))
        app = FastAPI()
        install_problem_handlers(app)
        app.state.verifier = TokenVerifier(devissuer.dev_auth_config())
        app.include_router(calendar.router)
        with TestClient(app) as test_client:
            token = devissuer.issue_token("worker", org="org-synthetic")
            test_client.headers["Authorization"] = f"Bearer {token}"
            yield test_client


def test_five_working_days_from_29_september_2026_skip_national_day_and_count_saturday_10_october(
    client: TestClient,
) -> None:
    # 30 Sep (1), 1-7 Oct holiday, 8 Oct (2), 9 Oct (3), Sat 10 Oct worked (4), 12 Oct (5)
    response = client.get(ADD, params={"start": "2026-09-29", "days": 5})
    assert response.status_code == 200
    assert response.json() == {"start": "2026-09-29", "days": 5, "due": "2026-10-12"}


def test_zero_working_days_give_the_start_itself(client: TestClient) -> None:
    response = client.get(ADD, params={"start": "2026-10-03", "days": 0})
    assert response.json()["due"] == "2026-10-03"


def test_a_shifted_saturday_is_a_working_day_without_a_holiday_name(client: TestClient) -> None:
    response = client.get(DAY, params={"date": "2026-10-10"})
    assert response.status_code == 200
    assert response.json() == {"date": "2026-10-10", "working_day": True, "holiday": None}


def test_a_weekday_of_national_day_is_a_named_holiday(client: TestClient) -> None:
    body = client.get(DAY, params={"date": "2026-10-05"}).json()
    assert body["working_day"] is False
    assert body["holiday"] == "National Day"


def test_an_ordinary_sunday_is_no_working_day_and_no_holiday(client: TestClient) -> None:
    body = client.get(DAY, params={"date": "2026-11-22"}).json()
    assert body == {"date": "2026-11-22", "working_day": False, "holiday": None}


@pytest.mark.parametrize(
    ("path", "params"),
    [(DAY, {"date": "2027-03-01"}), (ADD, {"start": "2026-12-28", "days": 5})],
)
def test_a_year_without_a_loaded_notice_is_refused_with_a_problem_naming_it(
    client: TestClient, path: str, params: dict[str, object]
) -> None:
    response = client.get(path, params=params)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body = response.json()
    assert body["type"] == PROBLEM_BASE + "calendar-year-unknown"
    assert body["year"] == 2027
    assert "2027" in body["detail"]


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        (ADD, {"start": "2026-02-30", "days": 1}, "start"),
        (ADD, {"start": "2026-09-29", "days": -1}, "days"),
        (ADD, {"start": "2026-09-29", "days": "five"}, "days"),
        (ADD, {"days": 1}, "start"),
        (DAY, {"date": "yesterday"}, "date"),
    ],
)
def test_bad_parameters_are_refused_with_a_problem_naming_the_parameter(
    client: TestClient, path: str, params: dict[str, object], field: str
) -> None:
    response = client.get(path, params=params)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_the_calendar_needs_a_token(client: TestClient) -> None:
    response = client.get(DAY, params={"date": "2026-10-10"}, headers={"Authorization": ""})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith(PROBLEM_JSON)


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        (ADD, {"start": "9999-12-31", "days": 1}, "start"),  # was a 500: past the last date
        (ADD, {"start": "0001-01-01", "days": 1}, "start"),
        (ADD, {"start": "2026-09-29", "days": 10**30}, "days"),
        (DAY, {"date": "9999-12-31"}, "date"),
        (DAY, {"date": "1999-12-31"}, "date"),
    ],
)
def test_dates_outside_the_years_notify_counts_are_refused_with_a_problem(
    client: TestClient, path: str, params: dict[str, object], field: str
) -> None:
    response = client.get(path, params=params)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert response.json()["type"] == PROBLEM_BASE + "validation-error"
    assert [e["field"] for e in response.json()["errors"]] == [field]


# --- provisional=true: what clocks count for a year nobody loaded (§13, issue 14 item 15) -------


def test_provisionally_24_december_2026_plus_10_working_days_is_8_january_and_flagged(
    client: TestClient,
) -> None:
    # 25, 28-31 Dec (5); 1 Jan is New Year's Day, a fixed-date holiday; 4-8 Jan (10)
    response = client.get(ADD, params={"start": "2026-12-24", "days": 10, "provisional": "true"})
    assert response.status_code == 200
    assert response.json() == {
        "start": "2026-12-24",
        "days": 10,
        "due": "2027-01-08",
        "provisional": True,
        "missing_years": [2027],
    }


def test_provisionally_a_known_year_is_counted_exactly_and_not_flagged(client: TestClient) -> None:
    response = client.get(ADD, params={"start": "2026-09-29", "days": 5, "provisional": "true"})
    assert response.json() == {
        "start": "2026-09-29",
        "days": 5,
        "due": "2026-10-12",
        "provisional": False,
        "missing_years": [],
    }


def test_provisionally_national_day_2027_is_a_holiday_and_flagged(client: TestClient) -> None:
    response = client.get(DAY, params={"date": "2027-10-01", "provisional": "true"})
    assert response.status_code == 200
    assert response.json() == {
        "date": "2027-10-01",
        "working_day": False,
        "holiday": "National Day",
        "provisional": True,
        "missing_years": [2027],
    }


def test_without_provisional_an_unknown_year_is_still_refused(client: TestClient) -> None:
    response = client.get(ADD, params={"start": "2026-12-24", "days": 10, "provisional": "false"})
    assert response.status_code == 422
    assert response.json()["type"] == PROBLEM_BASE + "calendar-year-unknown"
