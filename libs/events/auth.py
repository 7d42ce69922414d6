"""Bearer-JWT authentication shared by every service.

Tokens are verified with PyJWT against one asymmetric key (a PEM) or an identity provider's
JWKS. Symmetric (`HS*`) and unsigned (`none`) algorithms are refused outright: with them
anyone who knows the public key, or nothing at all, could mint a token.
"""

import ipaddress
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlparse

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from events.problems import Problem

# `operator`: the platform's operators, above every organisation (the national calendar).
ROLES = frozenset(
    {"worker", "supervisor", "org_admin", "entrustor", "partner", "auditor", "service", "operator"}
)
REQUIRED_CLAIMS = ("exp", "iat", "sub", "iss", "aud")

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Principal:
    """Who is calling, as vouched for by a verified token."""

    subject: str
    organisation: str | None
    roles: frozenset[str]
    agency: str | None = None  # partner agencies only
    projects: frozenset[str] = frozenset()  # entrustors only

    def has_role(self, *roles: str) -> bool:
        """True when the principal holds at least one of `roles`."""
        return not self.roles.isdisjoint(roles)


@dataclass(frozen=True)
class AuthConfig:
    """Where verification keys come from and which tokens are meant for this service."""

    issuer: str
    audience: str
    algorithms: tuple[str, ...] = ("RS256", "ES256", "EdDSA")
    public_key_pem: str | None = None
    jwks_url: str | None = None
    leeway_seconds: int = 30
    max_lifetime_seconds: int = 3600  # `exp - iat` of a token this service accepts

    def __post_init__(self) -> None:
        if (self.public_key_pem is None) == (self.jwks_url is None):
            raise ValueError("give exactly one of public_key_pem and jwks_url")
        if self.leeway_seconds < 0:
            raise ValueError("leeway_seconds must not be negative")
        _check_algorithms(self.algorithms)
        if self.jwks_url is not None:
            _check_jwks_url(self.jwks_url)


def _check_algorithms(algorithms: tuple[str, ...]) -> None:
    if not algorithms:
        raise ValueError("the algorithm allow-list is empty")
    for alg in algorithms:
        if alg.lower() == "none" or alg.upper().startswith("HS"):
            raise ValueError(f"algorithm {alg!r} is never accepted: it is unsigned or symmetric")
        try:
            jwt.get_algorithm_by_name(alg)
        except NotImplementedError:
            raise ValueError(f"algorithm {alg!r} is unknown to PyJWT") from None


def _check_jwks_url(url: str) -> None:
    """Keys fetched in clear text could be swapped in transit; only loopback may use http."""
    parsed = urlparse(url)
    if parsed.scheme == "https" or (parsed.scheme == "http" and _is_loopback(parsed.hostname)):
        return
    raise ValueError(f"jwks_url must use https (plain http only on loopback): {url!r}")


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


class AuthError(Problem):
    """401: the request carries no usable credentials."""

    def __init__(self, reason: str, *, error: str | None = "invalid_token") -> None:
        # RFC 6750 §3.1: a request with no token at all gets a bare challenge, no error code.
        challenge = f'Bearer error="{error}"' if error else "Bearer"
        super().__init__(
            401,
            "unauthorized",
            "Authentication required",
            reason,
            headers={"WWW-Authenticate": challenge},
        )


class Forbidden(Problem):
    """403: the caller is known but may not do this."""

    def __init__(self, detail: str, *, rule: str | None = None) -> None:
        super().__init__(403, "forbidden", "Forbidden", detail, rule=rule)


class IdentityProviderUnavailable(Problem):
    """503: the JWKS could not be fetched, so a possibly valid token cannot be judged."""

    def __init__(self) -> None:
        super().__init__(
            503,
            "identity-provider-unavailable",
            "Identity provider unavailable",
            "Signing keys could not be fetched; try again shortly.",
        )


class TokenVerifier:
    """Turns a bearer token into a Principal, or refuses it with AuthError."""

    def __init__(self, config: AuthConfig) -> None:
        self.config = config
        self._jwks: jwt.PyJWKClient | None = None
        self._key: Any = None
        if config.jwks_url is not None:
            # PyJWKClient caches the key set (5 min) and rate-limits refetches on unknown kids.
            self._jwks = jwt.PyJWKClient(config.jwks_url, timeout=5)
            self._algorithms = list(config.algorithms)
        else:
            assert config.public_key_pem is not None  # guaranteed by AuthConfig
            self._key = load_pem_public_key(config.public_key_pem.encode())
            self._algorithms = _algorithms_for(self._key, config.algorithms)

    @property
    def may_block(self) -> bool:
        """Only a JWKS key set is fetched over the network; a configured key is checked in
        memory (well under a millisecond), cheaper than a hop to a worker thread."""
        return self._jwks is not None

    def verify(self, token: str) -> Principal:
        """Check signature, expiry, issuer and audience; blocking when it must fetch a JWKS."""
        try:
            claims = jwt.decode(
                token,
                self._signing_key(token),
                algorithms=self._algorithms,
                audience=self.config.audience,
                issuer=self.config.issuer,
                leeway=self.config.leeway_seconds,
                options={"require": list(REQUIRED_CLAIMS), "enforce_minimum_key_length": True},
            )
        except jwt.PyJWKClientConnectionError as exc:
            logger.warning("JWKS fetch from %s failed: %s", self.config.jwks_url, exc)
            raise IdentityProviderUnavailable() from exc
        except jwt.PyJWTError as exc:
            raise AuthError(f"the token was refused: {exc}") from exc
        lifetime = claims["exp"] - claims["iat"]
        if lifetime > self.config.max_lifetime_seconds:
            raise AuthError(
                f"the token lives {lifetime} s; at most {self.config.max_lifetime_seconds} s"
            )
        return principal_from_claims(claims)

    def _signing_key(self, token: str) -> Any:
        if self._jwks is None:
            return self._key
        return self._jwks.get_signing_key_from_jwt(token)


def _algorithms_for(key: Any, allowed: tuple[str, ...]) -> list[str]:
    """The allowed algorithms this key can verify.

    Narrowing up front means a token announcing another family (ES256 against an RSA key)
    is refused as a disallowed algorithm instead of surfacing PyJWT's TypeError as a 500.
    """
    usable = [alg for alg in allowed if _key_fits(alg, key)]
    if not usable:
        raise ValueError(f"the public key suits none of the algorithms {allowed}")
    return usable


def _key_fits(alg: str, key: Any) -> bool:
    try:
        jwt.get_algorithm_by_name(alg).prepare_key(key)
    except (jwt.InvalidKeyError, TypeError, ValueError):
        return False
    return True


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    """Principal of verified claims; roles this code does not know are dropped, not trusted."""
    roles = claims.get("roles")
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise AuthError("the token has no roles claim (a list of strings)")
    known = frozenset(roles) & ROLES
    if not known:
        raise AuthError("the token grants no role this service knows")
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject:
        raise AuthError("the token subject is empty")
    return Principal(
        subject=subject,
        organisation=_optional_str(claims, "org"),
        roles=known,
        agency=_optional_str(claims, "agency"),
        projects=_projects(claims),
    )


def _optional_str(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if value is None or isinstance(value, str):
        return value
    raise AuthError(f"the {name} claim must be a string")


def _projects(claims: Mapping[str, Any]) -> frozenset[str]:
    value = claims.get("projects", [])
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return frozenset(value)
    raise AuthError("the projects claim must be a list of strings")


_bearer = HTTPBearer(auto_error=False, description="JWT from the CareLedger identity provider")


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """FastAPI dependency: the verified caller. The edge (`events.edge`) verified it already
    for every route but health; an app without the edge uses `app.state.verifier` here."""
    verified = getattr(request.state, "principal", None)
    if isinstance(verified, Principal):
        return verified
    if credentials is None:
        raise AuthError("a bearer token is required", error=None)
    verifier = getattr(request.app.state, "verifier", None)
    if not isinstance(verifier, TokenVerifier):
        raise RuntimeError("app.state.verifier must be a TokenVerifier before routes are served")
    # A JWKS refetch does blocking I/O; keep it off the event loop.
    if verifier.may_block:
        principal = await run_in_threadpool(verifier.verify, credentials.credentials)
    else:
        principal = verifier.verify(credentials.credentials)
    request.state.principal = principal  # for access logs and audit middleware
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    """Dependency admitting callers that hold at least one of `roles`, refusing others with 403."""
    unknown = set(roles) - ROLES
    if not roles or unknown:
        raise ValueError(f"require_roles needs known roles, got unknown {sorted(unknown)}")
    needed = ", ".join(sorted(roles))

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if not principal.has_role(*roles):
            raise Forbidden(f"this action needs one of the roles: {needed}")
        return principal

    return dependency
