"""`/v1/children`: the child registry (一人一档, JX-9.1). A supervisor of the organisation, or a
worker on the team of one of the child's cases or who received one of the child's reports
(`intake.domain.access`, SZ-7.3.3), reads the child and the registered children who may be the
same person; anyone else is answered as if there were no such child (404)."""

from fastapi import APIRouter
from pydantic import BaseModel

from events.api import Staff
from events.app import BackboneDep
from events.auth import Principal
from events.backbone import Backbone
from events.errors import KeyShredded
from events.uow import UnitOfWork
from intake.api.access import child_reach, visible_child
from intake.api.common import gone
from intake.api.inputs import PathId
from intake.domain.children import possible_duplicates
from intake.domain.duplicates import Match
from intake.domain.events import ChildDetails, ChildRegistered
from intake.handlers.shared import load
from intake.projections.rows import child_row, children_born

router = APIRouter(prefix="/v1/children", tags=["children"])


class ChildPublic(BaseModel):
    child_id: str
    organisation: str
    child: ChildDetails
    report_ids: list[str]  # those the caller may see, oldest first


@router.get("/{child_id}")
async def read(child_id: PathId, principal: Staff, backbone: BackboneDep) -> ChildPublic:
    """A registered child and the reports about them the caller may see, oldest first."""
    async with backbone.uow() as uow:
        report_ids = await visible_child(uow.conn, principal, child_id)
        registered = await _registered(uow, child_id)
    return ChildPublic(**dict(registered), report_ids=report_ids)


@router.get("/{child_id}/possible-duplicates")
async def duplicates(child_id: PathId, principal: Staff, backbone: BackboneDep) -> list[Match]:
    """Registered children who may be this child (JX-9.1), among those the caller may see:
    for a person to review, never merged."""
    return await _duplicates(backbone, principal, child_id)


async def _duplicates(backbone: Backbone, principal: Principal, child_id: str) -> list[Match]:
    async with backbone.uow() as uow:
        await visible_child(uow.conn, principal, child_id)
        child = await _registered(uow, child_id)
        row = await child_row(uow.conn, child_id)
        if row.birth_digest is None:
            return []
        others = []
        for other in await children_born(uow.conn, row.organisation, row.birth_digest):
            if other.child_id != child_id and await _sees(uow, principal, other.child_id):
                try:
                    others.append(await _decoded(uow, other.child_id))
                except KeyShredded:
                    continue  # handed over: no longer this organisation's to compare
    return possible_duplicates(child, others)


async def _sees(uow: UnitOfWork, principal: Principal, child_id: str) -> bool:
    """May the caller see this other child (SZ-7.3.3)? A hint never names one they may not."""
    return await child_reach(uow.conn, principal, child_id) is not None


async def _registered(uow: UnitOfWork, child_id: str) -> ChildRegistered:
    try:
        return await _decoded(uow, child_id)
    except KeyShredded:
        raise gone() from None


async def _decoded(uow: UnitOfWork, child_id: str) -> ChildRegistered:
    history = await load(uow, child_id)
    return next(e for e in history.events if isinstance(e, ChildRegistered))
