"""HTTP API of the assessment service: thin routers over the domain and application layer."""

from fastapi import APIRouter

from assessment.api import (
    crisis,
    family_education,
    guardianship,
    interviews,
    mental_health,
    rules,
    safety,
    tasks,
)


def routers() -> list[APIRouter]:
    return [
        rules.router,
        safety.router,
        tasks.router,
        tasks.workers,
        guardianship.router,
        mental_health.router,
        family_education.router,
        crisis.router,
        interviews.router,
    ]
