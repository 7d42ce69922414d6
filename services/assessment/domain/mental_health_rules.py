"""The numbers and clauses of the mental-health service (DB36/T 2143-2025, "JX"), as reviewable
data, with the rulebook's M-number of each clause and every Resolution the product adopts where
the standard is silent. `mental_health` holds no number of its own; it reads them here.
"""

from types import MappingProxyType
from typing import Final

from assessment.domain.rulesets import Resolution, RuleSet

RULE_SET_ID: Final = "JX-2025-MH"

RISK: Final = "JX-6.1.1"  # M-1: normal, low, medium, high
SUBJECT: Final = "JX-5.1"  # M-1: subjects are medium/high risk or designated
REFERRAL: Final = "JX-7.1.2"  # M-2: refer on danger to life, psychosis, beyond capability
FEASIBILITY: Final = "JX-7.1.1"  # M-3: Appendix A
REVIEW: Final = "JX-7.1.3"  # M-3: the provider reviews; supervisor's box on B and D
PLAN: Final = "JX-7.2.1"  # M-4: Appendix B, at least 6 sessions
ADJUST: Final = "JX-7.2.2"  # M-4: adjustment within 5 working days
CONSENT: Final = "JX-7.2.3"  # M-4: informed consent
SERVICE: Final = "JX-7.3"  # M-5, M-6, M-7
MIDTERM: Final = "JX-7.4.1"  # M-8
CLIENT_REQUEST: Final = "JX-7.4.2"  # M-9
CLOSURE: Final = "JX-7.5.1"  # M-10: Appendix D
CONTINUITY: Final = "JX-7.5.2"  # M-10: same instrument as at intake
INDICATORS: Final = "JX-7.5.3"  # DOMAIN §10
CRISIS: Final = "JX-7.6.1"  # M-11: crisis intervention
FOLLOW_UP: Final = "SZ-6.6"  # DOMAIN §5: 1-2 follow-ups within 6 months, then full closure

DOMAIN_RULES: Final = MappingProxyType(
    {
        RISK: "M-1",
        SUBJECT: "M-1",
        REFERRAL: "M-2",
        FEASIBILITY: "M-3",
        REVIEW: "M-3",
        PLAN: "M-4",
        ADJUST: "M-4",
        CONSENT: "M-4",
        SERVICE: "M-7",
        MIDTERM: "M-8",
        CLIENT_REQUEST: "M-9",
        CLOSURE: "M-10",
        CONTINUITY: "M-10",
        INDICATORS: "§10",
        CRISIS: "M-11",
        FOLLOW_UP: "§5",
    }
)
# JX-7.3 holds M-5, M-6 and M-7; a violation's or due item's code says which one it applies.
DOMAIN_RULE_BY_CODE: Final = MappingProxyType(
    {
        "start_service": "M-5",
        "start_service_medium_risk": "M-5",
        "start_service_high_risk": "M-5",
        "caseload_full": "M-6",
        "client_consent_missing": "M-6",
        "same_worker": "M-6",
        "not_the_case_worker": "M-6",
        "no_worker": "M-6",
        "feasibility_not_reviewed": "M-3",
        "feasibility_filed_already": "M-3",
        "feasibility_not_filed": "M-3",
    }
)

SUBJECT_LEVELS: Final = frozenset({"medium", "high"})
MIN_PLAN_SESSIONS: Final = 6  # JX-7.2.1
MIN_SESSIONS_BY_RISK: Final = MappingProxyType({"medium": 6, "high": 12})  # JX-7.3
CASELOAD_CAP: Final = 8  # JX-7.3
SESSION_MINUTES: Final = (60, 120)  # JX-7.3: 1 h - 2 h
HOME_VISIT_WORKERS: Final = 2  # JX-7.3: guardian away -> two workers
FREQUENCY_DAYS: Final = MappingProxyType({"weekly": 7, "fortnightly": 14, "monthly": 30})
SCHEDULE_GRACE_DAYS: Final = 3
START_AFTER_AGREEMENT: Final = 15  # working days, JX-7.3 (M-5)
START_BY_RISK: Final = MappingProxyType({"medium": 10, "high": 5})  # working days, JX-7.3
REPORT_REQUEST_DAYS: Final = 2  # working days, JX-7.4.2
ADJUST_DAYS: Final = 5  # working days, JX-7.2.2 and JX-7.4.2
CLOSURE_NEEDS_MEASURE: Final = frozenset({"goals_met", "agreed_end"})
FOLLOW_UP_MONTHS: Final = 6  # SZ-6.6

RESOLUTIONS: Final = (
    Resolution(
        id="R-JX-AGREEMENT",
        clause="JX-7.1.3",
        text="The agreement on number, content and period of the service is recorded when the "
        "supervisor confirms the Appendix B plan the client or guardian consented to; that is "
        "`assessment.service_plan.agreement_signed`, from which the M-5 clock runs.",
        source_text="双方就服务数量、内容、周期等签订项目协议书",
    ),
    Resolution(
        id="R-JX-FILING",
        clause="JX-7.1.3",
        text="The provider's review is the supervisor's approval of the Appendix A assessment; "
        "its filing with the entrustor is recorded after it "
        "(`assessment.mental_health_assessment.feasibility_filed`) and no plan is submitted "
        "and no agreement signed before it. A returned and resubmitted assessment is filed "
        "once approved; the standard sets no time for the filing.",
        source_text="承接机构对《心理健康服务可行性评估表》进行审核，向委托机构报备",
    ),
    Resolution(
        id="R-JX-CRISIS",
        clause=CRISIS,
        text="A crisis is recorded at once with the conditions found and whatever was done; the "
        "actions its conditions require (assess and report to the entrustor always; a medical "
        "escort on medical need; emergency plan, raised frequency and a reliable carer on "
        "danger to life; placement with the support of police, procuratorate, court or justice "
        "on an unsafe environment; referral beyond capability) are listed and stay outstanding "
        "until recorded, never a reason to refuse the record. A placement is recorded only "
        "with the partners that support it. The M-2 referral itself is not raised here.",
        source_text="承接机构应立即启动危机干预，以确保困境儿童的安全，并将相关情况及时上报给委托机构",
    ),
    Resolution(
        id="R-JX-CASELOAD",
        clause="JX-7.3",
        text="A case counts on a worker's caseload from the feasibility assessment naming "
        "them until it is closed or handed to another worker.",
        source_text="每位服务人员同时直接服务的开案数不超过8例",
    ),
    Resolution(
        id="R-JX-MINIMUM",
        clause="JX-7.3",
        text="'一般' minimums are enforced: a plan has at least 6 sessions, 12 for a high-risk "
        "case; closing as goals met needs that many sessions held (other reasons do not).",
        source_text="单个问题的服务次数，一般中风险个案不低于6次，高风险个案不低于12次",
    ),
    Resolution(
        id="R-JX-SESSION-LENGTH",
        clause="JX-7.3",
        text="'一般为1h~2h' is enforced: sessions of 60 to 120 minutes are recorded.",
        source_text="单次服务一般为1h~2h",
    ),
    Resolution(
        id="R-JX-MIDTERM",
        clause="JX-7.4.1",
        text="The mid-term review is due once half the planned sessions (rounded up) are held.",
        source_text="在服务中期，督导人员应对服务进行阶段性评估",
    ),
    Resolution(
        id="R-JX-REFERRAL",
        clause="JX-7.1.2",
        text="While a referral requirement is open no plan is agreed; the case ends with a "
        "closure for reason 'referred', which needs no closing test.",
        source_text="发现下列情况应及时转介",
    ),
    Resolution(
        id="R-SZ-FOLLOW-UP",
        clause="SZ-6.6",
        text="A closed mental-health case is followed up like any closed case: a follow-up is "
        "recorded with its method and whether it fell within 6 months of closure; more than two "
        "are never refused; full closure needs at least one follow-up and an assessment that "
        "the conditions are met.",
        source_text="宜在结案后6个月内，进行1至2次回访，经评估符合完全结案条件后，方可完全结案",
    ),
    Resolution(
        id="R-JX-MONTHLY",
        clause="JX-7.3",
        text="'一月一次' is read as every 30 days when the next session falls due.",
        source_text="两周一次或一月一次",
    ),
)

RULE_SET: Final = RuleSet(
    id=RULE_SET_ID,
    document="DB36/T 2143-2025",
    scope="mental-health service of children in difficulty: DOMAIN §6 (M-1 to M-10), §10",
    resolutions=RESOLUTIONS,
)

# What each refusal says; `{...}` are filled in from the case.
MESSAGES: Final = MappingProxyType(
    {
        "case_closed": "the case is closed",
        "not_in_service": "no plan of this case is agreed yet",
        "feasibility_not_open": "the feasibility assessment is done or awaits review",
        "caseload_full": "worker {worker} already holds {open} open cases; at most {cap} (M-6)",
        "client_confirmation_missing": "the client or guardian must confirm the form",
        "emergency_undescribed": "an emergency must be described (Appendix A)",
        "nothing_to_review": "this item is not awaiting review",
        "own_submission": "a supervisor may not review what they submitted",
        "comments_missing": "a returned item needs the supervisor's comments",
        "feasibility_not_reviewed": "the provider reviews (approves) the feasibility assessment "
        "before it is filed with the entrustor (M-3)",
        "feasibility_filed_already": "the reviewed feasibility assessment is filed already",
        "feasibility_not_filed": "the reviewed feasibility assessment is filed with the "
        "entrustor before the plan and the agreement (M-3, JX-7.1.3)",
        "plan_not_open": "a plan follows an approved feasibility assessment; a revision an open "
        "adjustment or a reported client request",
        "awaiting_review": "an item of this case awaits review",
        "risk_not_graded": "the case's mental-health risk must be graded first (M-1)",
        "not_a_service_subject": "a {risk}-risk child not designated by the department is not a "
        "subject of the service (JX-5.1)",
        "referral_required": "the case is to be referred (M-2), not served under a plan",
        "too_few_sessions": "a plan has at least {minimum} sessions (JX-7.2.1)",
        "below_risk_minimum": "a {risk}-risk case has at least {minimum} sessions (JX-7.3)",
        "session_length": "a session lasts 1 to 2 hours (JX-7.3)",
        "period_reversed": "the plan's period ends before it starts",
        "first_plan_not_weekly": "the service starts weekly; it may be spaced out on improvement",
        "consent_missing": "the client or guardian must sign the informed consent (JX-7.2.3)",
        "adjustment_open": "an adjustment is already open",
        "not_the_case_worker": "the case's own worker holds its sessions; change worker first",
        "home_visit_alone": "with the guardian away, at least two workers make a home visit",
        "guardian_not_informed": "with the guardian away, the guardian must be told of the visit",
        "no_worker": "the case has no worker yet",
        "same_worker": "this worker holds the case already",
        "client_consent_missing": "a change of worker needs the client's recorded consent (M-6)",
        "no_such_request": "no such client request",
        "already_reported": "this request was reported already",
        "must_refer": "significant deterioration or an M-2 condition: refer at once",
        "must_adjust_or_refer": "the expected effect is unlikely: adjust the plan or refer",
        "closure_not_open": "nothing to close yet",
        "final_measure_missing": "the service's effect is tested at closure (JX-7.5.2)",
        "instrument_changed": "the closing test uses the intake instrument {instrument}",
        "too_few_sessions_held": "{held} sessions held; a {risk}-risk case has at least "
        "{minimum} (JX-7.3)",
        "goals_not_met": "closing as 'goals_met' needs every goal achieved",
        "unmet_goals_unanalysed": "unmet goals need their analysis and follow-up (JX-7.5.1)",
        "no_stop_request": "no request of the client to stop is recorded (JX-7.4.2)",
        "no_referral": "no referral requirement is recorded (M-2)",
        "not_closed": "follow-ups come after the closure (SZ-6.6)",
        "fully_closed": "the case is fully closed",
        "before_closure": "a follow-up cannot precede the closure",
        "no_follow_up": "full closure needs at least one follow-up first (SZ-6.6)",
        "conditions_not_met": "the assessment did not find the conditions for full closure met",
    }
)
