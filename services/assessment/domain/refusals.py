"""Why the assessment domain refuses a command: every rule it breaks, each with its clause."""

from pydantic import BaseModel, ConfigDict


class Violation(BaseModel):
    """One rule a command does not meet, with the clause that says so and the field at fault."""

    model_config = ConfigDict(frozen=True)

    code: str
    rule: str
    field: str | None
    message: str


class Refused(Exception):
    """A command the rules do not allow; ``violations`` name every clause it breaks."""

    def __init__(self, violations: list[Violation]) -> None:
        if not violations:
            raise ValueError("a refusal names at least one violation")
        super().__init__("; ".join(v.message for v in violations))
        self.violations = violations

    @property
    def rule(self) -> str:
        """The clause of the first violation (a problem body carries one ``rule``)."""
        return self.violations[0].rule


class Conflict(Refused):
    """A command that is fine in itself but not in the case's present state (answered 409)."""
