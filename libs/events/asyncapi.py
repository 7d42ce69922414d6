"""The published contract: every event type's JSON Schema and an AsyncAPI 3.0 document of the
topics, generated from the registry. `make schemas` writes them under docs/events/; a test
refuses a change to a type that was already published (a change needs a new version)."""

import argparse
import importlib
import importlib.util
import json
from pathlib import Path
from typing import Any

from events.kafka import SERVICES, events_topic
from events.registry import Registry, registry

DOCS = Path(__file__).resolve().parents[2] / "docs" / "events"
KEY_RULE = (  # libs/events/README.md, "Kafka keys"
    "Kafka key = the case id for everything about a case once it exists, before that the "
    "report id; what belongs to no case is keyed by its own stream or subject (a delivery by "
    "its subscription id)."
)


def load_service_events() -> list[str]:
    """Import `<service>.domain.events` of every service that has one, filling the registry."""
    loaded = []
    for service in SERVICES:
        module = f"{service}.domain.events"
        try:
            found = importlib.util.find_spec(module)
        except ModuleNotFoundError:  # the service, or its domain package, is not built yet
            found = None
        if found:
            importlib.import_module(module)
            loaded.append(module)
    return loaded


def _message(type_string: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": type_string,
        "contentType": "application/cloudevents+json",
        "summary": (schema.get("description") or schema.get("title") or type_string).strip(),
        "payload": {"$ref": f"#/components/schemas/{type_string}"},
        "x-personal-fields": schema["x-personal-fields"],
    }


def document(reg: Registry = registry) -> dict[str, Any]:
    schemas = reg.json_schemas()
    channels: dict[str, Any] = {}
    for service in SERVICES:
        types = sorted(t for t in schemas if t.startswith(f"{service}."))
        channels[service] = {
            "address": events_topic(service),
            "description": f"Events of the {service} service; {KEY_RULE}",
            "messages": {t: {"$ref": f"#/components/messages/{t}"} for t in types},
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "CareLedger events",
            "version": "1",
            "description": "CloudEvents 1.0 envelopes; `data` follows the schema of `type`. "
            'Fields listed in x-personal-fields are encrypted: {"$enc": "..."}.',
        },
        "channels": channels,
        "components": {
            "messages": {t: _message(t, s) for t, s in schemas.items()},
            "schemas": schemas,
        },
    }


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write(out: Path = DOCS) -> list[Path]:
    load_service_events()
    out.mkdir(parents=True, exist_ok=True)
    files = {"schemas.json": registry.json_schemas(), "asyncapi.json": document()}
    for name, value in files.items():
        (out / name).write_text(dumps(value), encoding="utf-8")
    return [out / name for name in files]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=DOCS)
    for path in write(parser.parse_args().out):
        print(f"wrote {path}")
