"""What every request passes before it reaches a route, in this order, for every service:

1. headers within their limit (431), a declared body within its limit (413);
2. a verified bearer token on every path but `/health` and `/ready` (401), before anything of
   the request is parsed, so an anonymous caller learns nothing from its input being judged;
3. a body within its limit as it arrives (413);
4. no control character in the path, the query or any string of a JSON body (422): PostgreSQL
   cannot store NUL, and no identifier or filter holds a control character. Free text keeps
   tab, line feed and carriage return; one-line fields refuse those too (`events.domain.Line`).
   No NaN or Infinity either, which Python's JSON reader would otherwise take for numbers;
5. the Idempotency-Key rule of `events.idempotency` on every POST that carries one (409).

Every answer, a refusal here included, carries `Cache-Control: no-store` (answers hold personal
data no cache may keep) and `X-Content-Type-Options: nosniff`."""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from events import idempotency
from events.auth import AuthError, Principal, TokenVerifier
from events.problems import Problem, problem_response

PUBLIC = frozenset({"/health", "/ready"})
SECURITY_HEADERS = [
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
]
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # all but tab, LF, CR
# A JSON string can hold a control character only escaped: look closer only when one is there.
ESCAPED_CONTROL = re.compile(rb"\\u00(?:[01][0-9a-fA-F]|7[fF])")


@dataclass(frozen=True)
class Limits:
    body_bytes: int
    header_bytes: int


class TooLarge(Problem):
    def __init__(self, what: str, limit: int, status: int = 413) -> None:
        slug = "body-too-large" if status == 413 else "headers-too-large"
        super().__init__(status, slug, f"The request's {what} are too large", limit_bytes=limit)


class Edge:
    """Pure ASGI middleware (no per-request task or body copy beyond the one read)."""

    def __init__(self, app: ASGIApp, verifier: TokenVerifier, limits: Limits) -> None:
        self.app = app
        self.verifier = verifier
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _with_security_headers(send)
        try:
            receive, held = await self._admit(scope, receive)
        except Problem as refused:
            await _answer(refused, scope, receive, send)
            return
        if held is None:
            await self.app(scope, receive, send)
            return
        engine = scope["app"].state.backbone.engine
        try:
            status = await _run_noting_status(self.app, scope, receive, send)
        except BaseException:
            await idempotency.release(engine, held)
            raise
        if status >= 400:
            await idempotency.release(engine, held)

    async def _admit(
        self, scope: Scope, receive: Receive
    ) -> tuple[Receive, idempotency.Claim | None]:
        headers = dict(scope["headers"])
        if sum(len(k) + len(v) for k, v in scope["headers"]) > self.limits.header_bytes:
            raise TooLarge("headers", self.limits.header_bytes, 431)
        declared = headers.get(b"content-length", b"0")
        if declared.isdigit() and int(declared) > self.limits.body_bytes:
            raise TooLarge("body", self.limits.body_bytes)
        if scope["path"] in PUBLIC:
            return receive, None
        principal = await self._authenticate(scope, headers)
        body = await _read_body(receive, self.limits.body_bytes)
        _refuse_controls(scope, body)
        held = await _claim(scope, headers, principal, body)
        return _replay(body, receive), held

    async def _authenticate(self, scope: Scope, headers: dict[bytes, bytes]) -> Principal:
        scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError("a bearer token is required", error=None)
        if self.verifier.may_block:  # a JWKS refetch does blocking I/O
            principal = await run_in_threadpool(self.verifier.verify, token.strip())
        else:
            principal = self.verifier.verify(token.strip())
        scope.setdefault("state", {})["principal"] = principal
        return principal


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise TooLarge("body", limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body once as it was read, then the client's own messages (a disconnect)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


def _refuse_controls(scope: Scope, body: bytes) -> None:
    at = []
    if CONTROL.search(scope["path"]):
        at.append("path")
    query = unquote_to_bytes(scope.get("query_string", b"").replace(b"+", b" "))
    if CONTROL.search(query.decode("utf-8", "replace")):
        at.append("query")
    if ESCAPED_CONTROL.search(body):
        at.extend(_controlled_fields(body))
    if (b"NaN" in body or b"Infinity" in body) and (fields := _not_finite(body)):
        raise Problem(
            422,
            "validation-error",
            "The request is not valid",
            "NaN and Infinity are not JSON numbers",
            errors=[
                {"field": field, "message": "not a finite number", "type": "not_finite"}
                for field in fields
            ],
        )
    if at:
        raise Problem(
            422,
            "validation-error",
            "The request is not valid",
            f"{len(at)} field(s) hold a control character",
            errors=[
                {
                    "field": field,
                    "message": "control characters are not allowed",
                    "type": "control_character",
                }
                for field in at
            ],
        )


def _controlled_fields(body: bytes) -> list[str]:
    try:
        document = json.loads(body)
    except ValueError:
        return []  # not JSON: the route's own parsing refuses it
    return [path or "body" for path, text in _strings(document, "") if TEXT_CONTROL.search(text)]


_NOT_FINITE = object()


def _not_finite(body: bytes) -> list[str]:
    """Where the body holds NaN or Infinity, which Python's JSON reader takes for numbers and
    no field of ours can mean."""
    try:
        document = json.loads(body, parse_constant=lambda _: _NOT_FINITE)
    except ValueError:
        return []  # not JSON: the route's own parsing refuses it
    return [path or "body" for path, value in _values(document, "") if value is _NOT_FINITE]


def _values(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    """Every leaf of a JSON document with where it is."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _values(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _values(item, f"{path}.{index}" if path else str(index))
    else:
        yield path, value


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string of a JSON document, keys included, with where it is."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            yield here, str(key)
            yield from _strings(item, here)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}.{index}" if path else str(index))


async def _claim(
    scope: Scope, headers: dict[bytes, bytes], principal: Principal, body: bytes
) -> idempotency.Claim | None:
    key = headers.get(idempotency.HEADER)
    if scope["method"] != "POST" or key is None:
        return None
    where = idempotency.scope_of(principal, "POST", scope["path"], key.decode("latin-1"))
    engine = scope["app"].state.backbone.engine
    held = await idempotency.claim(engine, where, idempotency.fingerprint(body))
    if held is None:
        raise Problem(
            409,
            "idempotency-conflict",
            "This request repeats an earlier one with different content",
            "This Idempotency-Key was used with another body; use a new key for a new request.",
        )
    return held


def _with_security_headers(send: Send) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            names = {name.lower() for name, _ in message.get("headers", [])}
            extra = [(n, v) for n, v in SECURITY_HEADERS if n not in names]
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return sending


async def _run_noting_status(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> int:
    status = 500

    async def noting(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        await send(message)

    await app(scope, receive, noting)
    return status


async def _answer(refused: Problem, scope: Scope, receive: Receive, send: Send) -> None:
    response = problem_response(
        refused.status,
        refused.slug,
        refused.title,
        refused.detail,
        instance=scope["path"],
        headers=refused.headers,
        **refused.members(),
    )
    await response(scope, receive, send)
