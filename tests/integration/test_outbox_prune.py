"""Published outbox rows are pruned after the retention; unpublished ones never are."""

from datetime import timedelta

from sqlalchemy import text

from tests.integration.harness import Service
from tests.sample_events import CaseNoted


async def test_published_rows_older_than_the_retention_are_deleted_and_no_others(
    make_database, keystore, new_topic, bootstrap
):
    topic = await new_topic(1)
    service = await Service.create("intake", await make_database(), keystore, topic, bootstrap)
    try:
        for i in range(6):
            await service.append(f"case-{i}", 0, [CaseNoted(note_code="x", seq=i)])
        async with service.engine.begin() as conn:  # 2 long published, 2 just published, 2 not
            await conn.execute(
                text(
                    "UPDATE outbox SET published_at = now() - CASE WHEN key IN ('case-0', "
                    "'case-1') THEN interval '8 days' ELSE interval '1 hour' END "
                    "WHERE key IN ('case-0', 'case-1', 'case-2', 'case-3')"
                )
            )
            await conn.execute(text("UPDATE outbox SET created_at = now() - interval '30 days'"))
        relay = service.relay(keep_published=timedelta(days=7))
        assert await relay.prune() == 2
        async with service.engine.connect() as conn:
            left = (await conn.execute(text("SELECT key FROM outbox ORDER BY key"))).scalars()
            assert list(left) == ["case-2", "case-3", "case-4", "case-5"]
        assert await relay.backlog() == 2  # old but unpublished rows stay until published
        assert await relay.prune() == 0
    finally:
        await service.close()
