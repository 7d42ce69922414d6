"""Errors the backbone raises; each says what went wrong in words a caller can act on."""


class BackboneError(Exception):
    """Base class of every error raised by libs/events."""


class ConcurrencyError(BackboneError):
    """A writer appended at a version that is no longer the stream's current one."""

    def __init__(self, stream_id: str, expected: int | None, actual: int) -> None:
        super().__init__(
            f"stream {stream_id!r} is at version {actual}, not the expected {expected}"
        )
        self.stream_id, self.expected, self.actual = stream_id, expected, actual


class IdempotencyConflict(BackboneError):
    """An event id already stored is re-appended with different content or stream."""


class EventTooLarge(BackboneError):
    """A sealed event is larger than a Kafka message may be: it could never be published."""

    def __init__(self, event_type: str, size: int, limit: int) -> None:
        super().__init__(f"a {event_type} event of {size} bytes is over the limit of {limit}")
        self.event_type, self.size, self.limit = event_type, size, limit


class UnknownEventType(BackboneError):
    """The registry has no model for an event type string."""


class KeyShredded(BackboneError):
    """The data key of a stream was destroyed; its personal fields can never be read again."""

    def __init__(self, scope: str) -> None:
        super().__init__(f"data key of {scope!r} was shredded; personal fields are unreadable")
        self.scope = scope


class KeyUnavailable(BackboneError):
    """No data key exists for a scope (never created), or the key store cannot unwrap it."""
