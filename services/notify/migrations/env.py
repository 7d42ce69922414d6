"""Alembic environment: runs on the connection handed over by events.migrate."""

from events.migrate import run_env

run_env()
