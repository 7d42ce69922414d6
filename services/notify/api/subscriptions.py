"""`/v1/subscriptions`: webhook and e-mail endpoints of an organisation or a partner agency.
The webhook secret is in the answer to the POST and nowhere else."""

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from events.api import Organisation, Subscriber, context
from events.app import BackboneDep
from events.auth import Forbidden, Principal
from events.problems import Problem
from notify.domain.subscriptions import (
    Caller,
    Channel,
    CreateSubscription,
    DeleteSubscription,
    Language,
    may_manage,
)
from notify.handlers import subscriptions
from notify.projections import queries
from notify.projections.queries import SubscriptionPublic

router = APIRouter(prefix="/v1/subscriptions", tags=["subscriptions"])


class SubscriptionCreate(BaseModel):
    channel: Channel
    target: str = Field(min_length=3, max_length=2000)
    event_types: list[str] = Field(min_length=1, max_length=20)
    agency: str | None = Field(None, max_length=100)
    organisation: str | None = Field(None, max_length=100)
    language: Language = Language.ZH


class SubscriptionWithSecret(SubscriptionPublic):
    secret: str | None = Field(description="the webhook signing secret; shown this once only")


class NotFound(Problem):
    def __init__(self) -> None:
        super().__init__(404, "not-found", "No such subscription")


def caller(principal: Principal) -> Caller:
    return Caller(principal.roles, principal.organisation, principal.agency)


@router.post("", status_code=201)
async def create_subscription(
    body: SubscriptionCreate, principal: Subscriber, backbone: BackboneDep, response: Response
) -> SubscriptionWithSecret:
    """Subscribe an endpoint; the answer carries the webhook secret, this once (not cached)."""
    response.headers["Cache-Control"] = "no-store"
    organisation = body.organisation or principal.organisation
    agency = body.agency if body.agency is not None else principal.agency
    if organisation is None or not may_manage(caller(principal), organisation, agency):
        raise Forbidden("subscriptions are managed for your own organisation or agency only")
    command = CreateSubscription(
        organisation, agency, body.channel, body.target, body.event_types, body.language
    )
    async with backbone.uow() as uow:
        ctx = context(principal, "create-subscription")
        subscription_id, secret = await subscriptions.create(command, uow, ctx)
        # read back what the handler committed (a new transaction the unit of work closes)
        created = await queries.subscription(uow.conn, subscription_id)
    assert created is not None
    return SubscriptionWithSecret(**created.model_dump(), secret=secret)


@router.get("")
async def list_subscriptions(
    principal: Subscriber, organisation: Organisation, backbone: BackboneDep
) -> list[SubscriptionPublic]:
    """The organisation's subscriptions; a partner sees its own agency's only."""
    agency = None if principal.has_role("org_admin", "supervisor") else principal.agency or ""
    async with backbone.engine.connect() as conn:
        return await queries.list_subscriptions(conn, organisation, agency)


@router.get("/{subscription_id}")
async def get_subscription(
    subscription_id: str, principal: Subscriber, backbone: BackboneDep
) -> SubscriptionPublic:
    async with backbone.engine.connect() as conn:
        found = await queries.subscription(conn, subscription_id)
    if found is None or not may_manage(caller(principal), found.organisation, found.agency):
        raise NotFound()
    return found


@router.delete("/{subscription_id}", status_code=204)
async def delete_subscription(
    subscription_id: str, principal: Subscriber, backbone: BackboneDep
) -> Response:
    """Stop notifying it, cancel what it has pending and shred its secret."""
    async with backbone.uow() as uow:
        found = await queries.subscription(uow.conn, subscription_id)
        if found is None or not may_manage(caller(principal), found.organisation, found.agency):
            raise NotFound()
        ctx = context(principal, "delete-subscription")
        command = DeleteSubscription(subscription_id)
        await subscriptions.delete(command, uow, ctx, keys=backbone.keystore)
    return Response(status_code=204)
