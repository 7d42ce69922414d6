"""Pure intake rules: identity, mandatory reporting, team assignment, duplicate hints.

Nothing here imports a web framework, a database or a broker; the functions decide and return
values, and every decision names the clause that made it (`rule="MZ-6.2.2"`). Rule codes are
the clause numbers of the standards in `DOMAIN.md` (`SZ-5.2.2(2)`, `MZ-7.1.3`, `JX-7.3`); where
no standard in that table is the source (the GB 11643 ID check) the `DOMAIN.md` rule id is used
(`I-7`). The submodules are imported by name: `intake.domain.identity`, `.mandatory`,
`.assignment`, `.duplicates`. This module holds only the value types they share; a refusal is
`events.domain.Refused` (a bad command, 422) or `Conflict` (not in the present state, 409).
"""

from enum import StrEnum

from events.domain import Violation

__all__ = ["Gender", "Violation"]


class Gender(StrEnum):
    """Gender as recorded on the resident ID (GB 11643: odd sequence digit = male)."""

    MALE = "male"
    FEMALE = "female"
