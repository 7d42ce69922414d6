"""Settings shared by every service. Each service subclasses `ServiceSettings` with its own env
prefix (`INTAKE_DATABASE_URL`, `INTAKE_PORT`, ...); what the whole deployment shares is read
without a prefix (`KAFKA_BOOTSTRAP_SERVERS`, `KEYSTORE_DATABASE_URL`, `CARELEDGER_KEK`, `JWT_*`).
"""

import base64
from typing import ClassVar

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from events.runtime import DEFAULT_YOUNG_THRESHOLD

PLACEHOLDERS = {"", "changeme", "change-me", "secret", "placeholder", "xxx"}


def shared(env: str) -> AliasChoices:
    """Read a field from an unprefixed variable shared by all services (or by its own name)."""
    return AliasChoices(env, env.lower())


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    service_name: ClassVar[str] = ""

    database_url: str
    # Migrations run as the tables' owner; `database_url` may then name a runtime role that can
    # only append events (libs/events/README.md, "Database roles"). Unset: one role does both.
    migration_database_url: str | None = None
    host: str = "127.0.0.1"
    port: int
    log_level: str = "INFO"

    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092", validation_alias=shared("KAFKA_BOOTSTRAP_SERVERS")
    )
    keystore_database_url: str = Field(validation_alias=shared("KEYSTORE_DATABASE_URL"))
    keystore_migration_database_url: str | None = Field(
        None, validation_alias=shared("KEYSTORE_MIGRATION_DATABASE_URL")
    )
    kek: SecretStr = Field(validation_alias=shared("CARELEDGER_KEK"))
    # During a KEK rotation: the KEK being retired, still read (never written with).
    previous_kek: SecretStr | None = Field(None, validation_alias=shared("CARELEDGER_PREVIOUS_KEK"))
    key_cache_seconds: float = Field(30.0, validation_alias=shared("CARELEDGER_KEY_CACHE_SECONDS"))

    jwt_issuer: str | None = Field(None, validation_alias=shared("JWT_ISSUER"))
    jwt_audience: str | None = Field(None, validation_alias=shared("JWT_AUDIENCE"))
    jwt_public_key_file: str | None = Field(None, validation_alias=shared("JWT_PUBLIC_KEY_FILE"))
    jwt_jwks_url: str | None = Field(None, validation_alias=shared("JWT_JWKS_URL"))
    dev_auth: bool = Field(False, validation_alias=shared("CARELEDGER_DEV_AUTH"))
    # A token living longer than this is refused, however validly signed (a stolen token's
    # use is bounded by it).
    jwt_max_lifetime_seconds: int = Field(
        3600, ge=60, le=86_400, validation_alias=shared("JWT_MAX_LIFETIME_SECONDS")
    )
    # The edge's limits (events/edge.py): a body over it is a 413, headers over it a 431.
    max_body_bytes: int = Field(
        1_048_576, ge=1024, validation_alias=shared("CARELEDGER_MAX_BODY_BYTES")
    )
    max_header_bytes: int = Field(
        32_768, ge=1024, validation_alias=shared("CARELEDGER_MAX_HEADER_BYTES")
    )

    consumer_group: str | None = None  # default: the service's name
    consumer_stall_seconds: float = 30.0
    consumer_max_attempts: int = 5
    outbox_keep_published_days: float = 7.0  # published outbox rows are deleted after this
    # Allocations between two scans of the collector's young generation (events.runtime);
    # 0 keeps Python's defaults.
    gc_young_threshold: int = Field(
        DEFAULT_YOUNG_THRESHOLD, ge=0, validation_alias=shared("CARELEDGER_GC_YOUNG_THRESHOLD")
    )

    @field_validator("kek", "previous_kek")
    @classmethod
    def _real_kek(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        raw = value.get_secret_value()
        if raw.strip().lower() in PLACEHOLDERS:
            raise ValueError(
                "CARELEDGER_KEK is a placeholder; set a real key (make run creates one)"
            )
        try:
            key = base64.b64decode(raw, validate=True)
        except ValueError:
            raise ValueError("CARELEDGER_KEK must be base64") from None
        if len(key) != 32 or len(set(key)) < 8:
            raise ValueError("CARELEDGER_KEK must be 32 random bytes, base64-encoded")
        return value

    @field_validator(
        "database_url",
        "keystore_database_url",
        "migration_database_url",
        "keystore_migration_database_url",
    )
    @classmethod
    def _asyncpg_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("postgresql+asyncpg://"):
            raise ValueError("database URLs must use the asyncpg driver: postgresql+asyncpg://...")
        return value
