"""`/v1/children`: the child registry (一人一档, JX-9.1). Workers and supervisors of the
organisation read a child and the registered children who may be the same person."""

from fastapi import APIRouter
from pydantic import BaseModel

from events.api import Staff, organisation_of
from events.app import BackboneDep
from events.auth import Principal
from events.backbone import Backbone
from events.errors import KeyShredded
from events.uow import UnitOfWork
from intake.api.common import gone, not_found
from intake.domain.children import possible_duplicates
from intake.domain.duplicates import Match
from intake.domain.events import ChildDetails, ChildRegistered
from intake.handlers.shared import load
from intake.projections.rows import child_row, children_born, report_ids_of_child

router = APIRouter(prefix="/v1/children", tags=["children"])


class ChildPublic(BaseModel):
    child_id: str
    organisation: str
    child: ChildDetails
    report_ids: list[str]


@router.get("/{child_id}")
async def read(child_id: str, principal: Staff, backbone: BackboneDep) -> ChildPublic:
    """A registered child and the reports about them, oldest first."""
    async with backbone.uow() as uow:
        registered = await _registered(uow, principal, child_id)
        report_ids = await report_ids_of_child(uow.conn, child_id)
    return ChildPublic(**dict(registered), report_ids=report_ids)


@router.get("/{child_id}/possible-duplicates")
async def duplicates(child_id: str, principal: Staff, backbone: BackboneDep) -> list[Match]:
    """Registered children who may be this child (JX-9.1): for a person to review, never merged."""
    return await _duplicates(backbone, principal, child_id)


async def _duplicates(backbone: Backbone, principal: Principal, child_id: str) -> list[Match]:
    async with backbone.uow() as uow:
        child = await _registered(uow, principal, child_id)
        row = await child_row(uow.conn, child_id)
        if row.birth_digest is None:
            return []
        others = []
        for other in await children_born(uow.conn, row.organisation, row.birth_digest):
            if other.child_id != child_id:
                try:
                    others.append(await _decoded(uow, other.child_id))
                except KeyShredded:
                    continue  # handed over: no longer this organisation's to compare
    return possible_duplicates(child, others)


async def _registered(uow: UnitOfWork, principal: Principal, child_id: str) -> ChildRegistered:
    row = await child_row(uow.conn, child_id)
    if row is None or row.organisation != organisation_of(principal):
        raise not_found("child")
    try:
        return await _decoded(uow, child_id)
    except KeyShredded:
        raise gone() from None


async def _decoded(uow: UnitOfWork, child_id: str) -> ChildRegistered:
    history = await load(uow, child_id)
    return next(e for e in history.events if isinstance(e, ChildRegistered))
