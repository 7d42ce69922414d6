"""Two cases walked from report to closure with the real intake, assessment and notify processes
on their own databases, the local PostgreSQL and Kafka (issue 14, "Quality"). At each step the
walk checks the case's status, the clocks notify keeps and who they name, asking notify's
`GET /v1/deadlines` as the worker who took the report, as a member of the case team and as the
supervisor. All data synthetic.

Walk 1, an emergency about a girl of 12 (SZ-5.2, SZ-6.2.1, SZ-5.8.2, MZ-6.2.2, SZ-6.3/6.4,
SZ-6.5, MZ-6.4.2, SZ-6.6): the mandatory report and its per-recipient acknowledgement clocks,
the report to civil affairs, the 24 h first visit and 72 h investigation, the weekly
serious-violence series; a team of two with a woman, a lone man's first visit refused; a grade C
moving the case into service; the closing work, a follow-up, full closure; at closure every
remaining clock is cancelled with a reason and the weekly series ends.

Walk 2, a low-risk case (DOMAIN §4 A, §7, SZ-6.4.4, SZ Appendix I, R-SZ-B-09, R-SZ-B-10): no
emergency, civil affairs told by hand; grade A sets the compulsory family-education task (due
as an undated action, one month); the Appendix I hours and the order issued complete it (the
order's 3 months are its minimum period, not a deadline); into service, closing work, follow-up,
closed, the remaining clocks cancelled.

A third test dates the closing work and a follow-up before what they follow (SZ-6.5, SZ-6.6,
issue 14 item 5).
"""

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from uuid import uuid4

import httpx
import pytest

from intake.domain import Gender
from intake.domain.clock import local_date
from intake.domain.identity import check_digit
from tests.e2e.assessment_support import (
    auth,
    person,
    register_staff,
    running,
    wait_for_case,
    wait_for_count,
    wait_for_team,
)
from tests.e2e.conftest import Running
from tests.e2e.intake_people import register_supervisor
from tests.synthetic import fake_name, fake_phone, fake_resident_id

T = TypeVar("T")
WAIT = 60.0  # seconds, at most, for one fact to cross the services
ACK = "mandatory_report.acknowledgement"
CIVIL_AFFAIRS = "intake.civil_affairs_report"
FIRST_VISIT = "intake.first_visit"
INVESTIGATION = "intake.investigation"
WEEKLY = "followup.weekly_after_serious_violence"
TASK = "assessment.task"
RECIPIENTS = {"police", "place_responsible", "civil_affairs"}
ENDED = {"met", "cancelled"}
SYNTHETIC = "合成测试：结案工作记录，儿童情况稳定。"  # synthetic free text, sealed at intake
FINDINGS = {
    "harm_type": "合成：疑似家庭暴力",
    "degree": "合成：手臂多处淤青",
    "time_and_place": "合成：昨晚，家中",
    "environment_or_perpetrator": "合成：与继父同住",
    "social_support": "合成：外祖母每周探望",
}
APPENDIX_I_GROUPS = {  # SZ Appendix I: 28 items in six groups
    "personal_traits": 5,
    "motivation": 5,
    "stress_coping": 7,
    "family_function": 5,
    "social_resources": 2,
    "parenting": 4,
}


@pytest.fixture(scope="module")
def trio(stack, tmp_path_factory) -> Iterator[dict[str, tuple[Running, str]]]:
    """Intake, assessment and notify, each a real process on a new database of its own."""
    logs = tmp_path_factory.mktemp("walk-logs")
    with running(stack, logs, "intake", "assessment", "notify") as up:
        yield up


@dataclass
class Walk:
    """One case walked through the services, and the people who work on it."""

    intake: Running
    assessment: Running
    notify: Running
    assessment_db: str
    org: str = field(default_factory=lambda: f"org-walk-{uuid4().hex[:8]}")
    supervisor: str = field(default_factory=lambda: f"s-walk-{uuid4().hex[:8]}")
    receiver: str = field(default_factory=lambda: f"w-receiver-{uuid4().hex[:8]}")
    woman: dict[str, str] = field(default_factory=lambda: person("female", "walk-f"))
    man: dict[str, str] = field(default_factory=lambda: person("male", "walk-m"))
    report: dict[str, Any] = field(default_factory=dict)
    case: dict[str, Any] = field(default_factory=dict)
    task_ids: set[str] = field(default_factory=set)

    @property
    def team(self) -> list[str]:
        return [self.woman["worker_id"], self.man["worker_id"]]

    @property
    def case_url(self) -> str:
        return f"{self.intake.url}/v1/cases/{self.case['case_id']}"

    def subjects(self) -> set[str]:
        """What the case's clocks are kept on: its report, child, case and tasks."""
        ids = {self.report["report_id"], self.report["child_id"], *self.task_ids}
        return ids | ({self.case["case_id"]} if self.case else set())


def new_walk(trio: dict[str, tuple[Running, str]]) -> Walk:
    """The organisation's registered supervisor (SZ-7.1.5) and two cleared workers, a woman
    and a man (MZ-6.2.2, MZ-7.1.3), registered at intake and known to assessment."""
    walk = Walk(trio["intake"][0], trio["assessment"][0], trio["notify"][0], trio["assessment"][1])
    register_supervisor(walk.intake.url, walk.org, walk.supervisor)
    register_staff(walk.intake, walk.assessment_db, walk.org, walk.woman, walk.man)
    return walk


# --- talking to the services ---------------------------------------------------------------


def as_supervisor(walk: Walk) -> dict[str, str]:
    return auth("supervisor", walk.org, walk.supervisor)


def as_worker(walk: Walk, worker_id: str) -> dict[str, str]:
    return auth("worker", walk.org, worker_id)


def post(url: str, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
    return httpx.post(url, json=body, headers=headers, timeout=15)


def created(response: httpx.Response, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return dict(response.json())


def now() -> datetime:
    return datetime.now(UTC)


def china_today() -> date:
    return local_date(now())


def wait_for(fetch: Callable[[], T], ok: Callable[[T], bool], what: str) -> T:
    """Poll `fetch` until `ok` holds of what it answers, at most WAIT seconds."""
    deadline, seen = time.monotonic() + WAIT, fetch()
    while not ok(seen):
        assert time.monotonic() < deadline, f"{what}; last seen: {brief(seen)}"
        time.sleep(0.5)
        seen = fetch()
    return seen


def brief(seen: Any) -> Any:
    """Clocks as (rule, subject, party or occurrence, state, cancel reason) in a failure."""
    if isinstance(seen, list) and all(isinstance(d, dict) and "rule" in d for d in seen):
        return [
            (d["rule"], d["subject"], d["party"] or d["occurrence"], d["state"], d["cancel_reason"])
            for d in seen
        ]
    return seen


def clocks_seen_by(walk: Walk, headers: dict[str, str]) -> list[dict[str, Any]]:
    """The case's clocks among those notify shows this caller (`GET /v1/deadlines`)."""
    answer = httpx.get(f"{walk.notify.url}/v1/deadlines?limit=1000", headers=headers, timeout=15)
    assert answer.status_code == 200, answer.text
    return [d for d in answer.json() if d["subject_id"] in walk.subjects()]


def clocks(walk: Walk) -> list[dict[str, Any]]:
    return clocks_seen_by(walk, as_supervisor(walk))


def one(found: list[dict[str, Any]], rule: str, **match: Any) -> dict[str, Any]:
    """The single clock of `rule` (and `match`) among `found`."""
    hits = [d for d in found if d["rule"] == rule and all(d[k] == v for k, v in match.items())]
    assert len(hits) == 1, f"{rule} {match}: {hits}"
    return hits[0]


def has(found: list[dict[str, Any]], rule: str, **match: Any) -> bool:
    return any(d["rule"] == rule and all(d[k] == v for k, v in match.items()) for d in found)


def until_clocks(walk: Walk, ok: Callable[[list[dict[str, Any]]], bool], what: str) -> list:
    return wait_for(lambda: clocks(walk), ok, what)


def ids(found: list[dict[str, Any]]) -> set[str]:
    return {d["deadline_id"] for d in found}


def case_view(walk: Walk) -> dict[str, Any]:
    return created(httpx.get(walk.case_url, headers=as_supervisor(walk), timeout=15), 200)


def until_case(walk: Walk, ok: Callable[[dict[str, Any]], bool], what: str) -> dict[str, Any]:
    return wait_for(lambda: case_view(walk), ok, what)


def span(clock: dict[str, Any]) -> timedelta:
    return datetime.fromisoformat(clock["due_at"]) - datetime.fromisoformat(clock["started_at"])


def met_on_time(clock: dict[str, Any]) -> bool:
    met, due = clock["met_at"], datetime.fromisoformat(clock["due_at"])
    return clock["state"] == "met" and met is not None and datetime.fromisoformat(met) <= due


# --- the report (SZ-5.2, SZ-6.2.1, I-7) -----------------------------------------------------


def girl_of_12_report(received_at: datetime) -> dict[str, Any]:
    """An emergency about a girl of 12 (born 12 years and a month ago), trigger 4 of SZ-5.2.2
    (multiple injuries, suspected domestic violence); her ID number has a correct GB 11643
    check digit and an even gender digit (I-7). Synthetic."""
    today = china_today()
    born = today.replace(year=today.year - 12) - timedelta(days=30)  # 12 on any day near now
    resident_id = fake_resident_id(born, Gender.FEMALE, "440304")
    assert resident_id[17] == check_digit(resident_id[:17]) and int(resident_id[16]) % 2 == 0
    return report_body(
        received_at,
        child={"name": "合成女童", "gender": "female", "birth_date": born.isoformat()}
        | {"resident_id": resident_id, "address": "合成：晴川路8号和光花园3栋201室"},
        description="合成：儿童身上可见多处伤痕，疑似遭受家庭暴力。",
        triggers=[4],
        emergency=True,
    )


def boy_of_9_report(received_at: datetime) -> dict[str, Any]:
    """A report without a trigger and no emergency: a boy of 9 whose guardian is overwhelmed
    (I-1 hotline). Synthetic."""
    today = china_today()
    born = today.replace(year=today.year - 9) - timedelta(days=40)
    return report_body(
        received_at,
        child={"name": "合成男童", "gender": "male", "birth_date": born.isoformat()}
        | {"resident_id": fake_resident_id(born, Gender.MALE, "360102"), "address": None},
        description="合成：报告人反映儿童近期情绪低落，监护人教养方式简单粗暴。",
        triggers=[],
        emergency=False,
    )


def report_body(received_at: datetime, **what: Any) -> dict[str, Any]:
    rng = random.Random(uuid4().hex)
    return {
        "source": "hotline",
        "received_at": received_at.isoformat(),
        "reporter": {
            "name": fake_name(rng),
            "organisation": "合成：社区儿童主任",
            "contact": fake_phone(rng),
        },
        "child": what["child"],
        "what_happened": {
            "occurred_at": (received_at - timedelta(hours=2)).isoformat(),
            "place": "家中",
            "description": what["description"],
        },
        "triggers": what["triggers"],
        "emergency": what["emergency"],
    }


def receive(walk: Walk, body: dict[str, Any]) -> dict[str, Any]:
    """I-1: the worker on the hotline takes the report; intake files what SZ-5.2 asks."""
    walk.report = created(
        post(f"{walk.intake.url}/v1/reports", body, as_worker(walk, walk.receiver))
    )
    assert walk.report["received_by"] == walk.receiver
    return walk.report


def acknowledge(walk: Walk, recipient: str) -> list[dict[str, Any]]:
    """SZ-5.2.1: a recipient of the mandatory report acknowledged it."""
    body = {
        "recipient": recipient,
        "acknowledged_by": f"合成：{recipient} 值班人员",
        "acknowledged_at": now().isoformat(),
        "reference": f"SYN-{recipient}-{uuid4().hex[:6]}",
    }
    url = f"{walk.intake.url}/v1/reports/{walk.report['report_id']}/acknowledgements"
    answer = post(url, body, as_worker(walk, walk.receiver))
    assert answer.status_code == 201, answer.text
    return list(answer.json())


# --- the case (I-2, I-5, MZ-6.2.2, SZ-6.2.1, SZ-6.2.2) ---------------------------------------


def open_case_with_team(walk: Walk) -> dict[str, Any]:
    """A supervisor opens the case on the report (SZ-6.2.1); the registered supervisor sets
    the team: two qualified, cleared workers, a woman among them (MZ-6.2.2, SZ-7.1.5)."""
    body = {"report_ids": [walk.report["report_id"]]}
    walk.case = created(post(f"{walk.intake.url}/v1/cases", body, as_supervisor(walk)))
    assert walk.case["status"] == "open" and walk.case["child_id"] == walk.report["child_id"]
    team = httpx.put(
        walk.case_url + "/team", json={"worker_ids": walk.team}, headers=as_supervisor(walk)
    )
    walk.case = created(team, 200)
    assert sorted(walk.case["team"]) == sorted(walk.team) and walk.case["status"] == "open"
    received = datetime.fromisoformat(walk.report["received_at"])
    due = datetime.fromisoformat(walk.case["statement_due_at"])
    assert due - received == timedelta(hours=72)  # SZ-6.2.1 (I-2), as notify counts it
    if walk.report["emergency"]:
        due = datetime.fromisoformat(walk.case["visit_due_at"])
        assert due - received == timedelta(hours=24)  # SZ-6.2.1, SZ-5.8.2 (I-3)
    else:
        assert walk.case["visit_due_at"] is None
    wait_for_case(walk.assessment_db, walk.case["case_id"])
    wait_for_team(walk.assessment_db, walk.case["case_id"], 2)
    return walk.case


def visit(walk: Walk, worker_ids: list[str], by: str) -> httpx.Response:
    body = {
        "visited_at": (now() - timedelta(minutes=1)).isoformat(),
        "worker_ids": worker_ids,
        "guardian_present": True,
        "guardian_informed": False,
        "place": "合成：儿童家中",
        "notes": "合成：儿童情绪稳定，手臂淤青已拍照记录",
    }
    return post(walk.case_url + "/visits", body, as_worker(walk, by))


def investigate_and_state(walk: Walk, age: str) -> dict[str, Any]:
    """SZ-6.2.2 (I-4): the investigation, by the two who investigated (MZ-6.2.2); then the
    initial case statement (SZ-6.2.1, I-2)."""
    worker = as_worker(walk, walk.woman["worker_id"])
    body = {
        "investigated_at": now().isoformat(),
        "investigator_ids": walk.team,
        "findings": FINDINGS,
    }
    assert post(walk.case_url + "/investigations", body, worker).status_code == 201
    statement = {
        "basic_info": f"合成儿童，{age}",
        "situation": "合成：疑似遭受家庭暴力" if "12" in age else "合成：监护人教养方式不当",
        "needs": "合成：安全保障、心理支持",
        "next_steps": "合成：每周家访，联系学校",
    }
    stated = post(
        walk.case_url + "/initial-statement",
        {"stated_at": now().isoformat(), "statement": statement},
        worker,
    )
    return created(stated)


def grade(walk: Walk, inputs: dict[str, Any], child_gender: str) -> dict[str, Any]:
    """SZ-6.3, Appendix B, rule set SZ-2023-B: the team grades the child's safety at
    assessment; the grade's required actions become tasks (SZ-6.4, R-SZ-B-10)."""
    body = {
        "assessors": [walk.woman, walk.man],
        "child_gender": child_gender,
        "inputs": inputs,
        "notes": "合成：两名社工共同评估",
    }
    url = f"{walk.assessment.url}/v1/cases/{walk.case['case_id']}/safety-assessments"
    graded = created(post(url, body, as_worker(walk, walk.woman["worker_id"])))
    tasks = httpx.get(
        f"{walk.assessment.url}/v1/cases/{walk.case['case_id']}/tasks",
        headers=as_supervisor(walk),
        timeout=15,
    ).json()["tasks"]
    walk.task_ids |= {t["task_id"] for t in tasks}
    return {**graded, "tasks": tasks}


def move(walk: Walk, to: str) -> httpx.Response:
    """A supervisor moves the case along SZ-6.1's ladder (`POST /v1/cases/{id}/status`)."""
    return post(walk.case_url + "/status", {"to": to}, as_supervisor(walk))


def record_closing_work(walk: Walk) -> dict[str, Any]:
    """SZ-6.5: the summary of effect, the closing record and the ending told in advance with
    a way back; MZ-6.4.2: the service summary report; SZ-6.6: a follow-up scheduled."""
    who, at = as_worker(walk, walk.woman["worker_id"]), now().isoformat()
    for step in ("effect_summary", "closing_record"):
        body = {"step": step, "done_at": at, "text": SYNTHETIC}
        created(post(walk.case_url + "/closing-steps", body, who))
    notice = {
        "told": ["合成儿童", "合成监护人"],
        "told_at": at,
        "ends_on": (china_today() + timedelta(days=1)).isoformat(),
        "contact": "合成：机构热线",
    }
    created(post(walk.case_url + "/ending-notice", notice, who))
    parts = ("goals_achieved", "plan_implementation", "effect_evaluation", "reflection")
    report = {**dict.fromkeys(parts, "合成"), "opinions_heard": "合成：委托方与儿童意见"}
    created(post(walk.case_url + "/service-report", {"reported_at": at, "report": report}, who))
    plan = {"planned_on": (china_today() + timedelta(days=30)).isoformat(), "method": "home_visit"}
    return created(post(walk.case_url + "/follow-up-plans", plan, who))


def follow_up(walk: Walk) -> dict[str, Any]:
    """SZ-6.6: a follow-up after closure took place (1-2 within 6 months)."""
    body = {"followed_up_at": now().isoformat(), "method": "phone", "notes": SYNTHETIC}
    return created(
        post(walk.case_url + "/follow-ups", body, as_worker(walk, walk.man["worker_id"]))
    )


def assess_full_closure(walk: Walk) -> dict[str, Any]:
    """SZ-6.6: full closure only after an assessment finds its conditions met."""
    body = {"assessed_at": now().isoformat(), "conditions_met": True, "notes": SYNTHETIC}
    url = walk.case_url + "/full-closure-assessments"
    return created(post(url, body, as_worker(walk, walk.woman["worker_id"])))


# --- steps of the clocks ---------------------------------------------------------------------


def clocks_name(walk: Walk, found: list[dict[str, Any]], *workers: str) -> None:
    """Each clock names these workers, and each of them sees it in notify (a worker sees the
    clocks naming them, ARCHITECTURE record-level rules)."""
    for worker in workers:
        assert all(worker in d["workers"] for d in found), (worker, found)
        seen = ids(clocks_seen_by(walk, as_worker(walk, worker)))
        assert ids(found) <= seen, (worker, ids(found) - seen)


def team_and_supervisor_named(walk: Walk, found: list[dict[str, Any]]) -> None:
    """MZ-6.2.2 (issue 14 item 11): the clocks name the case team (beside whom their start
    event names) and, for escalation, the supervisor who assigned the team."""
    clocks_name(walk, found, *walk.team)
    assert all(walk.supervisor in d["supervisors"] for d in found), found
    stranger = clocks_seen_by(walk, as_worker(walk, f"w-stranger-{uuid4().hex[:6]}"))
    assert stranger == []  # a worker of the organisation off the case sees none of them


def ended_at_closure(walk: Walk, before: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """SZ-6.6 (issue 14 item 2): closing the case cancels every clock of it still running,
    with the status change (or the task's own cancellation by the closure) as the reason;
    what was met stays met, nothing is missed."""
    running = [d for d in before if d["state"] in ("open", "overdue")]
    assert running, "the walk left no clock running at closure: nothing would be checked"
    reasons = {
        "intake.case.status_changed: follow_up -> closed",
        "assessment.task.cancelled: case_closed",
    }

    def all_ended(found: list[dict[str, Any]]) -> bool:
        return bool(found) and all(d["state"] in ENDED for d in found)

    after = until_clocks(walk, all_ended, "the closed case's clocks never all ended")
    by_id = {d["deadline_id"]: d for d in after}
    for clock in running:
        ended = by_id[clock["deadline_id"]]
        assert ended["state"] == "cancelled", ended
        assert ended["cancel_reason"] in reasons and ended["cancelled_at"], ended
        assert ended["met_at"] is None and ended["missed_at"] is None, ended
    for clock in before:
        if clock["state"] == "met":
            assert by_id[clock["deadline_id"]]["state"] == "met"
    assert not [d for d in after if d["state"] in ("overdue", "missed")]
    return after


# --- walk 1: an emergency, a girl of 12 ---------------------------------------------------


def emergency_report_is_filed_to_its_recipients(walk: Walk) -> None:
    """SZ-5.2.1, SZ-5.2.2(4): a trigger files the mandatory report to the police, the
    responsible person of the place and civil affairs; the report to civil affairs on intake
    (SZ-6.2.1) is recorded with it; the emergency asks a first visit within 24 h (I-3)."""
    report = receive(walk, girl_of_12_report(now() - timedelta(minutes=20)))
    assert report["emergency"] and report["mandatory"] and report["triggers"] == [4]
    filed = report["mandatory_report"]
    assert {r["key"] for r in filed["recipients"]} == RECIPIENTS
    assert filed["filed_by"] == walk.receiver and filed["acknowledgements"] == []
    assert report["civil_affairs_notice"]["notified_by"] == walk.receiver


def the_report_s_clocks_name_the_worker_who_took_it(walk: Walk) -> list[dict[str, Any]]:
    """SZ-6.2.1 (I-2, I-3): first visit 24 h and investigation 72 h from the receipt; the
    civil-affairs report met by the filing; one acknowledgement clock per recipient
    (SZ-5.2.1); the weekly series after serious violence (SZ-5.8.2) on the child."""

    def started(found: list[dict[str, Any]]) -> bool:
        acks = {d["party"] for d in found if d["rule"] == ACK}
        wanted = (FIRST_VISIT, INVESTIGATION, WEEKLY)
        told = has(found, CIVIL_AFFAIRS, state="met")  # the filing's notice, right after it
        return acks == RECIPIENTS and told and all(has(found, rule) for rule in wanted)

    found = until_clocks(walk, started, "the emergency report's clocks never all started")
    received = datetime.fromisoformat(walk.report["received_at"])
    first, investigation = one(found, FIRST_VISIT), one(found, INVESTIGATION)
    assert first["state"] == investigation["state"] == "open"
    assert datetime.fromisoformat(first["started_at"]) == received
    assert span(first) == timedelta(hours=24) and first["domain_rule"] == "I-3"
    reminder = datetime.fromisoformat(first["remind_at"]) - received
    assert reminder == timedelta(hours=18)  # a quarter of the span left
    assert span(investigation) == timedelta(hours=72) and investigation["clause"] == "SZ-6.2.1"
    assert met_on_time(one(found, CIVIL_AFFAIRS))  # the filing told civil affairs (SZ-6.2.1)
    for party in RECIPIENTS:
        ack = one(found, ACK, party=party)
        assert ack["state"] == "open" and ack["clause"] == "SZ-5.2.1"
    weekly = one(found, WEEKLY)
    assert (weekly["state"], weekly["occurrence"], weekly["subject_id"]) == (
        "open",
        1,
        walk.report["child_id"],
    )
    assert span(weekly) == timedelta(days=7) and weekly["clause"] == "SZ-5.8.2"
    clocks_name(walk, found, walk.receiver)
    return found


def an_acknowledgement_stops_only_its_recipient_s_clock(walk: Walk, recipient: str) -> None:
    """SZ-5.2.1 (issue 14 item 6): each recipient acknowledges for itself."""
    assert recipient in {a["recipient"] for a in acknowledge(walk, recipient)}
    found = until_clocks(
        walk,
        lambda c: one(c, ACK, party=recipient)["state"] == "met",
        f"the acknowledgement by {recipient} never met its clock",
    )
    assert met_on_time(one(found, ACK, party=recipient))
    still = [d for d in found if d["rule"] == ACK and d["party"] != recipient]
    assert still and all(d["state"] in ("open", "met") for d in still)


def the_clocks_follow_the_team(walk: Walk) -> list[dict[str, Any]]:
    """MZ-6.2.2: once the team is assigned, the running clocks of the report and the child
    name it and the assigning supervisor."""

    def named(found: list[dict[str, Any]]) -> bool:
        running = [d for d in found if d["state"] == "open"]
        return bool(running) and all(
            set(walk.team) <= set(d["workers"]) and walk.supervisor in d["supervisors"]
            for d in running
        )

    found = until_clocks(walk, named, "the clocks never named the team and its supervisor")
    running = [d for d in found if d["state"] == "open"]
    team_and_supervisor_named(walk, running)
    clocks_name(walk, running, walk.receiver)  # who took the report stays named on them
    return found


def a_lone_male_first_visit_is_refused(walk: Walk) -> None:
    """MZ-6.2.2 (I-5, issue 14 item 4): a first visit to a girl, part of the investigation,
    needs two qualified workers with a woman; a man alone is refused and meets no clock."""
    alone = visit(walk, [walk.man["worker_id"]], walk.man["worker_id"])
    assert alone.status_code == 422, alone.text
    problem = alone.json()
    assert (problem["rule"], problem["domain_rule"]) == ("MZ-6.2.2", "I-5")
    codes = {v["code"] for v in problem["violations"]}
    assert codes == {"team_too_few_qualified", "team_no_female_worker"}
    view = case_view(walk)
    assert view["visits"] == 0 and view["first_visit_at"] is None and view["status"] == "open"
    assert one(clocks(walk), FIRST_VISIT)["state"] == "open"


def the_team_s_first_visit_meets_the_24_hour_clock(walk: Walk) -> list[dict[str, Any]]:
    """SZ-6.2.1, SZ-5.8.2 (I-3): the woman and the man visit within 24 h; the visit also
    meets the weekly series' first week, and the second week is set, naming the team."""
    done = created(visit(walk, walk.team, walk.woman["worker_id"]))
    assert done["visits"] == 1 and done["first_visit_at"] and done["status"] == "open"

    def met(found: list[dict[str, Any]]) -> bool:
        return one(found, FIRST_VISIT)["state"] == "met" and has(found, WEEKLY, occurrence=2)

    found = until_clocks(walk, met, "the first visit never met its clock and the first week")
    assert met_on_time(one(found, FIRST_VISIT))
    assert met_on_time(one(found, WEEKLY, occurrence=1))
    second = one(found, WEEKLY, occurrence=2)
    assert second["state"] == "open" and span(second) == timedelta(days=7)
    team_and_supervisor_named(walk, [second])
    assert one(found, INVESTIGATION)["state"] == "open"
    return found


def investigation_and_statement_meet_the_72_hour_clock(walk: Walk, age: str) -> None:
    """SZ-6.2.1 (I-2), SZ-6.2.2 (I-4): the investigation by the two who investigated and the
    initial statement within 72 h of the receipt; the case stays open until graded."""
    stated = investigate_and_state(walk, age)
    assert stated["statement_at"] and stated["investigations"] == 1
    assert stated["status"] == "open" and not stated["overdue"]
    file = httpx.get(walk.case_url + "/file", headers=as_supervisor(walk), timeout=15).json()
    assert sorted(file["visits"][0]["worker_ids"]) == sorted(walk.team)  # who went
    assert file["investigations"][0]["investigator_ids"] == sorted(walk.team)
    found = until_clocks(
        walk,
        lambda c: one(c, INVESTIGATION)["state"] == "met",
        "the initial statement never met the 72 h clock",
    )
    assert met_on_time(one(found, INVESTIGATION))


def the_grade_moves_the_case_into_service(walk: Walk, graded: dict[str, Any]) -> dict:
    """SZ-6.4.1 (issue 14 item 1): a grade with required actions moves the investigated case
    into service by itself; the case view shows the grade, the open tasks and the next
    clocks, learnt from events."""
    wanted_tasks = {t["task_id"] for t in graded["tasks"] if t["status"] == "open"}
    assert wanted_tasks, graded

    def moved(view: dict[str, Any]) -> bool:
        return (
            view["status"] == "in_service"
            and (view["safety"] or {}).get("grade") == graded["grade"]
            and {t["task_id"] for t in view["open_tasks"]} == wanted_tasks
            and any(d["subject"] == "task" for d in view["next_deadlines"])
        )

    view = until_case(walk, moved, "the grade never moved the case into service with its work")
    assert view["safety"]["rule_set"] == "SZ-2023-B"
    assert all(d["status"] == "open" for d in view["next_deadlines"])
    assert 0 < len(view["next_deadlines"]) <= 5

    def as_notify_keeps_them(both: tuple[dict[str, Any], list[dict[str, Any]]]) -> bool:
        shown, kept = both
        running = {d["deadline_id"] for d in kept if d["state"] == "open"}
        return {d["deadline_id"] for d in shown["next_deadlines"]} <= running

    wait_for(
        lambda: (case_view(walk), clocks(walk)),
        as_notify_keeps_them,
        "the case view's next deadlines are not notify's running clocks",
    )
    file = httpx.get(walk.case_url + "/file", headers=as_supervisor(walk), timeout=15).json()
    [into_service] = file["status_history"]
    assert into_service["to_status"] == "in_service" and into_service["rule"] == "SZ-6.4"
    assert into_service["cause"] == "assessment.safety.risk_graded"
    return view


def the_tasks_clocks_name_the_assessors_and_the_supervisor(walk: Walk, graded: dict) -> list:
    """SZ-6.4 (R-SZ-B-10): each task is a clock due when the task is, naming its assignees,
    the team and the supervisor."""
    open_tasks = {t["task_id"]: t for t in graded["tasks"] if t["status"] == "open"}
    found = until_clocks(
        walk,
        lambda c: {d["subject_id"] for d in c if d["rule"] == TASK} >= set(open_tasks),
        "notify never set the tasks' clocks",
    )
    task_clocks = [d for d in found if d["rule"] == TASK and d["subject_id"] in open_tasks]
    for clock in task_clocks:
        task = open_tasks[clock["subject_id"]]
        assert clock["state"] == "open" and clock["clause"] == task["clause"]
        assert datetime.fromisoformat(clock["due_at"]) == datetime.fromisoformat(task["due_at"])
    team_and_supervisor_named(walk, task_clocks)
    return found


def closing_then_follow_up(walk: Walk) -> dict[str, Any]:
    """SZ-6.5: the supervisor takes the case to closing; follow-up only once the closing work
    is recorded (422 naming SZ-6.5 before); MZ-6.4.2, SZ-6.6."""
    closing = move(walk, "closing")
    assert closing.status_code == 200 and closing.json()["status"] == "closing", closing.text
    early = move(walk, "follow_up")
    assert early.status_code == 422 and early.json()["rule"] == "SZ-6.5", early.text
    record_closing_work(walk)
    moved = move(walk, "follow_up")
    assert moved.status_code == 200 and moved.json()["status"] == "follow_up", moved.text
    return dict(moved.json())


def a_post_closure_follow_up_clock_names_the_team(walk: Walk) -> dict[str, Any]:
    """SZ-6.6 (DOMAIN §5): after closure 1-2 follow-ups within 6 months: a clock on the case
    from its move to follow-up, naming the team, escalating to the supervisor."""

    def started(found: list[dict[str, Any]]) -> bool:
        return any(
            d["subject_id"] == walk.case["case_id"] and d["clause"] == "SZ-6.6" for d in found
        )

    found = until_clocks(walk, started, "no post-closure follow-up clock (SZ-6.6) on the case")
    [clock] = [
        d for d in found if d["subject_id"] == walk.case["case_id"] and d["clause"] == "SZ-6.6"
    ]
    assert (clock["rule"], clock["state"], clock["domain_rule"]) == (
        "followup.after_closure",
        "open",
        "§5",
    )
    assert timedelta(days=181) <= span(clock) <= timedelta(days=184)  # 6 calendar months
    file = httpx.get(walk.case_url + "/file", headers=as_supervisor(walk), timeout=15).json()
    closed = file["status_history"][-1]
    assert closed["to_status"] == "follow_up"
    since = datetime.fromisoformat(clock["started_at"]) - datetime.fromisoformat(
        closed["changed_at"]
    )
    assert abs(since) < timedelta(minutes=1)  # counted from the move to follow-up
    team_and_supervisor_named(walk, [clock])
    return clock


def the_move_to_follow_up_ends_the_weekly_series(walk: Walk) -> None:
    """SZ-5.8.2, SZ-6.6: the weekly visits after serious violence run while the case is served;
    its closure (the move to follow-up) ends the series as cancelled, naming that move, and
    the post-closure follow-ups take over."""
    found = until_clocks(
        walk,
        lambda c: all(d["state"] in ("met", "cancelled") for d in c if d["rule"] == WEEKLY),
        "the move to follow-up left the weekly series running",
    )
    ended = [d for d in found if d["rule"] == WEEKLY and d["state"] == "cancelled"]
    assert ended, "the series had no running week to end"
    reason = "intake.case.status_changed: closing -> follow_up"
    assert all(d["cancel_reason"] == reason for d in ended), ended


def the_follow_up_meets_its_clock(walk: Walk, clock: dict[str, Any]) -> None:
    """SZ-6.6: the follow-up done meets the post-closure clock; the case stays in follow-up."""
    assert follow_up(walk)["status"] == "follow_up"
    found = until_clocks(
        walk,
        lambda c: any(d["deadline_id"] == clock["deadline_id"] and d["state"] == "met" for d in c),
        "the follow-up never met the post-closure clock",
    )
    assert met_on_time(next(d for d in found if d["deadline_id"] == clock["deadline_id"]))


def full_closure_closes_the_case(walk: Walk) -> None:
    """SZ-6.6: closed only after a follow-up and an assessment finding full closure's
    conditions met (422 naming SZ-6.6 before)."""
    early = move(walk, "closed")
    assert early.status_code == 422 and early.json()["rule"] == "SZ-6.6", early.text
    assert assess_full_closure(walk)["status"] == "follow_up"
    closed = move(walk, "closed")
    assert closed.status_code == 200 and closed.json()["status"] == "closed", closed.text


def the_closed_case_shows_no_work_left(walk: Walk) -> None:
    """SZ-6.6: the closed case's view has no open task and no running clock left."""
    until_case(
        walk,
        lambda v: v["status"] == "closed" and not v["open_tasks"] and not v["next_deadlines"],
        "the closed case still shows open tasks or clocks",
    )
    file = httpx.get(walk.case_url + "/file", headers=as_supervisor(walk), timeout=15).json()
    assert [e["to_status"] for e in file["status_history"]] == [
        "in_service",
        "closing",
        "follow_up",
        "closed",
    ]


def assessment_takes_no_more_work_on_the_closed_case(walk: Walk, child_gender: str) -> None:
    """SZ-6.6 (issue 14 item 3, R-CASE-03): assessment learns the closure from intake's
    events and refuses work on the closed case (409 naming the status)."""
    body = {
        "assessors": [walk.woman, walk.man],
        "child_gender": child_gender,
        "inputs": {},
    }
    query = "SELECT count(*) FROM case_status WHERE case_id = $1 AND status = 'closed'"
    what = "assessment never learnt that the case was closed"
    wait_for_count(walk.assessment_db, query, (walk.case["case_id"],), 1, WAIT, what)
    url = f"{walk.assessment.url}/v1/cases/{walk.case['case_id']}/safety-assessments"
    refused = post(url, body, as_worker(walk, walk.woman["worker_id"]))
    assert refused.status_code == 409, refused.text
    assert refused.json()["rule"] == "SZ-6.6" and refused.json()["state"] == "closed"


def test_walk_1_an_emergency_girl_of_12_from_report_to_closure_sz_6_2_1_sz_5_2_mz_6_2_2_sz_6_6(
    trio,
):
    """SZ-6.2.1, SZ-5.8.2, SZ-5.2, MZ-6.2.2, SZ-6.4, SZ-6.5, SZ-6.6 (issue 14, Quality)."""
    walk = new_walk(trio)
    emergency_report_is_filed_to_its_recipients(walk)
    the_report_s_clocks_name_the_worker_who_took_it(walk)
    an_acknowledgement_stops_only_its_recipient_s_clock(walk, "police")

    open_case_with_team(walk)
    named = the_clocks_follow_the_team(walk)
    running = {d["rule"] for d in named if d["state"] == "open"}
    assert running == {FIRST_VISIT, INVESTIGATION, WEEKLY, ACK}
    for recipient in ("place_responsible", "civil_affairs"):
        an_acknowledgement_stops_only_its_recipient_s_clock(walk, recipient)
    assert all(met_on_time(d) for d in clocks(walk) if d["rule"] == ACK)

    a_lone_male_first_visit_is_refused(walk)
    the_team_s_first_visit_meets_the_24_hour_clock(walk)
    investigation_and_statement_meet_the_72_hour_clock(walk, "12岁女孩")

    inputs = {"b2": {"physical_or_sexual_abuse": "C"}, "b3": {"cooperation": "B"}}
    graded = grade(walk, inputs, "female")  # SZ-B.2: rated C, no further event: C (高危)
    assert graded["grade"] == "C" and graded["tasks"]
    assert {t["clause"] for t in graded["tasks"]} == {"SZ-6.4.3"}
    assessed = datetime.fromisoformat(graded["assessed_at"])
    assert {datetime.fromisoformat(t["due_at"]) - assessed for t in graded["tasks"]} == {
        timedelta(hours=72)  # SZ-6.4.3 gives no time: 72 h at C (R-SZ-B-10)
    }
    the_grade_moves_the_case_into_service(walk, graded)
    the_tasks_clocks_name_the_assessors_and_the_supervisor(walk, graded)

    closing_then_follow_up(walk)
    clock = a_post_closure_follow_up_clock_names_the_team(walk)
    the_move_to_follow_up_ends_the_weekly_series(walk)
    the_follow_up_meets_its_clock(walk, clock)
    before = clocks(walk)
    full_closure_closes_the_case(walk)
    after = ended_at_closure(walk, before)
    weekly = [d for d in after if d["rule"] == WEEKLY]
    assert {d["state"] for d in weekly} == {"met", "cancelled"}  # the series ended
    assert not any(d["state"] == "missed" for d in after)
    the_closed_case_shows_no_work_left(walk)
    assessment_takes_no_more_work_on_the_closed_case(walk, "female")


# --- walk 2: low risk, the family-education path -----------------------------------------


def a_report_without_emergency_starts_the_72_hour_and_civil_affairs_clocks(walk: Walk) -> None:
    """SZ-6.2.1 (I-2, issue 14 item 7): every intake is reported to civil affairs and
    investigated within 72 h; no emergency, no trigger: no first-visit clock, no mandatory
    report, no weekly series (SZ-5.8.2 starts it for serious violence only)."""
    report = receive(walk, boy_of_9_report(now() - timedelta(minutes=20)))
    assert not report["emergency"] and not report["mandatory"]
    assert report["mandatory_report"] is None and report["civil_affairs_notice"] is None
    found = until_clocks(
        walk,
        lambda c: has(c, INVESTIGATION) and has(c, CIVIL_AFFAIRS),
        "the report's 72 h and civil-affairs clocks never started",
    )
    assert {d["rule"] for d in found} == {INVESTIGATION, CIVIL_AFFAIRS}
    assert one(found, CIVIL_AFFAIRS)["state"] == "open"
    assert span(one(found, INVESTIGATION)) == timedelta(hours=72)
    clocks_name(walk, found, walk.receiver)


def the_civil_affairs_notice_stops_its_clock(walk: Walk) -> None:
    """SZ-6.2.1 (I-2): the worker records telling the supervising civil-affairs department."""
    url = f"{walk.intake.url}/v1/reports/{walk.report['report_id']}/civil-affairs-notice"
    body = {"notified_at": now().isoformat(), "reference": "合成民政-002"}
    notice = created(post(url, body, as_worker(walk, walk.receiver)))["civil_affairs_notice"]
    assert notice["notified_by"] == walk.receiver
    found = until_clocks(
        walk,
        lambda c: one(c, CIVIL_AFFAIRS)["state"] == "met",
        "the civil-affairs notice never met its clock",
    )
    assert met_on_time(one(found, CIVIL_AFFAIRS)) and one(found, INVESTIGATION)["state"] == "open"


def grade_a_sets_the_family_education_task_due_in_a_month(walk: Walk) -> dict[str, Any]:
    """DOMAIN §4 A (SZ-6.4.4): grade A requires criticism and supervision, supportive
    services, compulsory family education and follow-up visits; an action §6.4 gives no time
    for is due one month after the assessment at A (R-SZ-B-10)."""
    graded = grade(walk, {"b3": {"parenting_skills": "C"}}, "male")  # all B.2 none: A
    assert graded["grade"] == "A" and graded["result"]["recommendations"]
    codes = {t["code"] for t in graded["tasks"]}
    assert "compulsory_family_education" in codes
    assert {t["clause"] for t in graded["tasks"]} == {"SZ-6.4.4"}
    [task] = [t for t in graded["tasks"] if t["code"] == "compulsory_family_education"]
    assessed = datetime.fromisoformat(graded["assessed_at"])
    assert timedelta(days=28) <= datetime.fromisoformat(task["due_at"]) - assessed
    assert datetime.fromisoformat(task["due_at"]) - assessed <= timedelta(days=31)
    return graded


def appendix_i_hours(walk: Walk) -> tuple[dict[str, Any], dict[str, Any]]:
    """SZ Appendix I (DOMAIN §7): 28 items scored 5 total 140, which the resolution puts in
    the 13-25 hours band (the source prints 140 in two bands)."""
    assessment = {"scores": {g: [5] * n for g, n in APPENDIX_I_GROUPS.items()}}
    url = f"{walk.assessment.url}/v1/rules/family-education-hours:evaluate"
    hours = created(post(url, assessment, as_worker(walk, walk.woman["worker_id"])), 200)
    assert (hours["total"], hours["hours_min"], hours["hours_max"]) == (140, 13, 25)
    assert not hours["needs_reassessment"]
    return assessment, hours


def the_order_completes_the_task_and_its_3_months_are_no_deadline(
    walk: Walk, graded: dict[str, Any]
) -> None:
    """SZ-6.4.4, R-SZ-B-09 (issue 14 item 13): the order issued (at least 3 months, hours in
    the Appendix I band) is what the task asked for, so it completes the task and meets its
    clock; the order's 3 months are its minimum period, not a clock."""
    assessment, hours = appendix_i_hours(walk)
    [task] = [t for t in graded["tasks"] if t["code"] == "compulsory_family_education"]
    before = until_clocks(
        walk,
        lambda c: has(c, TASK, subject_id=task["task_id"]),
        "notify never set the family-education task's clock",
    )
    assert one(before, TASK, subject_id=task["task_id"])["state"] == "open"
    order = {
        "ordered_by": "合成区公安分局",
        "starts_on": china_today().isoformat(),
        "months": 3,
        "assessment": assessment,
        "guardian": "合成监护人",
    }
    url = f"{walk.assessment.url}/v1/cases/{walk.case['case_id']}/family-education-orders"
    issued = created(post(url, order, as_worker(walk, walk.woman["worker_id"])))
    assert issued["ordered_hours"] == hours["hours_min"]
    starts, ends = date.fromisoformat(issued["starts_on"]), date.fromisoformat(issued["ends_on"])
    assert (ends.year * 12 + ends.month) - (starts.year * 12 + starts.month) == 3
    completed = httpx.get(
        f"{walk.assessment.url}/v1/cases/{walk.case['case_id']}/tasks?status=completed",
        headers=as_supervisor(walk),
        timeout=15,
    ).json()["tasks"]
    assert [t["task_id"] for t in completed] == [task["task_id"]]
    found = until_clocks(
        walk,
        lambda c: one(c, TASK, subject_id=task["task_id"])["state"] == "met",
        "issuing the order never met the family-education task's clock",
    )
    assert met_on_time(one(found, TASK, subject_id=task["task_id"]))
    order_end = {d for d in found if d["due_at"][:10] == ends.isoformat()}
    assert not order_end, order_end  # no clock falls due when the 3 months run out
    view = until_case(
        walk,
        lambda v: task["task_id"] not in {t["task_id"] for t in v["open_tasks"]},
        "the case view still shows the family-education task open",
    )
    assert view["status"] == "in_service" and view["open_tasks"]


def test_walk_2_a_low_risk_case_through_family_education_to_closure_sz_6_4_4_appendix_i(trio):
    """DOMAIN §4 A, §7, SZ-6.4.4, SZ Appendix I, R-SZ-B-09, SZ-6.5, SZ-6.6 (issue 14, Quality)."""
    walk = new_walk(trio)
    a_report_without_emergency_starts_the_72_hour_and_civil_affairs_clocks(walk)
    the_civil_affairs_notice_stops_its_clock(walk)

    open_case_with_team(walk)
    found = the_clocks_follow_the_team(walk)
    assert {d["rule"] for d in found if d["state"] == "open"} == {INVESTIGATION}
    done = created(visit(walk, walk.team, walk.man["worker_id"]))  # SZ-6.2.1: the home visit
    assert done["visits"] == 1 and done["status"] == "open"
    investigation_and_statement_meet_the_72_hour_clock(walk, "9岁男孩")

    graded = grade_a_sets_the_family_education_task_due_in_a_month(walk)
    the_grade_moves_the_case_into_service(walk, graded)
    the_tasks_clocks_name_the_assessors_and_the_supervisor(walk, graded)
    the_order_completes_the_task_and_its_3_months_are_no_deadline(walk, graded)

    closing_then_follow_up(walk)
    clock = a_post_closure_follow_up_clock_names_the_team(walk)
    the_follow_up_meets_its_clock(walk, clock)
    before = clocks(walk)
    full_closure_closes_the_case(walk)
    after = ended_at_closure(walk, before)
    assert not has(after, WEEKLY) and not has(after, FIRST_VISIT)
    the_closed_case_shows_no_work_left(walk)
    assessment_takes_no_more_work_on_the_closed_case(walk, "male")


# --- the dates of the closing work (SZ-6.5, SZ-6.6; issue 14 item 5) -------------------------


def dated_closing_work_refused(walk: Walk, when: datetime) -> list[str]:
    """Each piece of closing work dated `when`, before the case's report: what was accepted."""
    who, at = as_worker(walk, walk.woman["worker_id"]), when.isoformat()
    tries = {
        "closing-steps": {"step": "effect_summary", "done_at": at, "text": SYNTHETIC},
        "ending-notice": {
            "told": ["合成监护人"],
            "told_at": at,
            "ends_on": (local_date(when) + timedelta(days=1)).isoformat(),
            "contact": "合成：机构热线",
        },
        "service-report": {
            "reported_at": at,
            "report": dict.fromkeys(
                (
                    "goals_achieved",
                    "plan_implementation",
                    "effect_evaluation",
                    "reflection",
                    "opinions_heard",
                ),
                "合成",
            ),
        },
    }
    accepted = []
    for path, body in tries.items():
        answer = post(f"{walk.case_url}/{path}", body, who)
        if answer.status_code != 422 or answer.json()["rule"] not in ("SZ-6.5", "MZ-6.4.2"):
            accepted.append(f"{path} dated {at}, before the report: {answer.status_code}")
    return accepted


def test_closing_work_and_follow_ups_are_dated_after_what_they_follow_sz_6_5_sz_6_6(trio):
    """SZ-6.5, MZ-6.4.2, SZ-6.6 (issue 14 item 5: times before the report are refused): the
    closing work of a case is not dated before its report, and a follow-up after closure
    (SZ-6.6) not before the case was closed and moved to follow-up."""
    walk = new_walk(trio)
    receive(walk, boy_of_9_report(now() - timedelta(minutes=20)))
    open_case_with_team(walk)
    created(visit(walk, walk.team, walk.man["worker_id"]))
    investigate_and_state(walk, "9岁男孩")
    assert move(walk, "in_service").status_code == 200  # SZ-6.4: team, visit, statement
    assert move(walk, "closing").status_code == 200  # SZ-6.5

    received = datetime.fromisoformat(walk.report["received_at"])
    wrong = dated_closing_work_refused(walk, received - timedelta(days=2))
    record_closing_work(walk)
    moved = move(walk, "follow_up")
    assert moved.status_code == 200, moved.text
    file = httpx.get(walk.case_url + "/file", headers=as_supervisor(walk), timeout=15).json()
    closed_at = datetime.fromisoformat(file["status_history"][-1]["changed_at"])
    before_closure = received + (closed_at - received) / 2  # after the report, before closing
    body = {"followed_up_at": before_closure.isoformat(), "method": "phone", "notes": SYNTHETIC}
    early = post(walk.case_url + "/follow-ups", body, as_worker(walk, walk.man["worker_id"]))
    if early.status_code != 422 or early.json()["rule"] != "SZ-6.6":
        wrong.append(
            f"follow-up after closure dated {before_closure.isoformat()}, before the case went "
            f"to follow_up at {closed_at.isoformat()}: {early.status_code}"
        )
    assert not wrong, "; ".join(wrong)
