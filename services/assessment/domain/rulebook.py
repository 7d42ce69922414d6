"""The rulebook's number (DOMAIN.md) of a refusal, shown as `domain_rule` in problem bodies."""

from assessment.domain.mental_health_rules import DOMAIN_RULE_BY_CODE, DOMAIN_RULES
from events.domain import Violation


def domain_rule_of(violation: Violation) -> str:
    """By the violation's code where one clause holds several numbers (JX-7.3: M-5, M-6, M-7),
    else by its clause; a clause the rulebook does not number stands for itself."""
    by_code = DOMAIN_RULE_BY_CODE.get(violation.code)
    return by_code or DOMAIN_RULES.get(violation.rule, violation.rule)
