"""Alembic environment: runs on the connection handed over by events.migrate."""

from alembic import context

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise SystemExit("run these migrations through `python -m events.migrate`")

context.configure(
    connection=connection,
    version_table=config.attributes["version_table"],
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()
