"""Rule sets of the assessment domain, as reviewable data.

Everything an organisation may want to review sits here: the rule-set identifiers, the item
tables (with the clause each item cites), the thresholds, the interventions per grade, and every
**Resolution** the product adopts where T/SZSWA 009-2023 is silent or ambiguous. The evaluators
in ``safety_risk`` and ``family_education`` hold no numbers of their own; they read them here.

Clause codes: ``SZ-B.1-3`` is item 3 of table B.1, ``SZ-B.2-note`` the note under table B.2,
``SZ-B.3-note2`` note 2 under table B.3, ``SZ-6.4.2`` subsection 6.4.2, ``SZ-I.1-2`` scoring
group 2 of table I.1 and ``SZ-I.1-band2`` the second column of its hours row.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

Grade = Literal["A", "B", "C", "D"]
Rating = Literal["A", "B", "C"]
Modal = Literal["shall", "should"]


@dataclass(frozen=True)
class Resolution:
    """A decision the product takes where the standard is silent or ambiguous."""

    id: str
    clause: str
    text: str
    source_text: str


@dataclass(frozen=True)
class RuleSet:
    """A versioned rule set: the document it implements and the resolutions it adopts."""

    id: str
    document: str
    scope: str
    resolutions: tuple[Resolution, ...]


@dataclass(frozen=True)
class ItemRule:
    """One row of a rating table: the input key, its clause and the standard's wording."""

    key: str
    clause: str
    wording: str


@dataclass(frozen=True)
class ActionRule:
    """One intervention the standard lists for a grade."""

    code: str
    clause: str
    modal: Modal
    due: str | None
    condition: str | None = None
    note: str | None = None
    resolution: str | None = None
    minimum_period: str | None = None  # how long what the action starts lasts at least


@dataclass(frozen=True)
class RecommendationRule:
    """A recommendation raised from the guardianship-capacity profile (table B.3)."""

    code: str
    clause: str
    text: str


@dataclass(frozen=True)
class ScoreGroup:
    """One scoring group of table I.1; its size is the number of printed items."""

    key: str
    clause: str
    title: str
    items: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.items)


@dataclass(frozen=True)
class HoursBand:
    """One column of the hours row of table I.1, with the total range the product applies."""

    clause: str
    printed: str
    total_min: int
    total_max: int | None
    hours_min: int
    hours_max: int
    resolution: str | None = None


@dataclass(frozen=True)
class SessionKind:
    """A kind of family-education session that table I.1 lets the worker allocate hours to."""

    code: str
    label: str


# --------------------------------------------------------------------------------------------
# Safety risk grading: T/SZSWA 009-2023 §6.3, §6.4 and Appendix B (normative)
# --------------------------------------------------------------------------------------------

SAFETY_RISK_RULE_SET_ID: Final = "SZ-2023-B"

GRADE_ORDER: Final[tuple[Grade, ...]] = ("A", "B", "C", "D")
RATING_ORDER: Final[tuple[Rating, ...]] = ("A", "B", "C")
GRADE_LABELS: Final = MappingProxyType({"A": "低危", "B": "中危", "C": "高危", "D": "极危"})

R_B2_HIGHEST: Final = "R-SZ-B-01"
R_B2_ESCALATION: Final = "R-SZ-B-02"
R_B2_EMPTY_IS_LOW: Final = "R-SZ-B-03"
R_B3_NEVER_GRADES: Final = "R-SZ-B-04"
R_B3_C_RECOMMENDS: Final = "R-SZ-B-05"
R_B3_NOT_FOR_D: Final = "R-SZ-B-06"
R_DUE_IMMEDIATELY: Final = "R-SZ-B-07"
R_DUE_RULING_72H: Final = "R-SZ-B-08"
R_DUE_FAMILY_EDUCATION: Final = "R-SZ-B-09"
R_DUE_UNDATED: Final = "R-SZ-B-10"

B1_ITEMS: Final[tuple[ItemRule, ...]] = (
    ItemRule(
        "sexual_abuse_or_violence",
        "SZ-B.1-1",
        "性侵害、出卖、遗弃、虐待、暴力伤害困境儿童，严重损害困境儿童身心健康的。",
    ),
    ItemRule(
        "unattended_danger",
        "SZ-B.1-2",
        "将困境儿童置于无人监管和照看的状态，导致困境儿童面临死亡或者严重伤害危险，经教育不改的。",
    ),
    ItemRule(
        "abandonment_6_months",
        "SZ-B.1-3",
        "拒不履行监护职责长达六个月以上，导致困境儿童流离失所或者生活无着的。",
    ),
    ItemRule(
        "addiction_or_custody_refuses_delegation",
        "SZ-B.1-4",
        "有吸毒、赌博、长期酗酒等恶习无法正确履行监护职责或者因服刑等原因无法履行监护职责，"
        "且拒绝将监护职责部分或者全部委托给他人，致使困境儿童处于困境或者危险状态的。",
    ),
    ItemRule(
        "coerced_begging_3_warnings",
        "SZ-B.1-5",
        "胁迫、诱骗、利用困境儿童乞讨，经公安机关和困境儿童救助保护机构等部门三次以上"
        "批评教育拒不改正，严重影响困境儿童正常生活和学习的。",
    ),
    ItemRule(
        "abetting_crime",
        "SZ-B.1-6",
        "教唆、利用困境儿童实施违法犯罪行为，情节恶劣的。",
    ),
)
B1_GRADE_CLAUSE: Final = "SZ-B.1-note1"

B2_DIMENSIONS: Final[tuple[ItemRule, ...]] = (
    ItemRule("physical_or_sexual_abuse", "SZ-B.2-1", "身体虐待或性侵犯的严重性及/或频繁程度"),
    ItemRule("neglect", "SZ-B.2-2", "疏忽照顾的严重性及/或频繁程度以及事隔时间"),
    ItemRule("motive", "SZ-B.2-3", "忽视或虐待孩子的原因与动机"),
    ItemRule("substance", "SZ-B.2-4", "吸毒/酗酒/赌博"),
)
B2_GRADE_CLAUSE: Final = "SZ-B.2"
B2_NOTE_CLAUSE: Final = "SZ-B.2-note"
LIFE_THREATENING_ITEM: Final = "life_threatening_event"
LIFE_THREATENING_CLAUSE: Final = B2_NOTE_CLAUSE
ESCALATION_RATING: Final[Rating] = "C"
ESCALATED_GRADE: Final[Grade] = "D"
B1_GRADE: Final[Grade] = "D"
EMPTY_B2_GRADE: Final[Grade] = "A"

B3_DIMENSIONS: Final[tuple[ItemRule, ...]] = (
    ItemRule("guardian_capacity", "SZ-B.3-1", "监护人身体、智力或情绪方面的能力"),
    ItemRule("cooperation", "SZ-B.3-2", "监护人的合作程度"),
    ItemRule("parenting_skills", "SZ-B.3-3", "监护人教养困境儿童的技巧及/或知识"),
    ItemRule("substitute_parent", "SZ-B.3-4", "家中有可取代父或母的成员"),
    ItemRule("support_system", "SZ-B.3-5", "家庭支持系统的力量"),
    ItemRule("stress_crisis", "SZ-B.3-6", "压力/危机"),
    ItemRule("parent_child_relationship", "SZ-B.3-7", "亲子关系"),
)
B3_PROFILE_CLAUSE: Final = "SZ-B.3-note1"
B3_RECOMMENDATION_TRIGGER: Final[Rating] = "C"
B3_RECOMMENDATION_EXCLUDED_GRADES: Final[frozenset[Grade]] = frozenset({"D"})
B3_RECOMMENDATIONS: Final[tuple[RecommendationRule, ...]] = (
    RecommendationRule(
        "family_education_guidance",
        "SZ-5.4",
        "Offer the guardian family-education guidance, parent-child relationship work and "
        "guardianship guidance.",
    ),
    RecommendationRule(
        "guardian_supervision_and_support",
        "SZ-B.3-note2",
        "Propose interventions on how to supervise and support the guardian in caring for the "
        "child properly.",
    ),
)

_CRITICAL_ACTIONS: Final[tuple[ActionRule, ...]] = (
    ActionRule(
        "report_immediately_to_police_civil_affairs_education",
        "SZ-6.4.2",
        "shall",
        "PT0H",
        note="第一时间; assist the police investigation and emergency handling.",
        resolution=R_DUE_IMMEDIATELY,
    ),
    ActionRule(
        "remove_and_treat",
        "SZ-6.4.2",
        "shall",
        None,
        condition="The child is seriously injured and needs treatment.",
        note="With the police; notify other relatives qualified to guard; report to the "
        "district rescue and protection institution.",
    ),
    ActionRule(
        "apply_personal_safety_ruling",
        "SZ-6.4.2",
        "shall",
        "PT72H",
        condition="As needed by the rescue and protection institution or the temporary carer.",
        note="Application form: Appendix E. The 72 h comes from Appendix F.1 二(一)4.",
        resolution=R_DUE_RULING_72H,
    ),
    ActionRule(
        "social_background_investigation_report",
        "SZ-6.4.2",
        "shall",
        None,
        note="Report form: Appendix C.",
    ),
    ActionRule(
        "redetermine_guardian",
        "SZ-6.4.2",
        "shall",
        None,
        note="Forms: Appendix F.",
    ),
    ActionRule(
        "guardianship_capacity_assessment",
        "SZ-6.4.2",
        "should",
        None,
        condition="The legal guardian says he or she cannot guard, or guardianship is disputed.",
        note="Form: Appendix D.",
    ),
    ActionRule(
        "assist_guardianship_revocation",
        "SZ-6.4.2",
        "shall",
        None,
        note="Table B.1 note 1 and the table B.2 note require the revocation suit for 极危.",
    ),
    ActionRule(
        "escort_to_placement",
        "SZ-6.4.2",
        "shall",
        None,
        condition="The child needs temporary placement.",
        note="Approval form for the receiving institution: Appendix G.",
    ),
)

_MEDIUM_HIGH_ACTIONS: Final[tuple[ActionRule, ...]] = (
    ActionRule(
        "report_promptly_to_organisation_police_civil_affairs",
        "SZ-6.4.3",
        "shall",
        None,
        note="及时上报, no time given; urge other persons qualified to guard to take it up.",
    ),
    ActionRule(
        "social_background_investigation_report",
        "SZ-6.4.3",
        "shall",
        None,
        note="Report form: Appendix C.",
    ),
    ActionRule(
        "determine_guardian",
        "SZ-6.4.3",
        "shall",
        None,
    ),
    ActionRule(
        "guardianship_capacity_assessment",
        "SZ-6.4.3",
        "shall",
        None,
        note="Form: Appendix D.",
    ),
    ActionRule(
        "assist_temporary_guardianship_application",
        "SZ-6.4.3",
        "shall",
        None,
        condition="Parents and other guardians cannot be found for the time being.",
        note="Forms: Appendix F.",
    ),
    ActionRule(
        "case_conference",
        "SZ-6.4.3",
        "shall",
        None,
        condition="A case conference is convened.",
        note="Minutes form: Appendix H.",
    ),
    ActionRule(
        "guardian_takes_child_back",
        "SZ-6.4.3",
        "should",
        None,
        condition="The court does not revoke guardianship, or revokes one parent's only.",
    ),
)

_LOW_ACTIONS: Final[tuple[ActionRule, ...]] = (
    ActionRule(
        "criticise_and_supervise_guardian",
        "SZ-6.4.4",
        "shall",
        None,
        condition="Improper guardianship, minor circumstances, no public-security penalty.",
    ),
    ActionRule(
        "supportive_services",
        "SZ-6.4.4",
        "shall",
        None,
        condition="The initial check confirms the child is in no immediate danger.",
    ),
    ActionRule(
        "compulsory_family_education",
        "SZ-6.4.4",
        "should",
        None,
        condition="Repeated education had no effect; the police order the guardian to attend.",
        note="The order lasts at least 3 months, extendable by 3 to 9 months; hours per "
        "Appendix I. Issuing the order meets the task.",
        resolution=R_DUE_FAMILY_EDUCATION,
        minimum_period="P3M",
    ),
    ActionRule(
        "follow_up_visits",
        "SZ-6.4.4",
        "shall",
        None,
        note="Frequency by child category in SZ-5.8.2.",
    ),
)

REQUIRED_ACTIONS: Final = MappingProxyType(
    {
        "D": _CRITICAL_ACTIONS,
        "C": _MEDIUM_HIGH_ACTIONS,
        "B": _MEDIUM_HIGH_ACTIONS,
        "A": _LOW_ACTIONS,
    }
)

# When a required action becomes a task (R-SZ-B-10): the due of an action §6.4 gives no time.
UNDATED_ACTION_DUE: Final = MappingProxyType({"D": "PT24H", "C": "PT72H", "B": "PT72H", "A": "P1M"})
TASKS_CLAUSE: Final = "SZ-6.4.1"

SAFETY_RISK_RESOLUTIONS: Final[tuple[Resolution, ...]] = (
    Resolution(
        R_B2_HIGHEST,
        "SZ-B.2",
        "When no B.1 item is present, the grade is the highest rating given on any B.2 "
        "dimension (A < B < C). The standard rates each dimension but does not say how the "
        "four ratings combine.",
        "表B.2 中高危案件——未成年人受监护侵害程度评定参照表（A 低危 / B 中危 / C 高危）",
    ),
    Resolution(
        R_B2_ESCALATION,
        "SZ-B.2-note",
        "The 'other event seriously threatening the child's life' is recorded by the worker as "
        "one flag, life_threatening_event. It raises the grade to D only together with a B.2 "
        "dimension rated C; with no C rating it changes nothing.",
        "在表格“1~4”行规定的情况中存有一种或多种“高危”状况并严重威胁困境儿童生命安全的"
        "其他事件的，应将案件列为“极危”案件",
    ),
    Resolution(
        R_B2_EMPTY_IS_LOW,
        "SZ-B.2-note",
        "All B.1 items absent and all B.2 dimensions unrated gives grade A: the note sends the "
        "case to table B.3, which the standard titles 低危案件.",
        "若表B.2中1~4项中均为无，使用表B.3。表B.3 低危案件——未成年人受监护侵害程度评定参照表",
    ),
    Resolution(
        R_B3_NEVER_GRADES,
        "SZ-B.3-note1",
        "B.3 ratings never set or change the grade; they are recorded as the "
        "guardianship-capacity profile.",
        "表格“1~7”行规定的情形, 作为评估困境儿童及其家庭的育儿意愿和能力、困境儿童需求、"
        "困境儿童是否适合继续由监护人监护等问题的参考依据。",
    ),
    Resolution(
        R_B3_C_RECOMMENDS,
        "SZ-B.3-note2",
        "Any B.3 dimension rated C raises two recommendations: family-education guidance "
        "(SZ-5.4) and supervision and support of the guardian (SZ-B.3 note 2). The standard "
        "names the recommendation but no rating that triggers it; the trigger is the product's.",
        "对监护侵害未及撤销监护资格程度的, 可建议不提出撤销监护人资格的诉讼, 并就如何监督"
        "和支持监护人妥善监护困境儿童提出相应的干预建议。",
    ),
    Resolution(
        R_B3_NOT_FOR_D,
        "SZ-B.3-note2",
        "The B.3 recommendations are not raised for grade D: note 2 covers only cases below "
        "the revocation threshold, while B.1 note 1, the B.2 note and SZ-6.3 require the "
        "revocation suit for 极危.",
        "对监护侵害未及撤销监护资格程度的 …；有“极危”栏中罗列的六项中的一项或多项情况的，"
        "应将案件列为“极危”案件，并…向法院提起撤销监护人资格的诉讼。",
    ),
    Resolution(
        R_DUE_IMMEDIATELY,
        "SZ-6.4.2",
        "'第一时间' (at the first moment) is given as due PT0H.",
        "儿童社会工作者应在第一时间向公安机关、民政、教育等有关部门报告并报案处理",
    ),
    Resolution(
        R_DUE_RULING_72H,
        "SZ-6.4.2",
        "SZ-6.4.2 gives no time for the personal-safety protection ruling; the product uses "
        "the 72 h that Appendix F.1 二(一)4 sets for children urgently removed from a "
        "guardian who seriously harmed them (category b).",
        "对于 b 类未成年人，甲方应在 72 小时内…书面申请人身安全保护裁定。",
    ),
    Resolution(
        R_DUE_FAMILY_EDUCATION,
        "SZ-6.4.4",
        "The 3 months are the minimum period of the family-education order (minimum_period "
        "P3M, enforced by the order), never a deadline: the task to get the order made is due "
        "as an undated action (R-SZ-B-10) and issuing the order on the case meets it. The 3 "
        "to 9 month extension is in the action's note.",
        "监护辅导和家庭教育期限不少于3个月，根据需要可延长3~9个月",
    ),
    Resolution(
        R_DUE_UNDATED,
        "SZ-6.4.1",
        "Each required action becomes a task of the assessors, due from the assessment time by "
        "its own due; an action §6.4 gives no time for is due within 24 h at grade D (the "
        "emergency time of SZ-6.2.1), 72 h at B and C (the investigation time of SZ-6.2.1) and "
        "1 month at A (no source: the organisation may review it). A regrade cancels the open "
        "tasks of the grade it supersedes and sets its own.",
        "儿童社会工作者根据附录B进行儿童安全风险等级认定及评估，结合儿童及其家庭实际情况开展"
        "极危案件、中危和高危案件、低危案件的介入服务。",
    ),
)

SAFETY_RISK_RULE_SET: Final = RuleSet(
    SAFETY_RISK_RULE_SET_ID,
    "T/SZSWA 009-2023 §6.3, §6.4, Appendix B (normative)",
    "Safety risk grade A/B/C/D of a child in safety distress and interventions by grade.",
    SAFETY_RISK_RESOLUTIONS,
)

# --------------------------------------------------------------------------------------------
# Compulsory family-education hours: T/SZSWA 009-2023 Appendix I (informative), SZ-6.4.4
# --------------------------------------------------------------------------------------------

FAMILY_EDUCATION_RULE_SET_ID: Final = "SZ-2023-I"

R_I_140: Final = "R-SZ-I-01"
R_I_REASSESS: Final = "R-SZ-I-02"
R_I_ZERO_IN_TOTAL: Final = "R-SZ-I-03"
R_I_SPLIT_KINDS_ONLY: Final = "R-SZ-I-04"

SCORE_MIN: Final = 0
SCORE_MAX: Final = 9
UNASSESSED_SCORE: Final = 0
MAX_UNASSESSED_ITEMS: Final = 5

SCORE_GROUPS: Final[tuple[ScoreGroup, ...]] = (
    ScoreGroup(
        "personal_traits",
        "SZ-I.1-1",
        "个人特质",
        (
            "身体健康无滥用药物",
            "精神及人格健康",
            "有自信心能自我控制",
            "有良好健康的社交功能",
            "高度自我尊重",
        ),
    ),
    ScoreGroup(
        "motivation",
        "SZ-I.1-2",
        "改变动机意愿",
        (
            "能同理、关怀受虐者感受",
            "会谈时开放坦白",
            "会谈时配合度良好",
            "改变动机强",
            "对施虐行为能有所负责",
        ),
    ),
    ScoreGroup(
        "stress_coping",
        "SZ-I.1-3",
        "压力调适应对方式",
        (
            "不漠视问题的存在",
            "不漠视问题的重要性",
            "不漠视解决问题方式的选择",
            "能觉察自己的情绪与需求",
            "能积极主动表达需求",
            "情绪与行为控制良好",
            "对施虐行为负责",
        ),
    ),
    ScoreGroup(
        "family_function",
        "SZ-I.1-4",
        "家庭功能",
        (
            "对孩子有合理的尊重",
            "清楚有弹性的界线",
            "家人关系互动良好",
            "与家人沟通良好",
            "用弹性方式解决冲突",
        ),
    ),
    ScoreGroup(
        "social_resources",
        "SZ-I.1-5",
        "社会资源",
        ("正式支持系统丰富", "非正式支持系统丰富"),
    ),
    ScoreGroup(
        "parenting",
        "SZ-I.1-6",
        "亲职知识及能力",
        (
            "对孩子有合理的期待",
            "改善亲子的互动与沟通意愿高",
            "管教态度、规则清楚且一致",
            "照顾陪伴孩子并尊重孩子的意见",
        ),
    ),
)
GROUP_SIZES: Final = MappingProxyType({group.key: group.size for group in SCORE_GROUPS})

HOURS_BANDS: Final[tuple[HoursBand, ...]] = (
    HoursBand("SZ-I.1-band1", "≥197 分", 197, None, 4, 12),
    HoursBand("SZ-I.1-band2", "140-196 分", 140, 196, 13, 25, resolution=R_I_140),
    HoursBand("SZ-I.1-band3", "85-140 分", 85, 139, 26, 38, resolution=R_I_140),
    HoursBand("SZ-I.1-band4", "≤84 分", 0, 84, 39, 50),
)
BAND_EDGE_RESOLVED: Final = 140

SPLIT_CLAUSE: Final = "SZ-I.1"
SESSION_KINDS: Final[tuple[SessionKind, ...]] = (
    SessionKind("individual", "个别辅导"),
    SessionKind("couple", "夫妻辅导"),
    SessionKind("group", "团体辅导"),
    SessionKind("parenting_class", "团体亲职教育课程"),
)
SPLIT_NOTE: Final = (
    "Table I.1 lists these session kinds as tick boxes with blank counts and hours for the "
    "worker to fill in; it gives no numbers or proportions, so no split of hours is computed."
)

FAMILY_EDUCATION_RESOLUTIONS: Final[tuple[Resolution, ...]] = (
    Resolution(
        R_I_140,
        "SZ-I.1",
        "The hours row prints 140 in two bands; a total of 140 belongs to 13-25 hours and the "
        "26-38 band ends at 139.",
        "累计分数 ≥197 分 | 140-196 分 | 85-140 分 | ≤84 分",
    ),
    Resolution(
        R_I_REASSESS,
        "SZ-I.1",
        "More than 5 items scored 0 (cannot assess) marks the result needs_reassessment; the "
        "hours are still reported. The standard sets no such limit.",
        "“0”代表无法评估",
    ),
    Resolution(
        R_I_ZERO_IN_TOTAL,
        "SZ-I.1",
        "An item scored 0 (cannot assess) adds 0 to the total (total = plain sum), so "
        "unassessed items push towards more hours. The standard does not say how 0 is counted.",
        "以“1”最低分，而“9”最高分，“0”代表无法评估",
    ),
    Resolution(
        R_I_SPLIT_KINDS_ONLY,
        "SZ-I.1",
        "The split of hours is returned as the four session kinds only; allocating counts and "
        "hours to them is the worker's task.",
        "请依据以上建议时数，分配以下强制家庭教育指导时数。包含：□个别辅导__次，共__时 "
        "□夫妻辅导… □团体辅导… □团体亲职教育课程…",
    ),
)

FAMILY_EDUCATION_RULE_SET: Final = RuleSet(
    FAMILY_EDUCATION_RULE_SET_ID,
    "T/SZSWA 009-2023 Appendix I, table I.1 (informative; required by §6.4.4)",
    "Recommended hours of compulsory family-education guidance for a guardian.",
    FAMILY_EDUCATION_RESOLUTIONS,
)

# --------------------------------------------------------------------------------------------
# Guardianship capacity assessment: T/SZSWA 009-2023 Appendix D (informative), SZ-6.4.2, 6.4.3
# --------------------------------------------------------------------------------------------

GUARDIANSHIP_RULE_SET_ID: Final = "SZ-2023-D"

R_D_APPRAISAL: Final = "R-SZ-D-01"
R_D_CONCLUSION_RECORDED: Final = "R-SZ-D-02"
R_D_ADVERSE_LISTED: Final = "R-SZ-D-03"
R_D_TEAM: Final = "R-SZ-D-04"

D_CONDITION: Final = "The legal guardian says he or she cannot guard, or guardianship is disputed."

GUARDIANSHIP_RESOLUTIONS: Final[tuple[Resolution, ...]] = (
    Resolution(
        R_D_APPRAISAL,
        "SZ-D.2",
        "Each item of table D.2 sections 四 and 五 is answered with the worker's free-text "
        "finding and an appraisal adequate, concern or not_assessed. The standard prints only "
        "a free-text box per item and no scale; the appraisal is the product's.",
        "儿童身体状况（包括但不限于身体发育、睡眠质量、体检情况）… 监护意愿（包括但不限于…）",
    ),
    Resolution(
        R_D_CONCLUSION_RECORDED,
        "SZ-D.2-5.c",
        "The conclusion is the one the assessors record: capable, capable_with_support or "
        "not_capable. The standard prints a free-text 结论与建议 box and no categories or "
        "algorithm; the three codes follow SZ-6.4.3 (a person 具有监护能力 takes up "
        "guardianship) and SZ-B.3 note 2 (supervise and support the guardian), and the "
        "assessors' own words stay in the personal free text.",
        "结论与建议；…督促相关有监护资格并具有监护能力的人承担监护责任",
    ),
    Resolution(
        R_D_ADVERSE_LISTED,
        "SZ-D.2",
        "The result lists every item appraised concern, with its clause, beside the recorded "
        "conclusion; it neither derives nor checks the conclusion from them.",
        "表D.2 未成年人家庭监护能力评估报告",
    ),
    Resolution(
        R_D_TEAM,
        "SZ-D.3",
        "Table D.3 lists the assessors (name, gender, post, years in child protection) but sets "
        "no number; the product applies the team rule of the safety assessment (MZ-6.2.2: at "
        "least two workers, a woman among them for a girl).",
        "评估人员 … 序号 姓名 性别 单位职务 未成年人保护工作年限",
    ),
)

GUARDIANSHIP_RULE_SET: Final = RuleSet(
    GUARDIANSHIP_RULE_SET_ID,
    "T/SZSWA 009-2023 Appendix D, tables D.2 and D.3 (informative; required by §6.4.2, §6.4.3)",
    "Guardianship capacity assessment of a child's family: quality of guardianship, capacity.",
    GUARDIANSHIP_RESOLUTIONS,
)

# --------------------------------------------------------------------------------------------
# Work on a case across its life: the status intake gives it (SZ-6.5, SZ-6.6, JX-6.2.1,
# JX-9.4.2) and the child's interview (MZ-5.2.3, JX-4.5); issue 14
# --------------------------------------------------------------------------------------------

CASE_WORK_RULE_SET_ID: Final = "CASE-WORK-2026"

CASE_WORK_RESOLUTIONS: Final[tuple[Resolution, ...]] = (
    Resolution(
        "R-CASE-01",
        "SZ-6.5",
        "While intake has the case closing, nothing new starts (feasibility, filing, plan, "
        "worker change, adjustment, family-education order or extension); sessions and "
        "guidance go on to consolidate the change, and assessments, closure records, "
        "follow-ups, crises, interviews, reviews and tasks are recorded.",
        "总结工作…巩固已有改变…解除工作关系：提前告知儿童及其监护人结案的时间安排…做好结案记录",
    ),
    Resolution(
        "R-CASE-02",
        "SZ-6.6",
        "In follow-up only follow-ups, closure records, the (follow-up) assessments that "
        "decide full closure, reviews, tasks, crises and interviews are recorded; no service is "
        "started or delivered (the case goes back to in_service at intake first).",
        "宜在结案后6个月内，进行1至2次回访，经评估符合完全结案条件后，方可完全结案",
    ),
    Resolution(
        "R-CASE-03",
        "SZ-6.6",
        "A closed (SZ-6.6), transferred (JX-6.2.1) or handed-over (JX-9.4.2) case takes no "
        "work at all and its open tasks are cancelled with `case_<status>` as the reason; a "
        "status assessment does not know takes no work either.",
        "方可完全结案",
    ),
    Resolution(
        "R-I6-01",
        "MZ-5.2.3",
        "The matter of an interview is a code the worker gives (the harm's report id, say); "
        "the first interview record of a matter is the one later steps read. A second "
        "interview on it needs one of the reasons new_facts, earlier_record_unusable, "
        "judicial_request, child_asked (with text, sealed) and names the one it repeats.",
        "注意避免在不同场所反复、多次询问困境儿童被侵害的细节和过程，避免造成二次伤害",
    ),
)

CASE_WORK_RULE_SET: Final = RuleSet(
    CASE_WORK_RULE_SET_ID,
    "T/SZSWA 009-2023 §6.5, §6.6; MZ/T 248-2025 5.2.3; DB36/T 2143-2025 4.5, 6.2.1, 9.4.2",
    "Which work a case's status allows; no repeated questioning of the child.",
    CASE_WORK_RESOLUTIONS,
)

RULE_SETS: Final = MappingProxyType(
    {
        rule_set.id: rule_set
        for rule_set in (
            SAFETY_RISK_RULE_SET,
            FAMILY_EDUCATION_RULE_SET,
            GUARDIANSHIP_RULE_SET,
            CASE_WORK_RULE_SET,
        )
    }
)


def resolution(resolution_id: str) -> Resolution:
    """The resolution with this id, from any rule set; KeyError if there is none."""
    for rule_set in RULE_SETS.values():
        for candidate in rule_set.resolutions:
            if candidate.id == resolution_id:
                return candidate
    raise KeyError(resolution_id)
