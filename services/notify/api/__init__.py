"""HTTP API of the notify service: thin routers over the domain and the read models."""

from fastapi import APIRouter

from notify.api import calendar, calendar_years, deadlines, indicators, subscriptions


def routers() -> list[APIRouter]:
    return [
        calendar.router,
        calendar_years.router,
        deadlines.router,
        indicators.router,
        subscriptions.router,
    ]
