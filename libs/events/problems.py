"""RFC 9457 problem details: every error a service returns has the same machine-readable shape.

Clients branch on `type` (a stable URI) and, for domain refusals, on `rule` (the clause of
the rulebook that decided it), never on the human `title`/`detail` wording.
"""

import logging
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from events.domain import Conflict, Refused, Violation
from events.errors import ConcurrencyError, EventTooLarge, IdempotencyConflict

DomainRuleOf = Callable[[Violation], str | None]
"""A service's map from a violation to its rulebook number in DOMAIN.md (`I-3`, `M-2`)."""

PROBLEM_BASE = "https://careledger.example/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"

# Members defined by RFC 9457 itself; an extension member must not shadow them.
_STANDARD_MEMBERS = frozenset({"type", "title", "status", "detail", "instance"})
# Request parts whose name adds nothing to a field path a client shows next to a form input.
_IMPLICIT_LOCATIONS = frozenset({"body", "query"})
# Slugs clients already know for statuses Starlette raises on its own (unknown route, method).
_STATUS_SLUGS = {
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
}

# A problem may name what the caller sent; and the 500 answer is made outside the edge.
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}

logger = logging.getLogger(__name__)


class Problem(Exception):
    """A refusal a route raises; the installed handler turns it into a problem response."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str | None = None,
        *,
        rule: str | None = None,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or title)
        _check_extra(extra)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.rule = rule
        self.headers = dict(headers or {})
        self.extra = extra

    def members(self) -> dict[str, Any]:
        """Extension members of the body: `rule` when set, then the extras."""
        rule = {"rule": self.rule} if self.rule is not None else {}
        return {**rule, **self.extra}


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str | None = None,
    *,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem+json response; `detail` falls back to `title` so it is always a string."""
    _check_extra(extra)
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail if detail is not None else title,
    }
    if instance is not None:
        body["instance"] = instance
    body.update(extra)
    return JSONResponse(
        body,
        status_code=status,
        headers={**NO_STORE, **(headers or {})},
        media_type=PROBLEM_MEDIA_TYPE,
    )


PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; `rule` names the clause that decided a refusal.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "rule": {"type": "string"},
    },
    "additionalProperties": True,
}
_PROBLEM = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
_FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")


def document_problems(document: dict[str, Any], public: frozenset[str]) -> None:
    """Make an OpenAPI document say what the service answers on errors: a problem, as
    `application/problem+json`, for its 422 and for every status it does not list (`default`),
    on every path but the public ones. FastAPI's own validation error shape is never sent."""
    components = document.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    for path, operations in document.get("paths", {}).items():
        if path in public:
            continue
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if "422" in responses:
                responses["422"] = {"description": "The request is not valid", "content": _PROBLEM}
            responses["default"] = {"description": "A problem (RFC 9457)", "content": _PROBLEM}
    for name in _FASTAPI_VALIDATION:
        components.pop(name, None)


def install_problem_handlers(app: FastAPI, domain_rule_of: DomainRuleOf | None = None) -> None:
    """Route every error of `app` (ours, FastAPI's, Starlette's, unexpected) to problem+json;
    domain refusals are turned into problems here and nowhere else."""

    async def on_refused(request: Request, exc: Refused) -> JSONResponse:
        return await _on_problem(request, refusal_problem(exc, domain_rule_of))

    app.add_exception_handler(Problem, _on_problem)  # type: ignore[arg-type]
    app.add_exception_handler(Refused, on_refused)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _on_validation)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _on_http)  # type: ignore[arg-type]
    app.add_exception_handler(ConcurrencyError, _on_concurrency)  # type: ignore[arg-type]
    app.add_exception_handler(IdempotencyConflict, _on_idempotency)  # type: ignore[arg-type]
    app.add_exception_handler(EventTooLarge, _on_too_large)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _on_unexpected)


def _check_extra(extra: Mapping[str, Any]) -> None:
    clash = _STANDARD_MEMBERS & extra.keys()
    if clash:
        raise ValueError(f"extension members may not redefine {sorted(clash)}")


def refusal_problem(refused: Refused, domain_rule_of: DomainRuleOf | None = None) -> Problem:
    """A domain refusal as a problem naming the clause (`rule`), the rulebook's number
    (`domain_rule`) and every violation; 409 for a conflict with the present state."""
    number = domain_rule_of or (lambda violation: None)
    violations = []
    for violation in refused.violations:
        shown = violation.model_dump(exclude={"message"} if violation.sensitive else None)
        if (domain_rule := number(violation)) is not None:
            shown["domain_rule"] = domain_rule
        violations.append(shown)
    extra: dict[str, Any] = {}
    if (first := number(refused.violations[0])) is not None:
        extra["domain_rule"] = first
    if refused.state is not None:
        extra["state"] = refused.state
    conflict = isinstance(refused, Conflict)
    return Problem(
        refused.status,
        "conflict" if conflict else "rule-violation",
        "Not possible in the present state" if conflict else "The request breaks a rule",
        "; ".join(v.said() for v in refused.violations),
        rule=refused.rule,
        violations=violations,
        **extra,
    )


async def _on_problem(request: Request, exc: Problem) -> JSONResponse:
    return problem_response(
        exc.status,
        exc.slug,
        exc.title,
        exc.detail,
        instance=request.url.path,
        headers=exc.headers,
        **exc.members(),
    )


async def _on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    # The rejected input is deliberately not echoed: it may carry a child's personal data.
    errors = [
        {"field": _field_path(err.get("loc", ())), "message": err["msg"], "type": err["type"]}
        for err in exc.errors()
    ]
    return problem_response(
        422,
        "validation-error",
        "The request is not valid",
        f"{len(errors)} field(s) failed validation",
        instance=request.url.path,
        errors=errors,
    )


def _field_path(loc: tuple[int | str, ...] | list[int | str]) -> str:
    """`("body", "b2", "neglect")` -> `"b2.neglect"`; a bare `("body",)` stays `"body"`."""
    parts = [str(part) for part in loc]
    if len(parts) > 1 and parts[0] in _IMPLICIT_LOCATIONS:
        parts = parts[1:]
    return ".".join(parts)


async def _on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    phrase = _phrase(exc.status_code)
    slug = _STATUS_SLUGS.get(exc.status_code, phrase.lower().replace(" ", "-"))
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail else phrase
    return problem_response(
        exc.status_code,
        slug,
        phrase,
        detail,
        instance=request.url.path,
        headers=exc.headers,
    )


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


async def _on_concurrency(request: Request, exc: ConcurrencyError) -> JSONResponse:
    return problem_response(
        409,
        "conflict",
        "The resource changed meanwhile",
        "Someone else changed this record since you read it; reload it and try again.",
        instance=request.url.path,
        expected_version=exc.expected,
        actual_version=exc.actual,
    )


async def _on_idempotency(request: Request, exc: IdempotencyConflict) -> JSONResponse:
    return problem_response(
        409,
        "idempotency-conflict",
        "This request repeats an earlier one with different content",
        "An idempotency key or event id was reused for a different change.",
        instance=request.url.path,
    )


async def _on_too_large(request: Request, exc: EventTooLarge) -> JSONResponse:
    return problem_response(
        413,
        "event-too-large",
        "The change is too large to record",
        "The event this request would record exceeds the size an event may have; shorten it.",
        instance=request.url.path,
        limit_bytes=exc.limit,
    )


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    # The client learns nothing about internals; the operator gets the traceback in the log.
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        500,
        "internal-error",
        "Internal error",
        "The server failed to handle this request; it has been logged.",
        instance=request.url.path,
    )
