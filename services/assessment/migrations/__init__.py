"""Alembic tree of the assessment read models (run by events.migrate at start-up)."""
