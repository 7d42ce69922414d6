"""Contracts between services (ARCHITECTURE.md): every event name a service reacts to, in its
reactions or in notify's clock table, is registered by the service that publishes it.

A name whose producer is not built yet sits in NOT_YET_PRODUCED, printed by the test; the list
must be empty once referral and archive exist."""

from typing import Any

from assessment import reactions as assessment_reactions
from events.asyncapi import load_service_events
from events.registry import registry
from intake import reactions as intake_reactions
from notify import reactions as notify_reactions
from notify.domain.calendar import WorkingCalendar
from notify.domain.clocks import CLOCK_TABLE, EVENT_CATALOG

# Reacted to already; published once the referral and archive services are built (issues 15, 16).
NOT_YET_PRODUCED = frozenset(
    {
        "archive.handover.completed",
        "referral.placement.ended",
        "referral.placement.extension_granted",
        "referral.placement.living_allowance_arranged",
        "referral.placement.new_guardian_appointed",
        "referral.placement.support_session_recorded",
        "referral.placement.temporary_care_started",
        "referral.placement.temporary_guardianship_started",
        "referral.protection_order_application.filed",
    }
)


def reacted_to() -> dict[str, set[str]]:
    """Every event name each service consumes, by service."""
    clocks = {n for r in CLOCK_TABLE for n in (*r.starts_on, *r.stopped_by, *r.satisfied_by)}
    return {
        "intake": set(intake_reactions.HANDLERS),
        "assessment": set(assessment_reactions.HANDLERS),
        "notify": set(notify_reactions.reactions(WorkingCalendar())) | clocks | set(EVENT_CATALOG),
    }


def published() -> set[str]:
    load_service_events()
    return {info.name for info in registry.types()}


def producer(name: str) -> str:
    return name.split(".", 1)[0]


def test_every_event_a_service_reacts_to_is_published_by_its_producer() -> None:
    known = published()
    unknown: dict[str, Any] = {
        f"{consumer} <- {name}": producer(name)
        for consumer, names in reacted_to().items()
        for name in sorted(names)
        if name not in known and name not in NOT_YET_PRODUCED
    }
    assert not unknown, f"reacted to, but no service registers them: {unknown}"


def test_the_list_of_names_not_yet_produced_holds_only_unbuilt_producers() -> None:
    print(f"reacted to, producer not built yet: {sorted(NOT_YET_PRODUCED)}")
    known = published()
    consumed = set().union(*reacted_to().values())
    assert consumed >= NOT_YET_PRODUCED, NOT_YET_PRODUCED - consumed  # no stale entries
    built = {producer(name) for name in known}
    assert not {n for n in NOT_YET_PRODUCED if producer(n) in built}, "producer exists: drop it"
    assert not NOT_YET_PRODUCED & known


def test_a_signed_service_plan_moves_the_case_into_service() -> None:
    """The name intake waited for (`assessment.plan.opened`) was published by nobody."""
    assert "assessment.service_plan.agreement_signed" in intake_reactions.HANDLERS
    assert "assessment.service_plan.agreement_signed" in published()
