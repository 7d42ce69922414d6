"""The record-level rule of assessment (ARCHITECTURE, Security): a worker works on the cases
assigned to them, a supervisor on their organisation's. Pure; the team as intake assigned it."""

import pytest

from assessment.domain.access import RULE, case_access

ORG = "org-synthetic-a"
TEAM = {"w-synthetic-1": ORG, "w-synthetic-2": ORG}
Caller = tuple[str, frozenset[str], str | None]


def caller(role: str, subject: str, organisation: str | None = ORG) -> Caller:
    """The caller as their token states them: subject, roles, organisation."""
    return subject, frozenset({role}), organisation


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
def test_who_may_work_on_a_case(who: Caller, team: dict[str, str], allowed: bool) -> None:
    access = case_access(*who, team)
    assert access.allowed is allowed
    assert access.rule == RULE
    assert access.reason
