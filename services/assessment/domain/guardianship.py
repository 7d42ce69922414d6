"""Guardianship capacity assessment of a child's family (SZ Appendix D, 家庭监护能力评估; DOMAIN §4,
§8): the instrument as data, its evaluation, and when §6.4 requires it. Pure.

Table D.2 prints two groups of items, each a free-text box "包括但不限于…" followed by one
"结论与建议" box: 四 the quality of family guardianship (7 items) and 五 the family's guardianship
capacity (8 items). The standard prints no scale, no score and no conclusion categories, and no
algorithm from items to a conclusion. So (rule set ``SZ-2023-D``, resolutions in ``rulesets``):
each item is answered with the worker's free-text finding plus a product appraisal
(``adequate`` / ``concern`` / ``not_assessed``, R-SZ-D-01); the conclusion is the one the
assessors record (R-SZ-D-02), returned as recorded with the items appraised ``concern`` listed
beside it (R-SZ-D-03). Nothing is computed from the appraisals.

Clause codes: ``SZ-D.2-4.3`` is item 3 of section 四 of table D.2, ``SZ-D.2-4.c`` that section's
结论与建议, ``SZ-D.2-5.1`` item 1 of section 五; ``SZ-D.3`` the table of assessors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assessment.domain import rulesets as rs

Appraisal = Literal["adequate", "concern", "not_assessed"]
Conclusion = Literal["capable", "capable_with_support", "not_capable"]
GroupKey = Literal["quality", "capacity"]
Modal = Literal["shall", "should"]

RULE_SET_ID: Final = rs.GUARDIANSHIP_RULE_SET_ID
ADVERSE: Final[Appraisal] = "concern"


@dataclass(frozen=True)
class InstrumentItem:
    """One row of table D.2: the input key, its clause, title and the printed prompt."""

    key: str
    clause: str
    title: str
    prompt: str


@dataclass(frozen=True)
class InstrumentGroup:
    """One section of table D.2 with its items and the clause of its 结论与建议 box."""

    key: GroupKey
    clause: str
    title: str
    items: tuple[InstrumentItem, ...]
    conclusion_clause: str


QUALITY: Final = InstrumentGroup(
    "quality",
    "SZ-D.2-4",
    "四、未成年人家庭监护质量",
    (
        InstrumentItem(
            "child_physical",
            "SZ-D.2-4.1",
            "儿童身体状况",
            "包括但不限于身体发育、睡眠质量、体检情况",
        ),
        InstrumentItem(
            "child_psychological",
            "SZ-D.2-4.2",
            "儿童心理状况",
            "包括但不限于认知发展水平、性格特点、情绪状况、行为表现",
        ),
        InstrumentItem(
            "child_education_recreation",
            "SZ-D.2-4.3",
            "儿童教育娱乐",
            "包括但不限于受教育情况、日常学习情况、游戏和娱乐情况",
        ),
        InstrumentItem(
            "child_social_development",
            "SZ-D.2-4.4",
            "儿童社会性发展",
            "包括但不限于道德品行、遵守日常生活规则和行为规范、同伴关系、与成年人交往、"
            "亲社会行为情况",
        ),
        InstrumentItem(
            "child_care",
            "SZ-D.2-4.5",
            "儿童照料状况",
            "包括但不限于饮食、营养照料情况、衣服适宜情况、个人卫生情况、照护情况",
        ),
        InstrumentItem(
            "child_safety",
            "SZ-D.2-4.6",
            "儿童安全保护",
            "包括但不限于居住安全、交通安全、防止受到身体伤害、防止受到精神伤害、"
            "防止受到性虐待情况",
        ),
        InstrumentItem(
            "family_environment",
            "SZ-D.2-4.7",
            "家庭环境与关系",
            "包括但不限于居住条件、家庭卫生、家庭氛围、未成年人监护人与配偶关系、"
            "核心家庭与亲属关系、亲子关系",
        ),
    ),
    "SZ-D.2-4.c",
)

CAPACITY: Final = InstrumentGroup(
    "capacity",
    "SZ-D.2-5",
    "五、家庭监护能力",
    (
        InstrumentItem(
            "guardian_other",
            "SZ-D.2-5.1",
            "监护人其它情况",
            "包括但不限于经济状况、心理健康状况、品性道德情况、遵纪守法情况、社会信用情况",
        ),
        InstrumentItem(
            "willingness",
            "SZ-D.2-5.2",
            "监护意愿",
            "包括但不限于对未成年人监护的认识程度、对家长角色的认识程度、"
            "对养育权力义务的认识程度、对保护未成年人不受伤害的意愿",
        ),
        InstrumentItem(
            "knowledge",
            "SZ-D.2-5.3",
            "监护知识",
            "包括但不限于了解未成年人的成长阶段与特点、成长的需求、家庭教育的法律责任、"
            "监护未成年人相关的法律政策",
        ),
        InstrumentItem(
            "daily_care",
            "SZ-D.2-5.4",
            "生活照料能力",
            "包括但不限于提供未成年人饮食营养、提供合适衣着、保障未成年人个人卫生、"
            "提供未成年人健康照顾",
        ),
        InstrumentItem(
            "protection",
            "SZ-D.2-5.5",
            "保护能力",
            "包括但不限于保护未成年人的基本权力的能力、不受身体伤害的能力、不受精神侵害的能力、"
            "不受性虐待的能力、不受意外伤害的能力、财产不受侵害的能力、不受网络危害的能力",
        ),
        InstrumentItem(
            "family_relations",
            "SZ-D.2-5.6",
            "良好家庭关系能力",
            "包括但不限于协调家庭人际关系的能力、与未成年人有效沟通的能力、处理亲子冲突的能力、"
            "协助未成年人遵守生活规范的能力、培养未成年人独立性的能力、"
            "培养未成年人自我意识和自信心的能力、培养未成年人抗逆力的能力",
        ),
        InstrumentItem(
            "social_interaction",
            "SZ-D.2-5.7",
            "社会交往能力",
            "包括但不限于与朋友交往能力、与同事交往的能力、与邻居建立关系的能力、"
            "与社区建立关系的能力",
        ),
        InstrumentItem(
            "resource_access",
            "SZ-D.2-5.8",
            "资源获取能力",
            "包括但不限于获得邻居、村居委支持的能力、获得社区内其他资源支持的能力、"
            "获得相关政策支持的能力",
        ),
    ),
    "SZ-D.2-5.c",
)

INSTRUMENT: Final[tuple[InstrumentGroup, ...]] = (QUALITY, CAPACITY)
ITEM_KEYS: Final = frozenset(item.key for group in INSTRUMENT for item in group.items)
CONCLUSION_CLAUSE: Final = CAPACITY.conclusion_clause


class _Value(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class QualityAppraisals(_Value):
    """Section 四 of table D.2, one appraisal per item (R-SZ-D-01)."""

    child_physical: Appraisal = "not_assessed"
    child_psychological: Appraisal = "not_assessed"
    child_education_recreation: Appraisal = "not_assessed"
    child_social_development: Appraisal = "not_assessed"
    child_care: Appraisal = "not_assessed"
    child_safety: Appraisal = "not_assessed"
    family_environment: Appraisal = "not_assessed"


class CapacityAppraisals(_Value):
    """Section 五 of table D.2, one appraisal per item (R-SZ-D-01)."""

    guardian_other: Appraisal = "not_assessed"
    willingness: Appraisal = "not_assessed"
    knowledge: Appraisal = "not_assessed"
    daily_care: Appraisal = "not_assessed"
    protection: Appraisal = "not_assessed"
    family_relations: Appraisal = "not_assessed"
    social_interaction: Appraisal = "not_assessed"
    resource_access: Appraisal = "not_assessed"


class GuardianshipInput(_Value):
    """The codes of one Appendix D assessment: appraisals and the assessors' conclusion."""

    quality: QualityAppraisals = Field(default_factory=QualityAppraisals)
    capacity: CapacityAppraisals = Field(default_factory=CapacityAppraisals)
    conclusion: Conclusion


class GuardianshipFindings(_Value):
    """The free text of table D.2 (personal): a finding per item and each 结论与建议 box."""

    items: dict[str, str] = Field(default_factory=dict, max_length=len(ITEM_KEYS))
    quality_conclusion: str | None = Field(None, max_length=10_000)
    capacity_conclusion: str | None = Field(None, max_length=10_000)

    @field_validator("items")
    @classmethod
    def _known_items(cls, items: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(items) - ITEM_KEYS)
        if unknown:
            raise ValueError(f"not items of table D.2: {', '.join(unknown)}")
        if any(len(text) > 10_000 for text in items.values()):
            raise ValueError("a finding is at most 10000 characters")
        return items


class AdverseItem(_Value):
    """An item appraised ``concern``, with its group and clause."""

    item: str
    group: GroupKey
    clause: str


class GuardianshipResult(_Value):
    """The recorded conclusion, the items answered adversely, and what was not assessed."""

    rule_set: str
    conclusion: Conclusion
    conclusion_clause: str
    adverse_items: list[AdverseItem]
    not_assessed_items: list[str]
    resolutions_applied: list[str]


class Requirement(_Value):
    """Whether §6.4 calls for the assessment at the case's current safety grade."""

    required: bool
    grade: rs.Grade | None
    clause: str | None
    modal: Modal | None
    condition: str | None


def evaluate_guardianship(inp: GuardianshipInput) -> GuardianshipResult:
    """The assessors' conclusion as recorded (R-SZ-D-02) and the items appraised ``concern``
    (R-SZ-D-03), in the order table D.2 prints them."""
    answers = {
        **inp.quality.model_dump(),
        **inp.capacity.model_dump(),
    }
    adverse = [
        AdverseItem(item=item.key, group=group.key, clause=item.clause)
        for group in INSTRUMENT
        for item in group.items
        if answers[item.key] == ADVERSE
    ]
    unanswered = [
        item.key
        for group in INSTRUMENT
        for item in group.items
        if answers[item.key] == "not_assessed"
    ]
    return GuardianshipResult(
        rule_set=RULE_SET_ID,
        conclusion=inp.conclusion,
        conclusion_clause=CONCLUSION_CLAUSE,
        adverse_items=adverse,
        not_assessed_items=unanswered,
        resolutions_applied=[rs.R_D_APPRAISAL, rs.R_D_CONCLUSION_RECORDED, rs.R_D_ADVERSE_LISTED],
    )


def guardianship_requirement(
    grade: rs.Grade | None,
    *,
    guardian_declares_inability: bool = False,
    guardianship_disputed: bool = False,
) -> Requirement:
    """SZ-6.4.3: B and C always (应); SZ-6.4.2: D when the legal guardian says they cannot guard
    or guardianship is disputed (宜); A (SZ-6.4.4) and an ungraded case: not required."""
    if grade in ("B", "C"):
        return Requirement(
            required=True, grade=grade, clause="SZ-6.4.3", modal="shall", condition=None
        )
    if grade == "D":
        return Requirement(
            required=guardian_declares_inability or guardianship_disputed,
            grade=grade,
            clause="SZ-6.4.2",
            modal="should",
            condition=rs.D_CONDITION,
        )
    return Requirement(
        required=False,
        grade=grade,
        clause="SZ-6.4.4" if grade == "A" else None,
        modal=None,
        condition=None,
    )
