"""Event types: a pydantic model, a name and a version each; upcasters for old versions.

A type string is `<name>.v<version>`, e.g. `case.opened.v1`. Old versions stay registered
(their schema and personal fields are needed to read old events) and are upcast on read,
never rewritten in the store.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar, cast

from pydantic import BaseModel, ConfigDict

from events.errors import UnknownEventType

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
SCHEMA_BASE = "urn:careledger:schema:"


class EventData(BaseModel):
    """Base of every event payload. Subclasses are registered with `Registry.register`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_name: ClassVar[str] = ""
    event_version: ClassVar[int] = 0
    personal: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def type_string(cls) -> str:
        return f"{cls.event_name}.v{cls.event_version}"


E = TypeVar("E", bound=type[EventData])


@dataclass(frozen=True)
class TypeInfo:
    model: type[EventData]
    name: str
    version: int
    personal: frozenset[str]

    @property
    def type_string(self) -> str:
        return f"{self.name}.v{self.version}"

    @property
    def dataschema(self) -> str:
        return SCHEMA_BASE + self.type_string


def split_type(type_string: str) -> tuple[str, int]:
    name, _, version = type_string.rpartition(".v")
    if not name or not version.isdigit():
        raise UnknownEventType(f"not a versioned event type: {type_string!r}")
    return name, int(version)


class Registry:
    def __init__(self) -> None:
        self._types: dict[str, TypeInfo] = {}
        self._latest: dict[str, int] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}

    def register(
        self, name: str, version: int = 1, personal: Iterable[str] = ()
    ) -> Callable[[E], E]:
        """Class decorator: `@registry.register("case.opened", 1, personal={"child_name"})`."""

        def decorate(model: E) -> E:
            fields = frozenset(personal)
            unknown = fields - set(cast(type[EventData], model).model_fields)
            if unknown:
                raise ValueError(f"{model.__name__}: personal fields not on the model: {unknown}")
            model.event_name, model.event_version, model.personal = name, version, fields
            info = TypeInfo(model, name, version, fields)
            if info.type_string in self._types:
                raise ValueError(f"event type registered twice: {info.type_string}")
            self._types[info.type_string] = info
            self._latest[name] = max(version, self._latest.get(name, 0))
            return model

        return decorate

    def upcaster(self, name: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Register a function turning `name` data at `from_version` into `from_version + 1`."""

        def decorate(fn: Upcaster) -> Upcaster:
            self._upcasters[(name, from_version)] = fn
            return fn

        return decorate

    def info(self, type_string: str) -> TypeInfo:
        try:
            return self._types[type_string]
        except KeyError:
            raise UnknownEventType(f"no event type registered as {type_string!r}") from None

    def info_for(self, model: type[EventData]) -> TypeInfo:
        return self.info(model.type_string())

    def knows(self, type_string: str) -> bool:
        return type_string in self._types

    def upcast(self, type_string: str, data: dict[str, Any]) -> tuple[TypeInfo, dict[str, Any]]:
        """Bring plaintext `data` of `type_string` up to the newest registered version."""
        name, version = split_type(type_string)
        latest = self._latest.get(name)
        if latest is None:
            raise UnknownEventType(f"no event type registered under the name {name!r}")
        while version < latest:
            step = self._upcasters.get((name, version))
            if step is None:
                raise UnknownEventType(f"no upcaster from {name}.v{version}")
            data, version = step(dict(data)), version + 1
        return self.info(f"{name}.v{version}"), data

    def load(self, type_string: str, data: dict[str, Any]) -> EventData:
        info, upcast = self.upcast(type_string, data)
        return info.model.model_validate(upcast)

    def types(self) -> list[TypeInfo]:
        return sorted(self._types.values(), key=lambda i: i.type_string)

    def json_schemas(self) -> dict[str, dict[str, Any]]:
        """Every registered type's JSON Schema, by type string, personal fields marked."""
        out = {}
        for info in self.types():
            schema = info.model.model_json_schema()
            schema["$id"] = info.dataschema
            schema["x-personal-fields"] = sorted(info.personal)
            out[info.type_string] = schema
        return out


registry = Registry()
"""The process-wide registry every service registers its event types into."""
