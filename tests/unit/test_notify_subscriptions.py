"""Who may subscribe, what a subscription may name, and where an event goes: pure rules of
notify's subscriptions (GB-12 minimum necessary for partner agencies). Synthetic data only."""

import pytest

from events.domain import Refused
from notify.domain.subscriptions import (
    Caller,
    Channel,
    Route,
    check_subscription,
    check_target_addresses,
    may_manage,
    routes_for,
)

ORG = "org-syn-1"
ALL = ("notify.reminder.sent", "notify.escalated", "intake.mandatory_report.filed")


def test_a_supervisor_manages_any_subscription_of_their_own_organisation_only() -> None:
    supervisor = Caller(frozenset({"supervisor"}), ORG, None)
    assert may_manage(supervisor, ORG, None)
    assert may_manage(supervisor, ORG, "police")
    assert not may_manage(supervisor, "org-other", None)


def test_a_partner_manages_its_own_agencys_subscriptions_and_no_others() -> None:
    police = Caller(frozenset({"partner"}), ORG, "police")
    assert may_manage(police, ORG, "police")
    assert not may_manage(police, ORG, "civil_affairs")
    assert not may_manage(police, ORG, None)


def test_a_worker_manages_no_subscription() -> None:
    assert not may_manage(Caller(frozenset({"worker"}), ORG, None), ORG, None)


def test_a_webhook_needs_https_except_on_loopback() -> None:
    check_subscription(Channel.WEBHOOK, "https://hooks.example.org/careledger", ALL)
    check_subscription(Channel.WEBHOOK, "http://127.0.0.1:9000/hook", ALL)
    with pytest.raises(Refused):
        check_subscription(Channel.WEBHOOK, "http://hooks.example.org/careledger", ALL)


def test_an_unknown_event_type_or_an_empty_filter_is_refused() -> None:
    with pytest.raises(Refused):
        check_subscription(Channel.WEBHOOK, "https://h.example.org", ["intake.report.received"])
    with pytest.raises(Refused):
        check_subscription(Channel.WEBHOOK, "https://h.example.org", [])


def test_an_email_subscription_needs_an_address() -> None:
    check_subscription(Channel.EMAIL, "duty-desk@org-syn.example", ALL)
    with pytest.raises(Refused):
        check_subscription(Channel.EMAIL, "not an address", ALL)


def test_a_refusal_names_the_clause_and_the_field_at_fault() -> None:
    with pytest.raises(Refused) as plain_http:
        check_subscription(Channel.WEBHOOK, "http://hooks.example.org/careledger", ALL)
    with pytest.raises(Refused) as unknown:
        check_subscription(Channel.EMAIL, "duty-desk@org-syn.example", ["intake.report.received"])
    (target,), (types,) = plain_http.value.violations, unknown.value.violations
    assert (target.code, target.rule, target.field) == ("webhook_not_https", "SZ-7.3.3", "target")
    assert (types.code, types.rule, types.field) == ("unknown_event_types", "GB-12", "event_types")


def test_a_mandatory_report_goes_to_its_recipients_agencies_and_the_organisation() -> None:
    routes = [
        Route("own", ORG, None, ALL),
        Route("police", ORG, "police", ALL),
        Route("civil", ORG, "civil_affairs", ALL),
        Route("court", ORG, "court", ALL),
        Route("elsewhere", "org-other", "police", ALL),
    ]
    data = {"recipients": [{"key": "police"}, {"key": "civil_affairs"}]}
    chosen = routes_for("intake.mandatory_report.filed", data, ORG, routes)
    assert [r.subscription_id for r in chosen] == ["own", "police", "civil"]


def test_a_partner_hears_of_a_deadline_only_when_its_role_is_addressed() -> None:
    routes = [Route("own", ORG, None, ALL), Route("civil", ORG, "civil_affairs", ALL)]
    to_staff = {"escalate_to": ["supervisor", "org_admin"]}
    to_civil = {"escalate_to": ["org_admin", "civil_affairs"]}
    assert [r.subscription_id for r in routes_for("notify.escalated", to_staff, ORG, routes)] == [
        "own"
    ]
    assert len(routes_for("notify.escalated", to_civil, ORG, routes)) == 2


def test_an_event_outside_a_subscriptions_filter_is_not_sent_to_it() -> None:
    routes = [Route("own", ORG, None, ("notify.escalated",))]
    assert routes_for("notify.reminder.sent", {"remind": ["assigned_worker"]}, ORG, routes) == []
    assert routes_for("intake.report.received", {}, ORG, routes) == []


INSIDE = [
    "169.254.169.254",  # a cloud's metadata service (link-local)
    "127.0.0.1",
    "10.20.30.40",
    "172.16.0.9",
    "192.168.1.10",
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.0",  # noqa: S104  (an address refused, not one bound to)
    "224.0.0.251",  # multicast
    "240.0.0.1",  # reserved
    "::1",
    "fe80::1",
    "fc00::5",
    "ff02::1",
    "::ffff:127.0.0.1",  # IPv4-mapped loopback
    "::ffff:169.254.169.254",
    "2002:a00:1::",  # 6to4 carrying 10.0.0.1
]


@pytest.mark.parametrize("address", INSIDE)
def test_a_webhook_address_inside_the_network_is_refused(address: str) -> None:
    with pytest.raises(Refused) as refused:
        check_target_addresses([address], allow_loopback=False)
    (violation,) = refused.value.violations
    assert (violation.code, violation.rule, violation.field) == (
        "webhook_target_not_public",
        "ARCHITECTURE-security",
        "target",
    )
    assert address not in violation.message  # the caller learns the kind, not the address


def test_one_inside_address_among_public_ones_is_enough_to_refuse() -> None:
    check_target_addresses(["8.8.8.8", "2001:4860:4860::8888"], allow_loopback=False)
    with pytest.raises(Refused):
        check_target_addresses(["8.8.8.8", "10.0.0.1"], allow_loopback=False)
    with pytest.raises(Refused):
        check_target_addresses([], allow_loopback=False)


def test_the_test_setting_lets_loopback_through_and_nothing_else_inside() -> None:
    check_target_addresses(["127.0.0.1", "::1", "::ffff:127.0.0.1"], allow_loopback=True)
    for address in ("169.254.169.254", "10.0.0.1", "192.168.0.1", "fe80::1", "224.0.0.1"):
        with pytest.raises(Refused):
            check_target_addresses([address], allow_loopback=True)


@pytest.mark.parametrize(
    "url",
    [
        "https://user:pw@hooks.example.org/x",  # credentials in a URL end up in logs
        "https://hooks.example.org:99999/x",  # no such port
        "https://hooks.example.org/x y",
        "https://hooks.example.org\\@10.0.0.1/x",  # read differently by different parsers
    ],
)
def test_a_webhook_url_that_parsers_could_read_differently_is_refused(url: str) -> None:
    with pytest.raises(Refused) as refused:
        check_subscription(Channel.WEBHOOK, url, ALL)
    assert refused.value.violations[0].field == "target"


def test_an_email_address_longer_than_smtp_allows_is_refused() -> None:
    with pytest.raises(Refused):
        check_subscription(Channel.EMAIL, "a" * 250 + "@org-syn.example", ALL)
