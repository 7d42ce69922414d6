"""Path parameters of the assessment routes: ids a client may put in a URL."""

from typing import Annotated

from fastapi import Path

Id = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
CaseId = Id
