"""What a service's runtime role may do in the databases its owner role migrates.

The owner (the migration URL's role) owns every table; the service runs as a runtime role that
may append and read events but not change, remove or unprotect them (it is not their owner, so
it cannot disable the append-only trigger either), and reads the stream heads a trigger keeps
for it. Everything else the service writes (outbox, inbox, its read models) it may change.

`events.migrate` applies these after every upgrade that names a runtime role, in the
migration's transaction. GRANT and REVOKE are idempotent, so a role named only after the tables
were made (a database first migrated by tests, or before the role existed) gets the same
rights as one named from the start; default privileges cover the tables the owner makes later.
"""

from sqlalchemy import Connection

# Tables whose rows the runtime role must not change: `store_statements` leaves them out of its
# blanket grant and gives each exactly what it needs. A store migration that adds such a table
# adds it here.
APPEND_ONLY = {"events": "SELECT, INSERT", "stream_heads": "SELECT"}
KEY_TABLES = {"data_keys": "SELECT, INSERT, UPDATE", "retired_keks": "SELECT"}
PROTECTED = {*APPEND_ONLY, *KEY_TABLES}

# Table names as they are and as SQL must spell them.
TABLES_SQL = (
    "SELECT tablename, quote_ident(tablename) FROM pg_tables "
    "WHERE schemaname = current_schema() ORDER BY tablename"
)
Tables = dict[str, str]  # name -> quoted name


def _exact(wanted: dict[str, str], role: str, tables: Tables) -> list[str]:
    """Exactly these privileges on these tables (those that exist), nothing else."""
    out = []
    for name, privileges in wanted.items():
        if name in tables:
            table = tables[name]
            out += [
                f"REVOKE ALL ON {table} FROM {role}",
                f"GRANT {privileges} ON {table} TO {role}",
            ]
    return out


def _version_tables(role: str, tables: Tables) -> list[str]:
    """Alembic's version tables: the runtime role may read them; only the owner moves them."""
    versions = {n: "SELECT" for n in tables if n.startswith("alembic_version")}
    return _exact(versions, role, tables)


def store_statements(role: str, schema: str, tables: Tables) -> list[str]:
    """An event store's database: read models and the outbox/inbox are the service's to change;
    events it may only append to and read, stream heads only read."""
    writable = [
        q for n, q in tables.items() if n not in PROTECTED and not n.startswith("alembic_version")
    ]
    defaults = f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT"
    statements = [
        f"{defaults} SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
        f"{defaults} USAGE, SELECT ON SEQUENCES TO {role}",
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
    ]
    if writable:
        statements.append(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(writable)} TO {role}"
        )
    return statements + _exact(APPEND_ONLY, role, tables) + _version_tables(role, tables)


def keys_statements(role: str, schema: str, tables: Tables) -> list[str]:
    """The key store's database: create and read keys, shred them (an UPDATE that leaves a
    tombstone); never delete a row, which would let a shredded scope get a new key."""
    statements = [f"GRANT USAGE ON SCHEMA {schema} TO {role}"]
    return statements + _exact(KEY_TABLES, role, tables) + _version_tables(role, tables)


BUILDERS = {"store": store_statements, "keys": keys_statements}


def apply(conn: Connection, tree: str, role: str) -> None:
    """Grant `role` what it needs on the tables of a migrated tree ("store" or "keys")."""
    # Two GRANTs on one table at once can fail ("tuple concurrently updated"), and the store's
    # and a service's read models' migrations hold different locks: one more, for grants.
    conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext('migrate:grants'))")
    tables = {name: quoted for name, quoted in conn.exec_driver_sql(TABLES_SQL)}
    schema, grantee = conn.exec_driver_sql(
        "SELECT quote_ident(current_schema()), quote_ident($1)", (role,)
    ).one()
    for statement in BUILDERS[tree](grantee, schema, tables):
        conn.exec_driver_sql(statement)
