"""Staff every e2e module that sets case teams needs at intake: the supervisor whose token sets
the team is one of the organisation's registered supervisors (SZ-7.1.5, issue 14 item 9),
qualified and with a current clean check (MZ-7.1.3). Synthetic data."""

from datetime import UTC, datetime

import httpx

from events import devissuer

SUPERVISING = ["social_worker", "supervisor_registered"]


def register_supervisor(intake_url: str, org: str, subject: str = "dev-supervisor") -> None:
    """Register `subject` (the token's) as a qualified supervisor of `org` with a clean check
    today; one already registered is left as they are (409)."""
    token = devissuer.issue_token("org_admin", org=org, subject=f"admin-{org}")
    admin = {"Authorization": f"Bearer {token}"}
    body = {
        "worker_id": subject,
        "organisation": org,
        "role": "supervisor",
        "name": "合成督导",
        "gender": "female",
        "qualifications": SUPERVISING,
        "years_in_child_services": 6,
    }
    registered = httpx.post(f"{intake_url}/v1/staff", json=body, headers=admin, timeout=15)
    if registered.status_code == 409:
        return
    assert registered.status_code == 201, registered.text
    check = {"checked_on": datetime.now(UTC).date().isoformat(), "clean": True}
    url = f"{intake_url}/v1/staff/{subject}/background-checks"
    assert httpx.post(url, json=check, headers=admin, timeout=15).status_code == 201
