"""Why a child is in difficulty, with evidence, and the child's household.

- SZ-5.8.1 names the children followed up regularly; SZ-5.8.2 sets how often: after serious
  violence weekly (3 months), severely ill/disabled and de-facto unsupported children every
  3 months, scattered orphans, children of severely ill/disabled parents, poor families and
  children with vagrancy experience every 6 months. A child may be in several categories; the
  one with the most frequent visits is the follow-up category notify's clocks run on.
  **Resolution**: categories outside SZ-5.8.1 (guardianship absent/improper/infringing,
  left-behind, orphan in an institution, other) are recorded but set no schedule of their own.
- Every category carries its evidence (JX-9.2: the archive holds the basic information).
- The household names guardians, other family members and other minors; a minor who has their
  own record here is linked by child id, not copied (JX-9.1, one archive per child).
"""

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from events.domain import EventData, refuse
from intake.domain.cases import Case, require_active
from intake.domain.clock import local_date
from intake.domain.events import (
    ChildCategoriesSet,
    ChildCategory,
    FamilyMember,
    FollowupCategorySet,
    Guardian,
    HouseholdRecorded,
    Minor,
)
from intake.domain.identity import ADULT_AGE, age_on
from intake.domain.identity import RULE as CHILD_RULE

CATEGORY_RULE = "SZ-5.8.1"
FOLLOWUP_RULE = "SZ-5.8.2"
ARCHIVE_RULE = "JX-9.1"
# most frequent first: weekly, every 3 months, every 6 months
FOLLOWUP_ORDER: tuple[ChildCategory, ...] = (
    ChildCategory.SERIOUS_VIOLENCE,
    ChildCategory.SEVERE_ILLNESS_OR_DISABILITY,
    ChildCategory.DE_FACTO_UNSUPPORTED,
    ChildCategory.SCATTERED_ORPHAN,
    ChildCategory.PARENT_SEVERELY_ILL_OR_DISABLED,
    ChildCategory.POOR_FAMILY,
    ChildCategory.VAGRANCY_HISTORY,
)


class SetCategories(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str
    evidence: dict[ChildCategory, str]  # every category with what shows it
    at: datetime
    by: str


class RecordHousehold(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str
    guardians: list[Guardian]
    members: list[FamilyMember]
    other_minors: list[Minor]
    sibling_ids: list[str]
    at: datetime
    by: str


def followup_category(categories: set[ChildCategory]) -> ChildCategory | None:
    """The category with the most frequent follow-up visits (SZ-5.8.2), if any sets one."""
    return next((c for c in FOLLOWUP_ORDER if c in categories), None)


def set_categories(
    command: SetCategories, case: Case, current: set[ChildCategory]
) -> list[EventData]:
    """Replace the child's categories; a changed follow-up category is announced to notify."""
    require_active(case, "categories")
    blank = sorted(c.value for c, text in command.evidence.items() if not text.strip())
    if blank:
        message = f"every category needs its evidence: {blank}"
        raise refuse("category_without_evidence", CATEGORY_RULE, message)
    chosen = set(command.evidence)
    events: list[EventData] = [
        ChildCategoriesSet(
            child_id=case.child_id,
            organisation=case.organisation,
            case_id=case.case_id,
            categories=sorted(chosen),
            evidence={c.value: text for c, text in sorted(command.evidence.items())},
            set_at=command.at,
            set_by=command.by,
            rule=CATEGORY_RULE,
        )
    ]
    before, after = followup_category(current), followup_category(chosen)
    if after is not None and after != before:
        events.append(
            FollowupCategorySet(
                case_id=case.case_id,
                organisation=case.organisation,
                child_id=case.child_id,
                category=after,
                previous=before,
                set_at=command.at,
                set_by=command.by,
                rule=FOLLOWUP_RULE,
            )
        )
    return events


def record_household(
    command: RecordHousehold, case: Case, registered_siblings: set[str]
) -> list[EventData]:
    """The child's household; siblings are children of this organisation's registry."""
    require_active(case, "a household")
    _check_minors(command.other_minors, local_date(command.at))
    siblings = sorted(set(command.sibling_ids))
    if case.child_id in siblings:
        raise refuse("own_sibling", ARCHIVE_RULE, "a child is not their own sibling")
    unknown = [s for s in siblings if s not in registered_siblings]
    if unknown:
        message = f"no registered child with id: {unknown}"
        raise refuse("unknown_sibling", ARCHIVE_RULE, message)
    return [
        HouseholdRecorded(
            child_id=case.child_id,
            organisation=case.organisation,
            case_id=case.case_id,
            guardians=command.guardians,
            members=command.members,
            other_minors=command.other_minors,
            sibling_ids=siblings,
            recorded_at=command.at,
            recorded_by=command.by,
        )
    ]


def _check_minors(minors: list[Minor], on: date) -> None:
    """A minor of the household is born by `on` and under 18 then (I-7: a child is <18)."""
    for i, minor in enumerate(minors):
        born = minor.birth_date
        if born is not None and (born > on or age_on(born, on) >= ADULT_AGE):
            message = "a minor is born by today and under 18"
            raise refuse("not_a_minor", CHILD_RULE, message, field=f"other_minors.{i}.birth_date")


def categories_of(events: list[EventData]) -> set[ChildCategory]:
    """The child's categories now, from their stream."""
    latest: set[ChildCategory] = set()
    for event in events:
        if isinstance(event, ChildCategoriesSet):
            latest = set(event.categories)
    return latest
