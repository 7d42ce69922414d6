"""The pure domain kit every service's `domain` package builds on: event payloads and their
registry, and refusals that name the clause deciding them.

Standard library and pydantic only (import-linter keeps it so, `make lint`): a domain that
imports this module can be read and tested without a web framework, database or broker.
State is folded one function per event type with `functools.singledispatch`, the standard
library's registered-function-per-type; nothing here wraps it.
"""

from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from events.registry import EventData, registry

__all__ = [
    "Conflict",
    "EventData",
    "Line",
    "Refused",
    "Text",
    "Violation",
    "conflict",
    "refuse",
    "registry",
]

LINE_MAX = 200
TEXT_MAX = 10_000

Line = Annotated[str, StringConstraints(max_length=LINE_MAX, pattern=r"^[^\x00-\x1f\x7f]*$")]
"""One line of text (a name, a title, an institution): no control characters, 200 at most."""

Text = Annotated[
    str, StringConstraints(max_length=TEXT_MAX, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")
]
"""Free text (what happened, a summary): line breaks and tabs allowed, 10,000 characters at most."""


class Violation(BaseModel):
    """One rule a command does not meet: a stable code, the clause that says so, the field at
    fault when there is one. A `sensitive` message may repeat personal data sent in the request
    (a birth date, an ID number), so problem bodies show its code and clause only."""

    model_config = ConfigDict(frozen=True)

    code: str
    rule: str
    message: str
    field: str | None = None
    sensitive: bool = Field(default=False, exclude=True)

    def said(self) -> str:
        return f"{self.code} ({self.rule})" if self.sensitive else self.message


class Refused(Exception):
    """A command the rules do not allow (answered 422); `violations` name every clause it breaks.
    `state` is the record's present state when that is why it was refused."""

    status = 422

    def __init__(self, violations: list[Violation], state: str | None = None) -> None:
        if not violations:
            raise ValueError("a refusal names at least one violation")
        super().__init__("; ".join(v.said() for v in violations))
        self.violations = violations
        self.state = state

    @property
    def rule(self) -> str:
        """The clause of the first violation (a problem body carries one `rule`)."""
        return self.violations[0].rule

    @classmethod
    def one(
        cls,
        code: str,
        rule: str,
        message: str,
        *,
        field: str | None = None,
        state: str | None = None,
        sensitive: bool = False,
    ) -> Self:
        violation = Violation(
            code=code, rule=rule, message=message, field=field, sensitive=sensitive
        )
        return cls([violation], state=state)


class Conflict(Refused):
    """A command that is fine in itself but not in the record's present state (answered 409)."""

    status = 409


refuse = Refused.one
conflict = Conflict.one
