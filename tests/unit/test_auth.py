"""Bearer-JWT authentication: which tokens a service accepts, and how it refuses the rest."""

import base64
import hashlib
import hmac
import json
import os
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from jwt.algorithms import RSAAlgorithm

from events import devissuer
from events.auth import (
    AuthConfig,
    AuthError,
    CurrentPrincipal,
    Principal,
    TokenVerifier,
    require_roles,
)
from events.problems import PROBLEM_BASE, install_problem_handlers

ISSUER = "https://id.careledger.example"
AUDIENCE = "careledger-intake"
REPO_ROOT = Path(__file__).resolve().parents[2]


# --- keys, tokens and a protected app ---------------------------------------------------


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-42",
        "org": "org-demo",
        "roles": ["worker"],
        "iat": now,
        "exp": now + 600,
    }
    base.update(overrides)
    return {name: value for name, value in base.items() if value is not None}


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unsigned_token(header: dict[str, Any], payload: dict[str, Any]) -> str:
    """Header and payload segments as an attacker would write them, without a signature."""
    return f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}"


def make_app(verifier: TokenVerifier) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.state.verifier = verifier

    @app.get("/me")
    async def me(principal: CurrentPrincipal) -> dict[str, Any]:
        return {
            "subject": principal.subject,
            "organisation": principal.organisation,
            "roles": sorted(principal.roles),
            "agency": principal.agency,
            "projects": sorted(principal.projects),
        }

    @app.get("/supervision", dependencies=[Depends(require_roles("supervisor", "org_admin"))])
    async def supervision() -> dict[str, bool]:
        return {"ok": True}

    return app


@pytest.fixture(scope="module")
def verifier(rsa_key: rsa.RSAPrivateKey) -> TokenVerifier:
    return TokenVerifier(AuthConfig(ISSUER, AUDIENCE, public_key_pem=public_pem(rsa_key)))


@pytest.fixture(scope="module")
def client(verifier: TokenVerifier) -> TestClient:
    return TestClient(make_app(verifier), raise_server_exceptions=False)


def get_me(client: TestClient, token: str) -> Any:
    return client.get("/me", headers={"Authorization": f"Bearer {token}"})


def assert_refused(response: Any, challenge: str = 'Bearer error="invalid_token"') -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == challenge
    assert response.json()["type"] == PROBLEM_BASE + "unauthorized"


# --- accepted ----------------------------------------------------------------------------


def test_a_valid_token_is_accepted_and_yields_the_principal(
    client: TestClient, rsa_key: rsa.RSAPrivateKey
) -> None:
    token = jwt.encode(
        claims(roles=["entrustor", "wizard"], projects=["p-1", "p-2"]), rsa_key, "RS256"
    )
    response = get_me(client, token)
    assert response.status_code == 200
    assert response.json() == {
        "subject": "user-42",
        "organisation": "org-demo",
        "roles": ["entrustor"],
        "agency": None,
        "projects": ["p-1", "p-2"],
    }


def test_an_es256_token_is_accepted_with_an_ec_key(ec_key: ec.EllipticCurvePrivateKey) -> None:
    verifier = TokenVerifier(AuthConfig(ISSUER, AUDIENCE, public_key_pem=public_pem(ec_key)))
    principal = verifier.verify(
        jwt.encode(claims(roles=["partner"], agency="ase-13"), ec_key, "ES256")
    )
    assert principal == Principal("user-42", "org-demo", frozenset({"partner"}), agency="ase-13")


def test_an_expiry_within_the_leeway_is_still_accepted(
    verifier: TokenVerifier, rsa_key: rsa.RSAPrivateKey
) -> None:
    token = jwt.encode(claims(exp=int(time.time()) - 5), rsa_key, "RS256")
    assert verifier.verify(token).subject == "user-42"


def test_a_holder_of_a_required_role_passes_the_role_check(
    client: TestClient, rsa_key: rsa.RSAPrivateKey
) -> None:
    token = jwt.encode(claims(roles=["supervisor"]), rsa_key, "RS256")
    response = client.get("/supervision", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_has_role_is_true_when_any_role_matches() -> None:
    principal = Principal("u", "o", frozenset({"worker", "auditor"}))
    assert principal.has_role("supervisor", "auditor")
    assert not principal.has_role("supervisor")


# --- refused -----------------------------------------------------------------------------


def test_expired_token_is_refused(client: TestClient, rsa_key: rsa.RSAPrivateKey) -> None:
    now = int(time.time())
    response = get_me(client, jwt.encode(claims(iat=now - 900, exp=now - 300), rsa_key, "RS256"))
    assert_refused(response)
    assert "expired" in response.json()["detail"]


def test_a_token_for_another_audience_is_refused(
    client: TestClient, rsa_key: rsa.RSAPrivateKey
) -> None:
    assert_refused(get_me(client, jwt.encode(claims(aud="careledger-notify"), rsa_key, "RS256")))


def test_a_token_from_another_issuer_is_refused(
    client: TestClient, rsa_key: rsa.RSAPrivateKey
) -> None:
    token = jwt.encode(claims(iss="https://evil.example"), rsa_key, "RS256")
    assert_refused(get_me(client, token))


@pytest.mark.parametrize("missing", ["exp", "iat", "sub", "iss", "aud"])
def test_a_token_missing_a_required_claim_is_refused(
    client: TestClient, rsa_key: rsa.RSAPrivateKey, missing: str
) -> None:
    token = jwt.encode(claims(**{missing: None}), rsa_key, "RS256")
    assert_refused(get_me(client, token))


def test_an_unsigned_alg_none_token_is_refused(client: TestClient) -> None:
    token = unsigned_token({"alg": "none", "typ": "JWT"}, claims()) + "."
    assert_refused(get_me(client, token))


def test_an_hs256_token_keyed_with_the_public_key_is_refused(
    client: TestClient, rsa_key: rsa.RSAPrivateKey
) -> None:
    # Key confusion: a verifier that let the token choose HS256 would use the (public)
    # PEM as the HMAC secret and accept this forgery.
    signing_input = unsigned_token({"alg": "HS256", "typ": "JWT"}, claims(roles=["org_admin"]))
    secret = public_pem(rsa_key).encode()
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    assert_refused(get_me(client, f"{signing_input}.{b64url(signature)}"))


def test_a_token_signed_by_another_key_is_refused(
    client: TestClient, other_rsa_key: rsa.RSAPrivateKey
) -> None:
    assert_refused(get_me(client, jwt.encode(claims(), other_rsa_key, "RS256")))


def test_a_token_of_another_key_family_is_refused_not_crashed(
    client: TestClient, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    # ES256 is on the default allow-list, but the configured key is RSA.
    assert_refused(get_me(client, jwt.encode(claims(), ec_key, "ES256")))


def test_a_request_without_a_token_is_refused_with_a_bare_challenge(client: TestClient) -> None:
    assert_refused(client.get("/me"), challenge="Bearer")


def test_a_non_bearer_scheme_is_refused(client: TestClient) -> None:
    response = client.get("/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert_refused(response, challenge="Bearer")


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b.c", "e30.e30.", "...."])
def test_a_malformed_token_is_refused(client: TestClient, token: str) -> None:
    assert_refused(get_me(client, token))


def test_a_token_without_roles_is_refused(client: TestClient, rsa_key: rsa.RSAPrivateKey) -> None:
    assert_refused(get_me(client, jwt.encode(claims(roles=None), rsa_key, "RS256")))


def test_a_token_with_only_unknown_roles_is_refused(
    client: TestClient, rsa_key: rsa.RSAPrivateKey
) -> None:
    assert_refused(get_me(client, jwt.encode(claims(roles=["root"]), rsa_key, "RS256")))


def test_a_token_with_roles_as_a_string_is_refused(
    client: TestClient, rsa_key: rsa.RSAPrivateKey
) -> None:
    assert_refused(get_me(client, jwt.encode(claims(roles="supervisor"), rsa_key, "RS256")))


def test_a_caller_without_the_required_role_is_forbidden(
    client: TestClient, rsa_key: rsa.RSAPrivateKey
) -> None:
    token = jwt.encode(claims(roles=["worker"]), rsa_key, "RS256")
    response = client.get("/supervision", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    body = response.json()
    assert body["type"] == PROBLEM_BASE + "forbidden"
    assert "org_admin" in body["detail"]
    assert "supervisor" in body["detail"]


@settings(max_examples=200, deadline=None)
@given(
    token=st.text(max_size=300) | st.from_regex(r"[A-Za-z0-9_-]{0,40}(\.[A-Za-z0-9_-]{0,40}){2}")
)
def test_any_garbage_token_is_refused_with_auth_error_only(
    verifier: TokenVerifier, token: str
) -> None:
    with pytest.raises(AuthError):
        verifier.verify(token)


# --- configuration -----------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["HS256", "HS512", "none", "None"])
def test_symmetric_and_unsigned_algorithms_cannot_be_configured(
    rsa_key: rsa.RSAPrivateKey, alg: str
) -> None:
    with pytest.raises(ValueError, match="never accepted"):
        AuthConfig(ISSUER, AUDIENCE, algorithms=("RS256", alg), public_key_pem=public_pem(rsa_key))


def test_exactly_one_key_source_must_be_given(rsa_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        AuthConfig(ISSUER, AUDIENCE)
    with pytest.raises(ValueError, match="exactly one"):
        AuthConfig(
            ISSUER, AUDIENCE, public_key_pem=public_pem(rsa_key), jwks_url="https://id.example/"
        )


def test_a_jwks_url_must_use_https_off_loopback() -> None:
    with pytest.raises(ValueError, match="https"):
        AuthConfig(ISSUER, AUDIENCE, jwks_url="http://id.example/jwks.json")
    AuthConfig(ISSUER, AUDIENCE, jwks_url="http://127.0.0.1:8080/jwks.json")


def test_a_key_that_suits_no_allowed_algorithm_is_rejected(rsa_key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(ValueError, match="suits none"):
        TokenVerifier(
            AuthConfig(ISSUER, AUDIENCE, algorithms=("ES256",), public_key_pem=public_pem(rsa_key))
        )


def test_require_roles_rejects_a_misspelt_role() -> None:
    with pytest.raises(ValueError, match="supervsor"):
        require_roles("supervsor")


# --- JWKS served over loopback HTTP ------------------------------------------------------


class _JwksHandler(BaseHTTPRequestHandler):
    jwks: bytes = b"{}"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.jwks)))
        self.end_headers()
        self.wfile.write(self.jwks)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""


@pytest.fixture(scope="module")
def jwks_url(rsa_key: rsa.RSAPrivateKey) -> Iterator[str]:
    jwk = RSAAlgorithm.to_jwk(rsa_key.public_key(), as_dict=True)
    jwk.update({"kid": "key-1", "use": "sig", "alg": "RS256"})
    handler = type("Handler", (_JwksHandler,), {"jwks": json.dumps({"keys": [jwk]}).encode()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def jwks_client(jwks_url: str) -> TestClient:
    verifier = TokenVerifier(AuthConfig(ISSUER, AUDIENCE, jwks_url=jwks_url))
    return TestClient(make_app(verifier), raise_server_exceptions=False)


def test_a_token_whose_kid_is_in_the_jwks_is_accepted(
    jwks_client: TestClient, rsa_key: rsa.RSAPrivateKey
) -> None:
    token = jwt.encode(claims(roles=["auditor"]), rsa_key, "RS256", headers={"kid": "key-1"})
    response = get_me(jwks_client, token)
    assert response.status_code == 200, response.text
    assert response.json()["roles"] == ["auditor"]


def test_a_token_whose_kid_is_not_in_the_jwks_is_refused(
    jwks_client: TestClient, other_rsa_key: rsa.RSAPrivateKey
) -> None:
    token = jwt.encode(claims(), other_rsa_key, "RS256", headers={"kid": "key-2"})
    assert_refused(get_me(jwks_client, token))


def test_a_token_forging_a_known_kid_is_refused(
    jwks_client: TestClient, other_rsa_key: rsa.RSAPrivateKey
) -> None:
    token = jwt.encode(claims(), other_rsa_key, "RS256", headers={"kid": "key-1"})
    assert_refused(get_me(jwks_client, token))


def test_an_unreachable_jwks_is_a_503_not_a_verdict_on_the_token(
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    verifier = TokenVerifier(AuthConfig(ISSUER, AUDIENCE, jwks_url=f"http://127.0.0.1:{port}/"))
    client = TestClient(make_app(verifier), raise_server_exceptions=False)
    token = jwt.encode(claims(), rsa_key, "RS256", headers={"kid": "key-1"})
    response = get_me(client, token)
    assert response.status_code == 503
    assert response.json()["type"] == PROBLEM_BASE + "identity-provider-unavailable"


# --- the development issuer --------------------------------------------------------------


@pytest.fixture
def dev_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "dev-issuer"
    monkeypatch.setenv(devissuer.DIR_ENV, str(directory))
    return directory


def test_a_dev_token_verifies_with_the_dev_config(dev_dir: Path) -> None:
    token = devissuer.issue_token(
        ["entrustor", "auditor"], "org-demo", subject="alice", projects=["p-9"]
    )
    principal = TokenVerifier(devissuer.dev_auth_config()).verify(token)
    assert principal == Principal(
        "alice", "org-demo", frozenset({"entrustor", "auditor"}), projects=frozenset({"p-9"})
    )
    assert jwt.get_unverified_header(token)["kid"]


def test_the_dev_key_is_created_once_and_private_to_its_owner(dev_dir: Path) -> None:
    first = devissuer.issue_token("worker", "org-demo")
    second = devissuer.issue_token("worker", "org-demo")
    assert jwt.get_unverified_header(first)["kid"] == jwt.get_unverified_header(second)["kid"]
    assert [p.name for p in dev_dir.iterdir()] == ["private.pem"]
    assert stat.S_IMODE((dev_dir / "private.pem").stat().st_mode) == 0o600


def test_the_dev_issuer_refuses_an_unknown_role(dev_dir: Path) -> None:
    with pytest.raises(ValueError, match="wizard"):
        devissuer.issue_token("wizard", "org-demo")


def run_cli(dev_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "libs"), devissuer.DIR_ENV: str(dev_dir)}
    return subprocess.run(
        [sys.executable, "-m", "events.devissuer", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_the_cli_prints_only_a_token_that_verifies(dev_dir: Path) -> None:
    result = run_cli(dev_dir, "token", "--role", "partner", "--org", "org-demo", "--agency", "ase")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1
    principal = TokenVerifier(devissuer.dev_auth_config()).verify(result.stdout.strip())
    assert (principal.subject, principal.agency) == ("dev-partner", "ase")


def test_the_cli_prints_the_public_key(dev_dir: Path) -> None:
    result = run_cli(dev_dir, "public-key")
    assert result.returncode == 0, result.stderr
    assert result.stdout == devissuer.public_key_pem()
    assert result.stdout.startswith("-----BEGIN PUBLIC KEY-----")


def test_the_cli_refuses_an_unknown_role_with_exit_code_2(dev_dir: Path) -> None:
    result = run_cli(dev_dir, "token", "--role", "wizard", "--org", "org-demo")
    assert result.returncode == 2
    assert "invalid choice: 'wizard'" in result.stderr
    assert result.stdout == ""


def test_only_a_jwks_verifier_leaves_the_event_loop(verifier: TokenVerifier, jwks_url: str) -> None:
    """A configured key is checked in memory on the request's own task; a JWKS may be fetched,
    so its check runs on a worker thread (current_principal)."""
    jwks = TokenVerifier(AuthConfig(ISSUER, AUDIENCE, jwks_url=jwks_url))
    assert (verifier.may_block, jwks.may_block) == (False, True)
