"""Recommended hours of compulsory family-education guidance: T/SZSWA 009-2023 Appendix I.

Rule set ``SZ-2023-I``. The guardian is scored on the 28 items of table I.1 (six groups, each
item 0-9, 0 = cannot assess); the total picks a band of recommended hours. Group sizes, score
range, bands and resolutions all come from ``rulesets``.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from assessment.domain import rulesets as rs

Score = Annotated[int, Field(strict=True, ge=rs.SCORE_MIN, le=rs.SCORE_MAX)]


def _exactly(group: str) -> Any:
    size = rs.GROUP_SIZES[group]
    return Field(min_length=size, max_length=size, description=f"exactly {size} scores")


class FamilyEducationScores(BaseModel):
    """Scores of table I.1 by group, in the order the table prints the items."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    personal_traits: Annotated[list[Score], _exactly("personal_traits")]
    motivation: Annotated[list[Score], _exactly("motivation")]
    stress_coping: Annotated[list[Score], _exactly("stress_coping")]
    family_function: Annotated[list[Score], _exactly("family_function")]
    social_resources: Annotated[list[Score], _exactly("social_resources")]
    parenting: Annotated[list[Score], _exactly("parenting")]

    def by_group(self) -> dict[str, list[int]]:
        return {group.key: list(getattr(self, group.key)) for group in rs.SCORE_GROUPS}


class FamilyEducationInput(BaseModel):
    """One table I.1 assessment of a guardian."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scores: FamilyEducationScores


class _Output(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SessionKindOut(_Output):
    """A session kind table I.1 offers for allocating the hours."""

    code: str
    label: str


class HoursSplit(_Output):
    """How the hours divide into session kinds; ``hours`` stays None when the standard is
    silent on numbers, which table I.1 is (see ``note``)."""

    clause: str
    kinds: list[SessionKindOut]
    numbers_given_by_standard: bool
    hours: dict[str, int] | None
    note: str


class FamilyEducationResult(_Output):
    """Total score, the band of recommended hours and whether to reassess."""

    rule_set: str
    total: int
    group_totals: dict[str, int]
    hours_min: int
    hours_max: int
    unassessed_items: int
    needs_reassessment: bool
    band_clause: str
    split: HoursSplit
    resolutions_applied: list[str]


def evaluate_family_education(inp: FamilyEducationInput) -> FamilyEducationResult:
    """Recommend hours under rule set SZ-2023-I (table I.1)."""
    groups = inp.scores.by_group()
    scores = [score for group in groups.values() for score in group]
    total = sum(scores)
    unassessed = scores.count(rs.UNASSESSED_SCORE)
    band = hours_band(total)
    needs_reassessment = unassessed > rs.MAX_UNASSESSED_ITEMS
    return FamilyEducationResult(
        rule_set=rs.FAMILY_EDUCATION_RULE_SET_ID,
        total=total,
        group_totals={key: sum(group) for key, group in groups.items()},
        hours_min=band.hours_min,
        hours_max=band.hours_max,
        unassessed_items=unassessed,
        needs_reassessment=needs_reassessment,
        band_clause=band.clause,
        split=_split(),
        resolutions_applied=_resolutions_applied(total, unassessed, needs_reassessment),
    )


def hours_band(total: int) -> rs.HoursBand:
    """The band of table I.1 a total falls in (140 in 13-25 hours, resolution R-SZ-I-01)."""
    for band in rs.HOURS_BANDS:
        if total >= band.total_min and (band.total_max is None or total <= band.total_max):
            return band
    raise ValueError(f"total {total} is outside every band of table I.1")


def _split() -> HoursSplit:
    return HoursSplit(
        clause=rs.SPLIT_CLAUSE,
        kinds=[SessionKindOut(code=kind.code, label=kind.label) for kind in rs.SESSION_KINDS],
        numbers_given_by_standard=False,
        hours=None,
        note=rs.SPLIT_NOTE,
    )


def _resolutions_applied(total: int, unassessed: int, needs_reassessment: bool) -> list[str]:
    applied = {rs.R_I_SPLIT_KINDS_ONLY}
    if total == rs.BAND_EDGE_RESOLVED:
        applied.add(rs.R_I_140)
    if unassessed:
        applied.add(rs.R_I_ZERO_IN_TOTAL)
    if needs_reassessment:
        applied.add(rs.R_I_REASSESS)
    return sorted(applied)
