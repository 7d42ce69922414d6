"""Local development issuer: mints tokens that services in development mode accept.

The RSA private key lies unencrypted on disk, so these tokens prove nothing outside a
developer's machine; production services verify against the real identity provider.

    python -m events.devissuer token --role supervisor --org org-demo
    python -m events.devissuer public-key
"""

import argparse
import base64
import hashlib
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from events.auth import ROLES, AuthConfig

DEV_ISSUER = "careledger-dev"
DEV_AUDIENCE = "careledger"
DIR_ENV = "CARELEDGER_DEV_ISSUER_DIR"
ALGORITHM = "RS256"

_REPO_ROOT = Path(__file__).resolve().parents[2]
_KEY_FILE = "private.pem"


def key_dir() -> Path:
    """Where the key pair lives: `$CARELEDGER_DEV_ISSUER_DIR`, else `<repo>/.local/dev-issuer`."""
    override = os.environ.get(DIR_ENV)
    return Path(override) if override else _REPO_ROOT / ".local" / "dev-issuer"


def _private_key() -> rsa.RSAPrivateKey:
    path = key_dir() / _KEY_FILE
    if not path.exists():
        _create_key(path)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"{path} does not hold an RSA private key")
    return key


def _create_key(path: Path) -> None:
    """Write a new key readable by its owner only, without clobbering a concurrent writer's.

    mkstemp creates the file with mode 600; linking it into place fails if another process
    (two services starting together) got there first, and then everyone uses that key.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".private-", suffix=".pem")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(pem)
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)


def public_key_pem() -> str:
    """The PEM (SubjectPublicKeyInfo) of the development key pair, created if absent."""
    return _public_pem(_private_key().public_key()).decode()


def _public_pem(public_key: rsa.RSAPublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _kid(public_key: rsa.RSAPublicKey) -> str:
    """Key id derived from the public key, so it changes exactly when the key does."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()


def issue_token(
    role: str | Sequence[str],
    org: str | None,
    subject: str | None = None,
    agency: str | None = None,
    projects: Iterable[str] = (),
    ttl_seconds: int = 3600,
) -> str:
    """A signed RS256 token for `role` (one or several) in `org`; subject defaults to dev-<role>."""
    roles = [role] if isinstance(role, str) else list(role)
    unknown = sorted(set(roles) - ROLES)
    if not roles or unknown:
        raise ValueError(f"unknown role(s) {unknown}; known roles: {', '.join(sorted(ROLES))}")
    if ttl_seconds <= 0:
        raise ValueError("ttl_seconds must be positive")
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": DEV_ISSUER,
        "aud": DEV_AUDIENCE,
        "sub": subject or f"dev-{roles[0]}",
        "roles": roles,
        "iat": now,
        "exp": now + ttl_seconds,
        "jti": str(uuid.uuid4()),
    }
    claims.update(_optional_claims(org, agency, list(projects)))
    key = _private_key()
    return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": _kid(key.public_key())})


def _optional_claims(org: str | None, agency: str | None, projects: list[str]) -> dict[str, Any]:
    optional = {"org": org, "agency": agency, "projects": projects}
    return {name: value for name, value in optional.items() if value}


def dev_auth_config() -> AuthConfig:
    """What a service in development mode verifies against: this issuer's public key."""
    return AuthConfig(
        issuer=DEV_ISSUER,
        audience=DEV_AUDIENCE,
        algorithms=(ALGORITHM,),
        public_key_pem=public_key_pem(),
    )


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m events.devissuer",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    token = commands.add_parser("token", help="print a signed token (and nothing else)")
    token.add_argument("--role", action="append", required=True, choices=sorted(ROLES))
    token.add_argument("--org", help="organisation id (the org claim)")
    token.add_argument("--sub", help="subject; default dev-<first role>")
    token.add_argument("--agency", help="partner agency id")
    token.add_argument("--project", action="append", default=[], help="entrustor project id")
    token.add_argument("--ttl", type=_positive_int, default=3600, help="lifetime in seconds")
    commands.add_parser("public-key", help="print the public key PEM")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "public-key":
        sys.stdout.write(public_key_pem())
        return 0
    token = issue_token(
        args.role,
        args.org,
        subject=args.sub,
        agency=args.agency,
        projects=args.project,
        ttl_seconds=args.ttl,
    )
    print(token)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
