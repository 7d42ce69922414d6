"""`/v1/subscriptions`: webhook and e-mail endpoints of an organisation or a partner agency.
The webhook secret is in the answer to the POST and nowhere else."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from events.app import BackboneDep
from events.auth import Forbidden, Principal, require_roles
from events.problems import Problem
from notify import queue
from notify import subscriptions as handlers
from notify.domain.subscriptions import Caller, Channel, Language, SubscriptionRefused, may_manage

router = APIRouter(prefix="/v1/subscriptions", tags=["subscriptions"])

Manager = Annotated[Principal, Depends(require_roles("org_admin", "supervisor", "partner"))]


class SubscriptionCreate(BaseModel):
    channel: Channel
    target: str = Field(min_length=3, max_length=2000)
    event_types: list[str] = Field(min_length=1, max_length=20)
    agency: str | None = Field(None, max_length=100)
    organisation: str | None = None
    language: Language = Language.ZH


class SubscriptionPublic(BaseModel):
    subscription_id: str
    organisation: str
    agency: str | None
    channel: str
    target: str
    event_types: list[str]
    language: str
    created_by: str
    created_at: datetime


class SubscriptionWithSecret(SubscriptionPublic):
    secret: str | None = Field(description="the webhook signing secret; shown this once only")


class NotFound(Problem):
    def __init__(self) -> None:
        super().__init__(404, "not-found", "No such subscription")


def caller(principal: Principal) -> Caller:
    return Caller(principal.roles, principal.organisation, principal.agency)


@router.post("", status_code=201)
async def create_subscription(
    body: SubscriptionCreate, principal: Manager, backbone: BackboneDep, response: Response
) -> SubscriptionWithSecret:
    """Subscribe an endpoint; the answer carries the webhook secret, this once (not cached)."""
    response.headers["Cache-Control"] = "no-store"
    organisation = body.organisation or principal.organisation
    agency = body.agency if body.agency is not None else principal.agency
    if organisation is None or not may_manage(caller(principal), organisation, agency):
        raise Forbidden("subscriptions are managed for your own organisation or agency only")
    command = handlers.CreateSubscription(
        organisation,
        agency,
        body.channel,
        body.target,
        body.event_types,
        body.language,
        principal.subject,
    )
    async with backbone.uow() as uow:
        try:
            subscription_id, secret = await handlers.create(uow, command)
        except SubscriptionRefused as exc:
            raise Problem(
                422, f"subscription-{exc.reason}", "Subscription refused", str(exc)
            ) from exc
        row = await queue.subscription(uow.conn, subscription_id)
        await uow.commit()
    return SubscriptionWithSecret(**_public(row).model_dump(), secret=secret)


@router.get("")
async def list_subscriptions(principal: Manager, backbone: BackboneDep) -> list[SubscriptionPublic]:
    """The organisation's subscriptions; a partner sees its own agency's only."""
    if principal.organisation is None:
        raise Forbidden("subscriptions are listed for your own organisation only")
    agency = None if principal.has_role("org_admin", "supervisor") else principal.agency or ""
    async with backbone.engine.connect() as conn:
        rows = await queue.list_subscriptions(conn, principal.organisation, agency)
    return [_public(r) for r in rows]


@router.get("/{subscription_id}")
async def get_subscription(
    subscription_id: str, principal: Manager, backbone: BackboneDep
) -> SubscriptionPublic:
    async with backbone.engine.connect() as conn:
        row = await queue.subscription(conn, subscription_id)
    if row is None or not may_manage(caller(principal), row.organisation, row.agency):
        raise NotFound()
    return _public(row)


@router.delete("/{subscription_id}", status_code=204)
async def delete_subscription(
    subscription_id: str, principal: Manager, backbone: BackboneDep
) -> Response:
    """Stop notifying it, cancel what it has pending and shred its secret."""
    async with backbone.uow() as uow:
        row = await queue.subscription(uow.conn, subscription_id)
        if row is None or not may_manage(caller(principal), row.organisation, row.agency):
            raise NotFound()
        await handlers.delete(uow, backbone.keystore, subscription_id, principal.subject)
    return Response(status_code=204)


def _public(row: object) -> SubscriptionPublic:
    return SubscriptionPublic.model_validate(row, from_attributes=True)
