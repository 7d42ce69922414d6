"""Whose deadlines a caller sees (ARCHITECTURE, Security, record-level rules): a worker the
clocks naming them, a supervisor or org admin their organisation's, an entrustor those of the
projects its token names (whichever provider runs them). Pure.

Each role grants on its own terms, and a caller holding several sees the union of what each
grants alone: a worker who is also an entrustor sees their own clocks and their projects', never
the whole organisation, which only a role that sees it (supervisor, org admin) opens.
"""

from collections.abc import Collection
from dataclasses import dataclass

RULE = "ARCHITECTURE-security-record-level"
MANAGERS = frozenset({"supervisor", "org_admin"})
#: Roles that may see clocks naming another worker or another organisation's cases.
BEYOND_OWN_CLOCKS = MANAGERS | {"entrustor"}


@dataclass(frozen=True)
class OrganisationScope:
    """The deadlines of `organisation`; only the clocks naming `worker` when it is set."""

    organisation: str
    worker: str | None = None


@dataclass(frozen=True)
class ProjectScope:
    """The deadlines of the cases in `projects` that `entrustor` commissions."""

    entrustor: str
    projects: frozenset[str]


Scope = OrganisationScope | ProjectScope


def deadline_scopes(
    subject: str, roles: Collection[str], organisation: str, projects: Collection[str]
) -> list[Scope]:
    """What the caller's roles grant, one scope per grant; empty: nothing."""
    held = frozenset(roles)
    scopes: list[Scope] = []
    if held & MANAGERS:
        scopes.append(OrganisationScope(organisation))
    elif "worker" in held:
        scopes.append(OrganisationScope(organisation, worker=subject))
    if "entrustor" in held and projects:
        scopes.append(ProjectScope(organisation, frozenset(projects)))
    return scopes


def sees_only_own_clocks(roles: Collection[str]) -> bool:
    """A caller whose every role is limited to the clocks naming them (a worker)."""
    return not frozenset(roles) & BEYOND_OWN_CLOCKS


def sees_other_organisations(roles: Collection[str]) -> bool:
    """Only an entrustor sees cases its providers (other organisations) run."""
    return "entrustor" in roles
