"""The bounds of what intake accepts from a request: every text has a maximum (`Line` and
`Text` of `events.domain`, or a tighter one), every list a length, every id in a path or query
a length, every time and date a window. An input out of bounds is a 422 problem naming the
field, never an event too large to keep or arithmetic that overflows (a 500).

Nothing intake records happened before 2000-01-01 (`intake.domain.clock`). The upper end only
keeps the arithmetic on a time (its day in China, its deadlines) in range; a time after
now is refused by the rule that dates it (`intake.domain.clock.in_the_future`), a birth date
after the report or of someone 18 or older by I-7."""

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import Path, Query
from pydantic import AwareDatetime, Field

from events.domain import Line, Text
from intake.domain.clock import EARLIEST

LATEST = datetime(2100, 1, 1, tzinfo=UTC)
ID_MAX = 200  # an id: ours (a prefix and a uuid) or a staff member's subject at the provider

Moment = Annotated[AwareDatetime, Field(ge=EARLIEST, lt=LATEST)]
Day = Annotated[date, Field(ge=EARLIEST.date(), lt=LATEST.date())]
BirthDate = Annotated[date, Field(ge=date(1900, 1, 1), lt=LATEST.date())]

Name = Annotated[Line, Field(min_length=1, max_length=100)]
Words = Annotated[Line, Field(min_length=1)]  # a required line: a relation, a place, a title
Relation = Annotated[Line, Field(min_length=1, max_length=50)]  # 母亲, 祖父, child, ...
Note = Annotated[Text, Field(max_length=2000)]  # a short free text: a reason, a note
Story = Annotated[Text, Field(min_length=1)]  # a required free text: what happened, findings
RecordId = Annotated[Line, Field(min_length=1, max_length=ID_MAX)]

PathId = Annotated[str, Path(max_length=ID_MAX)]
QueryId = Annotated[str | None, Query(max_length=ID_MAX)]
