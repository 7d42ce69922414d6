"""What the assessment routers of case work share: who the caller's organisation is, the time,
and refusals as problems naming the clause (`rule`) and the rulebook's number (`domain_rule`)."""

from datetime import UTC, datetime

from assessment.domain import mental_health_rules as mr
from assessment.domain.refusals import Conflict, Refused
from events.auth import Forbidden, Principal
from events.problems import Problem


def problem_of(refused: Refused) -> Problem:
    """A refusal as a problem naming the JX clause and the rulebook's M-number."""
    conflict = isinstance(refused, Conflict)
    first = refused.violations[0]
    return Problem(
        409 if conflict else 422,
        "conflict" if conflict else "rule-violation",
        "Not possible in the present state" if conflict else "The request breaks a rule",
        str(refused),
        rule=refused.rule,
        domain_rule=domain_rule_of(first.code, first.rule),
        violations=[
            {**v.model_dump(), "domain_rule": domain_rule_of(v.code, v.rule)}
            for v in refused.violations
        ],
    )


def domain_rule_of(code: str, rule: str) -> str:
    return mr.DOMAIN_RULE_BY_CODE.get(code) or mr.DOMAIN_RULES.get(rule, rule)


def organisation_of(principal: Principal) -> str:
    if not principal.organisation:
        raise Forbidden("the token names no organisation")
    return principal.organisation


def now() -> datetime:
    return datetime.now(UTC)
