"""The record-level rule of assessment (ARCHITECTURE, Security): a worker works on the cases
assigned to them, a supervisor on their organisation's. Pure; the team as intake assigned it."""

import pytest

from assessment.domain.access import RULE, case_access
from events.auth import Principal

ORG = "org-synthetic-a"
TEAM = {"w-synthetic-1": ORG, "w-synthetic-2": ORG}


def caller(role: str, subject: str, organisation: str | None = ORG) -> Principal:
    return Principal(subject=subject, organisation=organisation, roles=frozenset({role}))


@pytest.mark.parametrize(
    ("who", "team", "allowed"),
    [
        (caller("worker", "w-synthetic-1"), TEAM, True),
        (caller("worker", "w-synthetic-3"), TEAM, False),  # not on the team
        (caller("worker", "w-synthetic-1"), {}, False),  # no team known: closed to workers
        (caller("worker", "w-synthetic-1", "org-synthetic-b"), TEAM, False),  # other org's token
        (caller("worker", "w-synthetic-1", None), TEAM, False),  # a token naming no organisation
        (caller("worker", "w-synthetic-1"), {"w-synthetic-1": "org-synthetic-b"}, False),
        (caller("supervisor", "sup-synthetic"), {}, True),  # organisation checked on the record
    ],
)
def test_who_may_work_on_a_case(who: Principal, team: dict[str, str], allowed: bool) -> None:
    access = case_access(who, team)
    assert access.allowed is allowed
    assert access.rule == RULE
    assert access.reason
