"""FastAPI application factory used by every service: lifespan wiring of the backbone,
authentication, RFC 9457 problem bodies, `/health`, `/ready` and the event schemas."""

import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import InterfaceError, OperationalError

from events import devissuer
from events.auth import AuthConfig, CurrentPrincipal, TokenVerifier, require_roles
from events.backbone import Backbone, Component
from events.consumer import Handler
from events.edge import PUBLIC, Edge, Limits
from events.logs import configure_logging
from events.metrics import REGISTRY
from events.problems import (
    DomainRuleOf,
    document_problems,
    install_problem_handlers,
    problem_response,
)
from events.registry import registry
from events.settings import ServiceSettings

log = logging.getLogger(__name__)


def auth_config(settings: ServiceSettings) -> AuthConfig:
    """The token checks of this deployment, with its maximum token lifetime."""
    config = _key_config(settings)
    return replace(config, max_lifetime_seconds=settings.jwt_max_lifetime_seconds)


def _key_config(settings: ServiceSettings) -> AuthConfig:
    """The identity provider's key (file or JWKS), or the local development issuer."""
    if settings.jwt_public_key_file or settings.jwt_jwks_url:
        if not (settings.jwt_issuer and settings.jwt_audience):
            raise ValueError("JWT_ISSUER and JWT_AUDIENCE are required with a public key or JWKS")
        pem = (
            Path(settings.jwt_public_key_file).read_text() if settings.jwt_public_key_file else None
        )
        return AuthConfig(
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            public_key_pem=pem,
            jwks_url=settings.jwt_jwks_url,
        )
    if settings.dev_auth:
        return devissuer.dev_auth_config()
    raise ValueError(
        "no token verification configured: set JWT_PUBLIC_KEY_FILE or JWT_JWKS_URL "
        "(with JWT_ISSUER, JWT_AUDIENCE), or CARELEDGER_DEV_AUTH=true for development"
    )


def health_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/health")
    async def health() -> dict[str, str]:
        """The process is alive (no dependency checked)."""
        return {"status": "ok"}

    @router.get("/ready")
    async def ready(request: Request) -> JSONResponse:
        """Database, key store, outbox relay and consumer all working."""
        report = await request.app.state.backbone.readiness()
        return JSONResponse(report, status_code=200 if report["ready"] else 503)

    return router


def schema_router() -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["events"])

    @router.get("/event-schemas")
    async def event_schemas(principal: CurrentPrincipal) -> dict[str, Any]:
        """JSON Schema of every event type this deployment knows, keyed by type string."""
        return registry.json_schemas()

    return router


def metrics_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get(
        "/metrics",
        dependencies=[Depends(require_roles("service", "org_admin", "auditor"))],
        response_class=PlainTextResponse,
    )
    async def metrics(request: Request) -> PlainTextResponse:
        """Prometheus metrics (no case content); for monitoring clients with a token."""
        backbone: Backbone = request.app.state.backbone
        await backbone.observe()
        return PlainTextResponse(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return router


def create_service_app(
    settings: ServiceSettings,
    *,
    name: str,
    routers: Sequence[APIRouter] = (),
    handlers: Mapping[str, Handler] | None = None,
    subscribe: list[str] | None = None,
    migrations: Path | None = None,
    components: Sequence[Callable[[Backbone], Component]] = (),
    domain_rule_of: DomainRuleOf | None = None,
) -> FastAPI:
    configure_logging(settings.log_level, service=name)
    verifier = TokenVerifier(auth_config(settings))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        backbone = Backbone(
            settings, name=name, handlers=handlers, subscribe=subscribe, migrations=migrations
        )
        backbone.components.extend(make(backbone) for make in components)
        app.state.backbone = backbone
        await backbone.start()
        try:
            yield
        finally:
            await backbone.stop()

    # No /docs or /redoc: their pages load scripts from a CDN. The OpenAPI document is served
    # at /openapi.json to callers with a token, like every path but health.
    app = FastAPI(
        title=f"CareLedger {name}",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.verifier = verifier
    limits = Limits(settings.max_body_bytes, settings.max_header_bytes)
    app.add_middleware(Edge, verifier=verifier, limits=limits)
    _document_problems(app)
    app.state.settings = settings
    install_problem_handlers(app, domain_rule_of)
    for outage in (OperationalError, InterfaceError, OSError, TimeoutError):
        app.add_exception_handler(outage, _unavailable)
    app.include_router(health_router())
    app.include_router(schema_router())
    app.include_router(metrics_router())
    for router in routers:
        app.include_router(router)
    return app


def _document_problems(app: FastAPI) -> None:
    """The OpenAPI document states the problem bodies the service really answers with."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document_problems(generate(), PUBLIC)
        return app.openapi_schema  # type: ignore[return-value]  # set by generate()

    app.openapi = openapi  # type: ignore[method-assign]


def backbone_of(request: Request) -> Backbone:
    backbone: Backbone = request.app.state.backbone
    return backbone


BackboneDep = Annotated[Backbone, Depends(backbone_of)]
"""Route parameter type for the service's backbone (unit of work, store, key store)."""


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    """A database or broker outage is the server's trouble, said plainly: 503, retry later."""
    log.warning("dependency unavailable on %s: %r", request.url.path, exc)
    return problem_response(
        503,
        "service-unavailable",
        "A dependency of this service is unavailable",
        "The database or the key store could not be reached; retry later.",
        instance=request.url.path,
        headers={"Retry-After": "5"},
    )
