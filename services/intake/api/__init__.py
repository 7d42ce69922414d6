"""HTTP API of the intake service: thin routers over the application layer."""

from fastapi import APIRouter

from intake.api import cases, casework, children, emergency, projects, reports, staff


def routers() -> list[APIRouter]:
    return [
        staff.router,
        reports.router,
        children.router,
        cases.router,
        casework.router,
        projects.router,
        emergency.router,
    ]
