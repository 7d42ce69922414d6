"""The five services as real processes: health, readiness, authentication, problem bodies,
clean shutdown, and a service that cannot reach its database."""

import time

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from events import devissuer
from tests.e2e.conftest import start_service, wait_until

# uvicorn finishes the lifespan shutdown, then re-raises the signal it caught.
STOPPED_BY_SIGTERM = {0, -15}
# Services whose consumers are not built yet subscribe to nothing (issue 11, item 8).
HANDLE_NOTHING_YET = {"referral", "archive"}


def test_every_service_is_healthy_and_ready_with_each_dependency_reported(services):
    for service in services.values():
        assert httpx.get(service.url + "/health").json() == {"status": "ok"}
        ready = httpx.get(service.url + "/ready").json()
        assert ready["ready"] is True
        checks = ready["checks"]
        assert checks["database"]["ok"] and checks["keystore"]["ok"] and checks["kafka"]["ok"]
        assert checks["outbox_relay"]["state"] in {"running", "standby"}
        if service.name in HANDLE_NOTHING_YET:  # no consumer: it would skip the history
            assert "consumer" not in checks
        else:
            assert checks["consumer"]["state"] in {"running", "standby"}


def test_an_endpoint_without_a_token_is_refused_with_a_problem_body(services):
    response = httpx.get(services["intake"].url + "/v1/event-schemas")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["type"].endswith("/unauthorized")


def test_a_development_token_opens_the_api(services):
    token = devissuer.issue_token("supervisor", org="org-demo")
    for service in services.values():
        response = httpx.get(
            service.url + "/v1/event-schemas", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200
        assert isinstance(response.json(), dict)


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": 1},  # long expired
        {"aud": "someone-else"},
        {"iss": "not-the-issuer"},
    ],
)
def test_tokens_with_bad_claims_are_refused(services, claims):
    good = jwt.decode(
        devissuer.issue_token("worker", org="org-demo"), options={"verify_signature": False}
    )
    key = serialization.load_pem_private_key(
        (devissuer.key_dir() / "private.pem").read_bytes(), password=None
    )
    bad = jwt.encode({**good, **claims}, key, algorithm="RS256")  # type: ignore[arg-type]
    response = httpx.get(
        services["assessment"].url + "/v1/event-schemas", headers={"Authorization": f"Bearer {bad}"}
    )
    assert response.status_code == 401
    assert response.json()["type"].endswith("/unauthorized")


def test_an_unknown_route_gets_a_404_problem(services):
    token = devissuer.issue_token("supervisor", org="org-demo")
    url = services["referral"].url + "/v1/no-such-thing"
    response = httpx.get(url, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 404
    # Without a token, nothing is told, not even whether the route exists (events.edge).
    assert httpx.get(url).status_code == 401


def test_a_service_that_cannot_reach_its_database_is_alive_but_not_ready(stack, tmp_path):
    service = start_service(
        "notify", "postgresql+asyncpg://careledger:x@127.0.0.1:1/nowhere", tmp_path
    )
    try:
        wait_until(service, "/health", 200)
        response = wait_until(service, "/ready", 503)
        report = response.json()
        assert report["ready"] is False
        assert report["checks"]["database"]["ok"] is False
        assert report["checks"]["keystore"]["ok"] is True
    finally:
        assert service.stop() in STOPPED_BY_SIGTERM


def test_a_service_stops_cleanly_on_sigterm(stack, tmp_path, services):
    import asyncio

    from tests.conftest import _asyncpg_url, _create_database, _drop_database

    admin = stack["CARELEDGER_PG_ADMIN_URL"]
    db = asyncio.run(_create_database(admin))
    service = start_service("archive", _asyncpg_url(admin, db), tmp_path)
    try:
        wait_until(service, "/ready", 200)
        started = time.monotonic()
        assert service.stop() in STOPPED_BY_SIGTERM
        assert time.monotonic() - started < 15
        log = service.log.read_text()
        assert "Application shutdown complete" in log and "Traceback" not in log
    finally:
        service.stop()
        asyncio.run(_drop_database(admin, db))


def test_metrics_need_a_monitoring_role_and_show_the_backbone(services):
    url = services["intake"].url + "/metrics"
    assert httpx.get(url).status_code == 401
    worker = devissuer.issue_token("worker", org="org-demo")
    assert httpx.get(url, headers={"Authorization": f"Bearer {worker}"}).status_code == 403
    monitor = devissuer.issue_token("service", org="ops")
    response = httpx.get(url, headers={"Authorization": f"Bearer {monitor}"})
    assert response.status_code == 200
    assert 'careledger_outbox_backlog{service="intake"} 0.0' in response.text
    assert (
        'careledger_component_restarts{component="outbox_relay",service="intake"}' in response.text
    )
