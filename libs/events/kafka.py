"""Kafka topic names and client factories with safe settings (aiokafka's defaults are weak)."""

from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

SERVICES = ("intake", "assessment", "referral", "archive", "notify")
CLOUDEVENT_CONTENT_TYPE = b"application/cloudevents+json; charset=utf-8"


def events_topic(service: str) -> str:
    return f"careledger.{service}.events.v1"


def dlq_topic(service: str) -> str:
    return f"careledger.dlq.{service}"


def share_topic(agency: str) -> str:
    return f"careledger.share.{agency}.v1"


def make_producer(bootstrap_servers: str, client_id: str, **overrides: Any) -> AIOKafkaProducer:
    """Idempotent producer, acks from all in-sync replicas: no loss, no duplicates by retry."""
    options: dict[str, Any] = {
        "bootstrap_servers": bootstrap_servers,
        "client_id": client_id,
        "acks": "all",
        "enable_idempotence": True,
        # The relay appends a whole batch before it awaits the acks, so batching needs no
        # linger; a linger would only delay each batch's last request.
        "linger_ms": 0,
        # The relay hands whole record batches to the producer and waits for a full one's
        # acknowledgement before it starts the next for that partition (so that a failed batch
        # is never overtaken): a batch holds a relay batch's rows for one partition. Half the
        # broker's default message.max.bytes (1,048,588) leaves room for the framing.
        "max_batch_size": 512 * 1024,
        "request_timeout_ms": 15000,
        "retry_backoff_ms": 200,
    }
    return AIOKafkaProducer(**{**options, **overrides})


def make_consumer(
    bootstrap_servers: str, group_id: str, topics: list[str], client_id: str, **overrides: Any
) -> AIOKafkaConsumer:
    """Manual commits (after the handler's transaction), read_committed, from the beginning."""
    options: dict[str, Any] = {
        "bootstrap_servers": bootstrap_servers,
        "group_id": group_id,
        "client_id": client_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "isolation_level": "read_committed",
        "session_timeout_ms": 10000,
        "heartbeat_interval_ms": 2000,
        "metadata_max_age_ms": 30000,
        "max_poll_records": 200,
        # Prefetch per partition and per fetch: a service catching up on a topic's history
        # buffers this much per partition (aiokafka's 1 MB default made an idle intake
        # reading four topics 16 MB larger); a batch larger than this still comes whole.
        "max_partition_fetch_bytes": 64 * 1024,
        "fetch_max_bytes": 2 * 1024 * 1024,
    }
    return AIOKafkaConsumer(*topics, **{**options, **overrides})
