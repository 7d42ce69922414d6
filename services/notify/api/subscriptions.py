"""`/v1/subscriptions`: webhook and e-mail endpoints of an organisation or a partner agency.
The webhook secret is in the answer to the POST and nowhere else. A webhook's host must
resolve to public addresses only (ARCHITECTURE, Security; `handlers.targets`)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel, Field

from events.api import Organisation, Subscriber, context
from events.app import BackboneDep
from events.auth import Forbidden, Principal
from events.domain import Line
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
from notify.handlers.targets import STRICT, TargetPolicy
from notify.projections import queries
from notify.projections.queries import SubscriptionPublic

router = APIRouter(prefix="/v1/subscriptions", tags=["subscriptions"])


URL_MAX = 2048  # what browsers and proxies reliably carry
Name = Annotated[Line, Field(min_length=1, max_length=100)]
SubscriptionId = Annotated[str, Path(min_length=1, max_length=64)]


def targets_of(request: Request) -> TargetPolicy:
    """The app's target policy (the composition root sets it from settings), else the strict one."""
    targets = getattr(request.app.state, "webhook_targets", None)
    return targets if isinstance(targets, TargetPolicy) else STRICT


Targets = Annotated[TargetPolicy, Depends(targets_of)]


class SubscriptionCreate(BaseModel):
    channel: Channel
    target: Annotated[Line, Field(min_length=3, max_length=URL_MAX)]
    event_types: list[Name] = Field(min_length=1, max_length=20)
    agency: Name | None = None
    organisation: Name | None = None
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
    body: SubscriptionCreate,
    principal: Subscriber,
    backbone: BackboneDep,
    targets: Targets,
    response: Response,
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
        subscription_id, secret = await subscriptions.create(command, uow, ctx, targets=targets)
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
    subscription_id: SubscriptionId, principal: Subscriber, backbone: BackboneDep
) -> SubscriptionPublic:
    async with backbone.engine.connect() as conn:
        found = await queries.subscription(conn, subscription_id)
    if found is None or not may_manage(caller(principal), found.organisation, found.agency):
        raise NotFound()
    return found


@router.delete("/{subscription_id}", status_code=204)
async def delete_subscription(
    subscription_id: SubscriptionId, principal: Subscriber, backbone: BackboneDep
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
