"""Fixtures of the integration suite (the shared ones are in tests/conftest.py)."""

import pytest

from tests.integration.harness import Service


@pytest.fixture
async def pair(make_database, keystore, new_topic, bootstrap):
    """Service `intake` publishes to its topic; service `assessment` consumes it."""
    topic, dlq = await new_topic(3), await new_topic(1)
    a = await Service.create("intake", await make_database(), keystore, topic, bootstrap)
    b = await Service.create("assessment", await make_database(), keystore, topic, bootstrap)
    yield a, b, dlq
    await a.close()
    await b.close()
