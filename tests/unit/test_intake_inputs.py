"""Every input of intake's API is bounded (security issue, items 3 and 4): each text of a request
body has a maximum length, each list a maximum size, each number a range, each id in a path or a
query a maximum length, and each time and date a window, read from the OpenAPI document the
routers make and from the request models themselves. Pure: no service runs."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import BaseModel, ValidationError

from intake.api import routers
from intake.api.casework import (
    ConsentCreate,
    InvestigationCreate,
    MinorIn,
    StatementCreate,
    VisitCreate,
)
from intake.api.reports import (
    AcknowledgementCreate,
    ChildIn,
    CivilAffairsNoticeCreate,
    ReportCreate,
    WhatHappened,
)
from intake.api.staff import BackgroundCheckCreate, DeregistrationCreate, StaffCreate

FORMATS_WITH_A_WINDOW = {"date", "date-time"}  # checked field by field below


def openapi() -> dict[str, Any]:
    app = FastAPI()
    for router in routers():
        app.include_router(router)
    return app.openapi()


SPEC = openapi()


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        return SPEC["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def leaves(node: dict[str, Any], path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema under `node` that is not an object or a union, with its path."""
    node = resolve(node)
    for option in node.get("anyOf", []):
        yield from leaves(option, path)
    if "anyOf" in node:
        return
    if node.get("type") == "object" or "properties" in node:
        for name, child in node.get("properties", {}).items():
            yield from leaves(child, f"{path}.{name}")
        extra = node.get("additionalProperties")
        if isinstance(extra, dict):
            yield from leaves(extra, f"{path}.*")
        return
    yield path, node
    if node.get("type") == "array":
        yield from leaves(node["items"], f"{path}[]")


def body_leaves() -> Iterator[tuple[str, dict[str, Any]]]:
    for route, methods in SPEC["paths"].items():
        for method, operation in methods.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                yield from leaves(body["schema"], f"{method.upper()} {route}")


def parameters() -> Iterator[tuple[str, dict[str, Any]]]:
    for route, methods in SPEC["paths"].items():
        for method, operation in methods.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] in ("path", "query"):
                    name = f"{method.upper()} {route} {parameter['name']}"
                    yield from leaves(parameter["schema"], name)


def test_every_text_of_a_request_body_has_a_maximum_length() -> None:
    unbounded = [
        path
        for path, leaf in body_leaves()
        if leaf.get("type") == "string"
        and "enum" not in leaf
        and leaf.get("format") not in FORMATS_WITH_A_WINDOW
        and "maxLength" not in leaf
    ]
    assert unbounded == []


def test_every_list_of_a_request_body_has_a_maximum_size() -> None:
    unbounded = [
        path
        for path, leaf in body_leaves()
        if leaf.get("type") == "array" and "maxItems" not in leaf
    ]
    assert unbounded == []


def test_every_number_of_a_request_body_has_a_range() -> None:
    numbers = [(p, leaf) for p, leaf in body_leaves() if leaf.get("type") in ("integer", "number")]
    assert numbers, "the triggers and years in child services are numbers"
    unbounded = [p for p, leaf in numbers if not ({"minimum", "maximum"} <= set(leaf))]
    assert unbounded == []


def test_every_id_in_a_path_or_a_query_has_a_maximum_length() -> None:
    unbounded = [
        name
        for name, leaf in parameters()
        if leaf.get("type") == "string" and "enum" not in leaf and "maxLength" not in leaf
    ]
    assert unbounded == []


# Every date and time a request body carries: the model that declares it, the field, its kind.
DATED: list[tuple[type[BaseModel], str, str]] = [
    (ReportCreate, "received_at", "time"),
    (WhatHappened, "occurred_at", "time"),
    (AcknowledgementCreate, "acknowledged_at", "time"),
    (CivilAffairsNoticeCreate, "notified_at", "time"),
    (VisitCreate, "visited_at", "time"),
    (InvestigationCreate, "investigated_at", "time"),
    (StatementCreate, "stated_at", "time"),
    (ConsentCreate, "given_at", "time"),
    (BackgroundCheckCreate, "checked_on", "day"),
    (DeregistrationCreate, "deregistered_on", "day"),
    (ChildIn, "birth_date", "day"),
    (MinorIn, "birth_date", "day"),
]
VALUES = {  # too early, too late, fine
    "time": ("0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59+00:00", "2025-06-01T09:00+08:00"),
    "day": ("0001-01-01", "9999-12-31", "2015-06-01"),
}


def test_every_date_and_time_of_a_request_body_is_listed_here() -> None:
    dated = {
        path.rsplit(".", 1)[-1]
        for path, leaf in body_leaves()
        if leaf.get("format") in FORMATS_WITH_A_WINDOW
    }
    assert dated == {field for _, field, _ in DATED}


def field_errors(model: type[BaseModel], field: str, value: Any) -> list[str]:
    """The validation errors of `field` alone (the others of a partial body are ignored)."""
    try:
        model.model_validate({field: value})
    except ValidationError as error:
        return [e["type"] for e in error.errors() if e["loc"][:1] == (field,)]
    return []


@pytest.mark.parametrize(
    ("model", "field", "kind"), DATED, ids=[f"{m.__name__}.{f}" for m, f, _ in DATED]
)
def test_a_date_in_year_9999_or_0001_is_refused_as_invalid_input(
    model: type[BaseModel], field: str, kind: str
) -> None:
    early, late, fine = VALUES[kind]
    assert field_errors(model, field, early) and field_errors(model, field, late)
    assert field_errors(model, field, fine) == []


def test_a_staff_entry_names_a_bounded_number_of_qualifications() -> None:
    assert field_errors(StaffCreate, "qualifications", ["social_worker"] * 20)
