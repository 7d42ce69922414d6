"""HTTP API of the notify service: thin routers over the domain and the read models."""

from fastapi import APIRouter

from notify.api import calendar, deadlines, subscriptions


def routers() -> list[APIRouter]:
    return [calendar.router, deadlines.router, subscriptions.router]
