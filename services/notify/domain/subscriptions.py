"""Who may hold a subscription, what it may name, and which subscriptions an event goes to.

Pure. A subscription belongs to one organisation; with an `agency` it is a partner agency's
endpoint (police, civil affairs, ...), without one it is the organisation's own. Partners get
the minimum necessary (GB-12, JX-9.3): a mandatory report only when their agency is among its
recipients, a deadline only when their agency is among the roles it addresses.
"""

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import SplitResult, urlsplit

from events.domain import refuse


class Channel(StrEnum):
    WEBHOOK = "webhook"
    EMAIL = "email"


class Language(StrEnum):
    ZH = "zh"
    EN = "en"


MANDATORY_REPORT_FILED = "intake.mandatory_report.filed"
REMINDER_SENT = "notify.reminder.sent"
DEADLINE_MISSED = "notify.deadline.missed"
ESCALATED = "notify.escalated"
CALENDAR_YEAR_NEEDED = "notify.calendar.year_needed"
# A supervisor of another organisation broke the glass to read a case: its admins hear of it.
EMERGENCY_ACCESS_GRANTED = "intake.case.emergency_access_granted"
# A suspension or departure left a case short of the team MZ-6.2.2 needs: its supervisors hear.
CASE_UNDERSTAFFED = "intake.case.understaffed"

#: Event names a subscription may ask for, and which field lists the roles or agencies each
#: addresses (what a partner's agency must appear in).
NOTIFIABLE: Mapping[str, str] = {
    MANDATORY_REPORT_FILED: "recipients",
    REMINDER_SENT: "remind",
    DEADLINE_MISSED: "escalate_to",
    ESCALATED: "escalate_to",
    CALENDAR_YEAR_NEEDED: "roles",
    EMERGENCY_ACCESS_GRANTED: "notify_roles",
    CASE_UNDERSTAFFED: "notify_roles",
}

MANAGERS = frozenset({"org_admin", "supervisor"})
#: A subscription names only events notify may send out: the minimum necessary.
FILTER_RULE = "GB-12"
#: A notification travels only where the channel can reach it safely (no plain http across a
#: network, no e-mail without an address).
TARGET_RULE = "SZ-7.3.3"
#: A webhook goes to the public internet only: an address inside the deployment's network
#: (a metadata service, another service, the database) would let a subscriber make notify
#: call it (server-side request forgery).
PUBLIC_RULE = "ARCHITECTURE-security"
EMAIL_MAX = 254  # RFC 5321: the longest path an SMTP server must accept

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64 = ipaddress.ip_network("64:ff9b::/96")  # carries an IPv4 address in its last 32 bits


@dataclass(frozen=True)
class CreateSubscription:
    organisation: str
    agency: str | None
    channel: Channel
    target: str
    event_types: list[str]
    language: Language


@dataclass(frozen=True)
class DeleteSubscription:
    subscription_id: str


@dataclass(frozen=True)
class Caller:
    roles: frozenset[str]
    organisation: str | None
    agency: str | None


@dataclass(frozen=True)
class Route:
    """What routing needs of a subscription."""

    subscription_id: str
    organisation: str
    agency: str | None
    event_types: tuple[str, ...]


def stream_of(subscription_id: str) -> str:
    return f"subscription-{subscription_id}"


def secret_scope(subscription_id: str) -> str:
    """The data key that seals a subscription's webhook secret and target."""
    return f"subscription:{subscription_id}"


def may_manage(caller: Caller, organisation: str, agency: str | None) -> bool:
    """Org admins and supervisors manage their organisation's subscriptions; a partner only
    those of its own agency in that organisation."""
    if caller.organisation is None or caller.organisation != organisation:
        return False
    if caller.roles & MANAGERS:
        return True
    return "partner" in caller.roles and caller.agency is not None and caller.agency == agency


def check_subscription(channel: Channel, target: str, event_types: Sequence[str]) -> None:
    """Refuse an unknown event type, an empty filter, or a target the channel cannot reach."""
    unknown = sorted(set(event_types) - set(NOTIFIABLE))
    if not event_types or unknown:
        message = f"unknown or no event types: {unknown}"
        raise refuse("unknown_event_types", FILTER_RULE, message, field="event_types")
    if channel is Channel.WEBHOOK:
        check_webhook_url(target)
    elif not _looks_like_address(target):
        message = "an e-mail subscription needs an address"
        raise refuse("no_email_address", TARGET_RULE, message, field="target")


def check_webhook_url(url: str) -> None:
    """https anywhere; plain http only on loopback (where nothing crosses a network). A URL
    that two parsers could read as two hosts (credentials, backslashes, spaces, a bad port)
    is refused, so the host checked is the host called."""
    parsed = urlsplit(url)
    if not _unambiguous(url, parsed):
        message = "a webhook URL names one host, without credentials, spaces or backslashes"
        raise refuse("webhook_url_invalid", PUBLIC_RULE, message, field="target")
    if parsed.scheme == "https" and parsed.hostname:
        return
    if parsed.scheme == "http" and _is_loopback(parsed.hostname):
        return
    message = "a webhook needs an https URL (http only on loopback)"
    raise refuse("webhook_not_https", TARGET_RULE, message, field="target")


def webhook_endpoint(url: str) -> tuple[str, int]:
    """The host and port a checked webhook URL is sent to."""
    parsed = urlsplit(url)
    default = 443 if parsed.scheme == "https" else 80
    return parsed.hostname or "", parsed.port or default


def check_target_addresses(addresses: Sequence[str], *, allow_loopback: bool) -> None:
    """Refuse a webhook host unless every address it resolves to is public (one inside is
    enough to be called there). `allow_loopback` is for the project's own tests; the rest
    inside stays refused. The refusal names the kind of address, not the address: the
    caller must not learn the network's layout from it."""
    kinds = [address_kind(a, allow_loopback=allow_loopback) for a in addresses]
    inside = next((kind for kind in kinds if kind is not None), None if addresses else "none")
    if inside is not None:
        message = f"the webhook's host resolves to an address that is not public ({inside})"
        raise refuse("webhook_target_not_public", PUBLIC_RULE, message, field="target")


def address_kind(address: str, *, allow_loopback: bool = False) -> str | None:
    """Why a webhook may not go to `address` (`loopback`, `private`, ...), or None: public.
    An IPv6 address carrying an IPv4 one is judged by both (6to4, Teredo, NAT64), an
    IPv4-mapped one by the IPv4 address it is."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "unreadable"
    for candidate in _carried(ip):
        kind = _inside_kind(candidate)
        if kind is not None and not (kind == "loopback" and allow_loopback):
            return kind
    return None


def _carried(ip: Address) -> list[Address]:
    if isinstance(ip, ipaddress.IPv4Address):
        return [ip]
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    carried = [ip.sixtofour, *(ip.teredo or ())]
    if ip in NAT64:
        carried.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return [ip, *(c for c in carried if c is not None)]


def _inside_kind(ip: Address) -> str | None:
    kinds = (
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("unspecified", ip.is_unspecified),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
        ("non-global", not ip.is_global),
    )
    return next((name for name, hit in kinds if hit), None)


def _unambiguous(url: str, parsed: SplitResult) -> bool:
    if any(c.isspace() or c == "\\" or not c.isprintable() for c in url):
        return False
    if parsed.username is not None or parsed.password is not None:
        return False
    try:
        parsed.port  # noqa: B018  (reading it validates it)
    except ValueError:
        return False
    return True


def routes_for(
    event_name: str, data: Mapping[str, object], organisation: str, routes: Iterable[Route]
) -> list[Route]:
    """The subscriptions an event of `organisation` goes to."""
    field = NOTIFIABLE.get(event_name)
    if field is None:
        return []
    addressed = _addressed(data.get(field))
    return [
        r
        for r in routes
        if r.organisation == organisation
        and event_name in r.event_types
        and (r.agency is None or r.agency in addressed)
    ]


def _addressed(value: object) -> frozenset[str]:
    """Roles as strings, or recipients as `{"key": ...}` objects."""
    items = value if isinstance(value, list) else []
    keys = [i.get("key") if isinstance(i, dict) else i for i in items]
    return frozenset(k for k in keys if isinstance(k, str))


def _looks_like_address(target: str) -> bool:
    local, at, domain = target.partition("@")
    plain = not any(c.isspace() or not c.isprintable() for c in target)
    return bool(local and at and "." in domain and plain and len(target) <= EMAIL_MAX)


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False
