"""The record-level rule of assessment (ARCHITECTURE, Security): a worker works on the cases
assigned to them, a supervisor on their organisation's, and a case intake never opened is
nobody's. Pure; the case's organisation and team as intake published them."""

import pytest

from assessment.domain.access import RULE, case_access, may_hold

ORG = "org-synthetic-a"
TEAM = {"w-synthetic-1": ORG, "w-synthetic-2": ORG}
Caller = tuple[str, frozenset[str], str | None]


def caller(role: str, subject: str, organisation: str | None = ORG) -> Caller:
    """The caller as their token states them: subject, roles, organisation."""
    return subject, frozenset({role}), organisation


@pytest.mark.parametrize(
    ("who", "owner", "team", "allowed"),
    [
        (caller("worker", "w-synthetic-1"), ORG, TEAM, True),
        (caller("worker", "w-synthetic-3"), ORG, TEAM, False),  # not on the team
        (caller("worker", "w-synthetic-1"), ORG, {}, False),  # no team known: closed to workers
        (caller("worker", "w-synthetic-1", "org-synthetic-b"), ORG, TEAM, False),  # other org
        (caller("worker", "w-synthetic-1", None), ORG, TEAM, False),  # a token naming no org
        (caller("worker", "w-synthetic-1"), ORG, {"w-synthetic-1": "org-synthetic-b"}, False),
        (caller("worker", "w-synthetic-1"), None, TEAM, False),  # intake never opened it
        (caller("supervisor", "sup-synthetic"), ORG, {}, True),  # the organisation's case
        (caller("supervisor", "sup-synthetic", "org-synthetic-b"), ORG, TEAM, False),
        (caller("supervisor", "sup-synthetic", None), ORG, TEAM, False),
        (
            caller("supervisor", "sup-synthetic"),
            None,
            {},
            False,
        ),  # unknown: nobody's, first write too
    ],
)
def test_who_may_work_on_a_case(
    who: Caller, owner: str | None, team: dict[str, str], allowed: bool
) -> None:
    access = case_access(*who, owner, team)
    assert access.allowed is allowed
    assert access.rule == RULE
    assert access.reason


@pytest.mark.parametrize(
    ("worker", "owner", "team", "allowed"),
    [
        ("w-synthetic-1", ORG, TEAM, True),
        ("w-synthetic-3", ORG, TEAM, False),  # would hold a case they may not see
        ("w-synthetic-1", ORG, {"w-synthetic-1": "org-synthetic-b"}, False),
        ("w-synthetic-1", None, TEAM, False),
    ],
)
def test_only_a_worker_on_the_team_may_hold_the_case(
    worker: str, owner: str | None, team: dict[str, str], allowed: bool
) -> None:
    access = may_hold(worker, owner, team)
    assert (access.allowed, access.rule) == (allowed, RULE)
