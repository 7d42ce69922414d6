"""Dependencies every service's routers share: who may call (role aliases), the caller's
organisation, the clock, the command context with its Idempotency-Key, and cursor pages.

Routers stay thin: they parse, authorise with these, and call a handler or a query. Domain
refusals need no handling in a route: `create_service_app` turns `Refused` into a problem."""

import base64
import binascii
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Header, Query
from pydantic import BaseModel

from events.auth import CurrentPrincipal, Forbidden, Principal, require_roles
from events.context import Context, fingerprint
from events.envelope import Metadata
from events.problems import Problem

Staff = Annotated[Principal, Depends(require_roles("worker", "supervisor"))]
Supervisor = Annotated[Principal, Depends(require_roles("supervisor"))]
Manager = Annotated[Principal, Depends(require_roles("supervisor", "org_admin"))]
OrgAdmin = Annotated[Principal, Depends(require_roles("org_admin"))]
CaseReader = Annotated[
    Principal, Depends(require_roles("worker", "supervisor", "org_admin", "entrustor"))
]
Subscriber = Annotated[Principal, Depends(require_roles("org_admin", "supervisor", "partner"))]
Operator = Annotated[Principal, Depends(require_roles("operator"))]
"""The platform's operators: what holds for every organisation at once (the national calendar)."""

IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=200, description="makes a retried POST safe"),
]

MAX_PAGE = 200
CURSOR_DIGITS = 18  # a bigint's range; a longer number is no cursor this service gave out


def organisation_of(principal: Principal) -> str:
    if not principal.organisation:
        raise Forbidden("the token names no organisation")
    return principal.organisation


async def caller_organisation(principal: CurrentPrincipal) -> str:
    return organisation_of(principal)


Organisation = Annotated[str, Depends(caller_organisation)]


def now() -> datetime:
    return datetime.now(UTC)


Now = Annotated[datetime, Depends(now)]
"""The time a request is handled; tests replace `now` through `app.dependency_overrides`."""


def seed(principal: Principal, action: str, key: str | None) -> str | None:
    """Scope an Idempotency-Key to its caller and action, so keys never collide across them."""
    if key is None:
        return None
    return f"{principal.organisation}|{principal.subject}|{action}|{key}"


def context(
    principal: Principal, action: str, key: str | None = None, body: BaseModel | None = None
) -> Context:
    """The context of a command a caller sends; `body` fingerprints a keyed request so the same
    key with another body is refused (409) instead of answered with the first result."""
    printed = fingerprint(body.model_dump(mode="json")) if body is not None and key else None
    return Context(Metadata(actor=principal.subject), seed(principal, action, key), printed)


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list, newest first; `next_cursor` fetches the next (absent on the last)."""

    items: list[T]
    next_cursor: str | None


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"seq:{seq}".encode()).decode()


def decode_cursor(cursor: str) -> int | None:
    """The sequence number a page ended on, or None for anything this service did not issue."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    kind, _, value = text.partition(":")
    if kind != "seq" or not value.isascii() or not value.isdigit() or len(value) > CURSOR_DIGITS:
        return None
    return int(value)


async def page_position(cursor: Annotated[str | None, Query(max_length=64)] = None) -> int | None:
    """The `cursor` query parameter as a position; a cursor not given out here is a 400."""
    if cursor is None:
        return None
    position = decode_cursor(cursor)
    if position is None:
        raise Problem(400, "bad-cursor", "Bad cursor", "use the next_cursor of a previous page")
    return position


Before = Annotated[int | None, Depends(page_position)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]


def page_of(rows: list[Any], limit: int, item: Any, seq: str = "seq") -> Page[Any]:
    """A page from up to `limit + 1` rows read newest first: the extra row says there is more."""
    more = len(rows) > limit
    kept = rows[:limit]
    cursor = encode_cursor(getattr(kept[-1], seq)) if more else None
    return Page[Any](items=[item(row) for row in kept], next_cursor=cursor)
