"""Event types used only by the backbone's tests (registered in their own registry)."""

from pydantic import BaseModel, Field

from events.registry import EventData, Registry

sample_registry = Registry()


class Address(BaseModel):
    city: str
    street: str


@sample_registry.register("child.reported", 1, personal={"child_name", "description"})
class ChildReportedV1(EventData):
    child_name: str
    description: str
    triggers: list[int] = Field(default_factory=list)


@sample_registry.register("child.reported", 2, personal={"child_name", "description", "address"})
class ChildReported(EventData):
    child_name: str
    description: str
    triggers: list[int] = Field(default_factory=list)
    address: Address | None = None
    emergency: bool = False


@sample_registry.upcaster("child.reported", from_version=1)
def _v1_to_v2(data: dict) -> dict:
    return {**data, "address": None, "emergency": False}


@sample_registry.register("case.noted", 1)
class CaseNoted(EventData):
    note_code: str
    seq: int = 0
