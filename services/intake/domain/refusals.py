"""Why the domain refuses a command: the rules it breaks, each with its clause."""

from enum import StrEnum

from intake.domain import Violation


class Kind(StrEnum):
    INVALID = "invalid"  # the command itself breaks a rule
    CONFLICT = "conflict"  # the command is fine, but not in the record's present state


class Refused(Exception):
    """A command the rules do not allow; `violations` name every clause it breaks."""

    def __init__(self, kind: Kind, violations: list[Violation], state: str | None = None) -> None:
        if not violations:
            raise ValueError("a refusal names at least one violation")
        super().__init__("; ".join(v.message for v in violations))
        self.kind = kind
        self.violations = violations
        self.state = state  # the record's present state, when that is why it was refused

    @property
    def rule(self) -> str:
        """The clause of the first violation (a problem body carries one `rule`)."""
        return self.violations[0].rule


def refuse(kind: Kind, code: str, rule: str, message: str) -> Refused:
    return Refused(kind, [Violation(code=code, rule=rule, message=message)])
