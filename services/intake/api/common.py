"""What the intake routers share: refusals as problems, who may see what, idempotency seeds."""

import hashlib
import json
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import Header

from events.auth import Forbidden, Principal
from events.backbone import Backbone
from events.envelope import Metadata
from events.keystore import decode_kek
from events.problems import Problem
from intake.domain import Violation
from intake.domain.cases import DOMAIN_RULES
from intake.domain.identity import RULE as IDENTITY_RULE
from intake.domain.refusals import Kind, Refused
from intake.domain.reports import local_date
from intake.lookup import lookup_key

IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=200, description="makes a retried POST safe"),
]
STATUS = {Kind.INVALID: 422, Kind.CONFLICT: 409}


def lookup_key_of(backbone: Backbone) -> bytes:
    """The key of the child registry's digests, derived from the deployment's KEK."""
    return lookup_key(decode_kek(backbone.settings.kek.get_secret_value()))


def problem_of(refused: Refused) -> Problem:
    """A domain refusal as an RFC 9457 problem naming the clause and every violation."""
    status = STATUS[refused.kind]
    slug = "rule-violation" if refused.kind == Kind.INVALID else "conflict"
    title = "The request breaks a rule" if status == 422 else "Not possible in the present state"
    domain_rule = DOMAIN_RULES.get(refused.rule)
    extra: dict[str, Any] = {"domain_rule": domain_rule} if domain_rule else {}
    if refused.state is not None:
        extra["state"] = refused.state
    return Problem(
        status,
        slug,
        title,
        _said(refused),
        rule=refused.rule,
        violations=[_public(v) for v in refused.violations],
        **extra,
    )


def _said(refused: Refused) -> str:
    """The refusal in words; an I-7 message may repeat birth dates sent, so only codes."""
    return "; ".join(
        f"{v.code} ({v.rule})" if v.rule == IDENTITY_RULE else v.message for v in refused.violations
    )


def _public(violation: Violation) -> dict[str, str]:
    if violation.rule == IDENTITY_RULE:
        return violation.model_dump(exclude={"message"})
    return violation.model_dump()


def not_found(what: str) -> Problem:
    return Problem(404, "not-found", "Not found", f"no {what} with this id is visible to you")


def gone() -> Problem:
    return Problem(410, "gone", "Archive handed over", "this child's data key was destroyed")


def organisation_of(principal: Principal) -> str:
    if not principal.organisation:
        raise Forbidden("the token names no organisation")
    return principal.organisation


def metadata(principal: Principal) -> Metadata:
    return Metadata(actor=principal.subject)


def seed(principal: Principal, action: str, key: str | None) -> str | None:
    """Scope an Idempotency-Key to its caller and action, so keys never collide across them."""
    if key is None:
        return None
    return f"{principal.organisation}|{principal.subject}|{action}|{key}"


def fingerprint(body: Any) -> str:
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return local_date(now())
