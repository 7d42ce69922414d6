"""The notify process with its dispatcher: subscriptions over HTTP with a token, the webhook
secret shown once, and the dispatcher reported by /ready. Synthetic data only."""

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from events import devissuer
from tests.conftest import _asyncpg_url, _create_database, _drop_database
from tests.e2e.conftest import Running, start_service, wait_until

ORG = "org-synthetic-e2e"


@pytest.fixture(scope="module")
def notify(stack: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    admin = stack["CARELEDGER_PG_ADMIN_URL"]
    db = asyncio.run(_create_database(admin))
    service = start_service(
        "notify",
        _asyncpg_url(admin, db),
        tmp_path_factory.mktemp("notify"),
        NOTIFY_DISPATCHER_IDLE_SECONDS="0.2",
    )
    try:
        wait_until(service, "/ready", 200)
        yield service
    finally:
        service.stop()
        asyncio.run(_drop_database(admin, db))


def auth(role: str, agency: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {devissuer.issue_token(role, org=ORG, agency=agency)}"}


def test_the_dispatcher_runs_beside_the_scheduler_and_is_reported_ready(notify: Running) -> None:
    checks = httpx.get(notify.url + "/ready").json()["checks"]
    assert checks["dispatcher:notify"]["state"] == "running"
    assert checks["scheduler:notify"]["state"] == "running"
    assert "notification dispatcher started" in notify.log.read_text()


def test_a_police_partner_subscribes_and_sees_its_secret_only_in_the_answer(
    notify: Running,
) -> None:
    body = {
        "channel": "webhook",
        "target": "https://hooks.police-synthetic.example/careledger",
        "event_types": ["intake.mandatory_report.filed"],
        "language": "en",
    }
    created = httpx.post(
        notify.url + "/v1/subscriptions", json=body, headers=auth("partner", "police")
    )
    assert created.status_code == 201, created.text
    assert created.json()["secret"] and created.json()["agency"] == "police"
    listed = httpx.get(notify.url + "/v1/subscriptions", headers=auth("supervisor")).json()
    assert [s["target"] for s in listed] == [body["target"]]
    assert all("secret" not in s for s in listed)


def test_a_worker_may_not_subscribe(notify: Running) -> None:
    body = {"channel": "email", "target": "a@b.example", "event_types": ["notify.escalated"]}
    response = httpx.post(notify.url + "/v1/subscriptions", json=body, headers=auth("worker"))
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "target",
    [
        "https://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:8001/v1/reports",
        "https://localhost/hook",
        "https://192.168.0.10/hook",
    ],
)
def test_the_service_refuses_a_webhook_inside_the_network(notify: Running, target: str) -> None:
    """ARCHITECTURE, Security: notify calls public addresses only (no request forgery)."""
    body = {"channel": "webhook", "target": target, "event_types": ["notify.escalated"]}
    response = httpx.post(notify.url + "/v1/subscriptions", json=body, headers=auth("supervisor"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["violations"][0]["code"] == "webhook_target_not_public"
