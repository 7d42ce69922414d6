"""Whose deadlines a caller sees (ARCHITECTURE, Security, record-level rules): each role on its
own terms, several roles the union of what each grants alone, and the whole organisation only
through a role that sees it. Pure; synthetic ids only."""

from notify.domain.access import OrganisationScope, ProjectScope, deadline_scopes

ORG = "org-syn-1"


def scopes(*roles: str, projects: tuple[str, ...] = ()) -> list[object]:
    return list(deadline_scopes("worker-syn-1", frozenset(roles), ORG, frozenset(projects)))


def test_a_worker_sees_the_clocks_naming_them_in_their_organisation() -> None:
    assert scopes("worker") == [OrganisationScope(ORG, worker="worker-syn-1")]


def test_an_entrustor_sees_the_projects_its_token_names_and_no_more() -> None:
    assert scopes("entrustor", projects=("p-1",)) == [ProjectScope(ORG, frozenset({"p-1"}))]
    assert scopes("entrustor") == []  # a token naming no project grants nothing


def test_a_worker_who_is_also_an_entrustor_never_sees_the_whole_organisation() -> None:
    assert scopes("worker", "entrustor", projects=("p-1",)) == [
        OrganisationScope(ORG, worker="worker-syn-1"),
        ProjectScope(ORG, frozenset({"p-1"})),
    ]


def test_supervisors_and_org_admins_see_their_whole_organisation() -> None:
    for role in ("supervisor", "org_admin"):
        assert scopes(role, "worker") == [OrganisationScope(ORG)]
    assert scopes("supervisor", "entrustor", projects=("p-1",)) == [
        OrganisationScope(ORG),
        ProjectScope(ORG, frozenset({"p-1"})),
    ]


def test_roles_that_grant_no_deadlines_see_none() -> None:
    assert scopes("partner") == [] and scopes("auditor", "operator") == []
