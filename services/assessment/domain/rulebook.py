"""The rulebook's number (DOMAIN.md) of a refusal, shown as `domain_rule` in problem bodies."""

from assessment.domain.mental_health_rules import DOMAIN_RULE_BY_CODE, DOMAIN_RULES
from events.domain import Violation

# Clauses of the rules issue 14 added, by the rulebook's number.
NEW_RULES = {"MZ-5.2.3": "I-6", "JX-4.5": "I-6"}
# A refusal for the case's status (`case_status`) by the rulebook's section of that status.
BY_STATUS = {
    "case_status_closing": "§10",
    "case_status_follow_up": "§5",
    "case_status_closed": "§5",
    "case_status_transferred": "§9",
    "case_status_handed_over": "§11",
}


def domain_rule_of(violation: Violation) -> str:
    """By the violation's code where one clause holds several numbers (JX-7.3: M-5, M-6, M-7),
    else by its clause; a clause the rulebook does not number stands for itself."""
    by_code = DOMAIN_RULE_BY_CODE.get(violation.code) or BY_STATUS.get(violation.code)
    by_clause = DOMAIN_RULES.get(violation.rule) or NEW_RULES.get(violation.rule)
    return by_code or by_clause or violation.rule
