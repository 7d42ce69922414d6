"""Synthetic children, guardians, staff and reports for tests and demos.

EVERY VALUE IN THIS MODULE IS GENERATED. No name, ID number, address, school, phone number,
organisation or event describes a real person or a real case. Names are random combinations of
common surname and given-name characters; streets, estates, schools and organisations are made
up; region codes are public administrative division codes chosen only so that ID numbers look
plausible. Because generated ID numbers carry a correct GB 11643 check digit and phone numbers
have the usual shape, one may coincide with a real person's by chance: never send anything to
them, and never use this data outside tests and demos.

Every function takes a `random.Random` (or derives one from its arguments), so the same seed
gives the same data: `rng = random.Random(7); child = fake_child(rng)`.
"""

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from intake.domain import Gender
from intake.domain.assignment import StaffMember, one_year_before
from intake.domain.identity import age_on, check_digit

DEFAULT_ON = date(2025, 6, 1)
CHINA_TIME = timezone(timedelta(hours=8), "CST")

REGION_CODES: dict[str, str] = {
    "440304": "广东省深圳市福田区",
    "440305": "广东省深圳市南山区",
    "440307": "广东省深圳市龙岗区",
    "360102": "江西省南昌市东湖区",
    "360111": "江西省南昌市青山湖区",
    "640104": "宁夏回族自治区银川市兴庆区",
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN_NAME_CHARS = "子涵浩宇欣怡梓轩雨晨思佳一诺俊杰若汐明辰安然嘉乐"
STREETS = ("晴川路", "青禾路", "星汉街", "云杉路", "知行街", "锦屏路", "松涛路", "白鹭街")
ESTATES = ("和光花园", "望溪苑", "南岭新村", "桂香小区", "清泉家园")
SCHOOL_NAMES = ("晴川", "青禾", "知行", "星汉", "松涛")
ORGANISATIONS = ("青禾儿童社会工作服务中心", "晴川社工服务社", "知行家庭综合服务中心")
GUARDIAN_RELATIONS = ("父亲", "母亲", "祖父", "祖母", "外祖父", "外祖母", "姑姑", "舅舅")
_FATHERS_SIDE = ("父亲", "祖父", "祖母", "姑姑")
_MALE_RELATIONS = ("父亲", "祖父", "外祖父", "舅舅")
REPORTER_ROLES = ("教师", "邻居", "社区儿童主任", "医生", "村（居）委会工作人员", "亲属")
PLACES = ("家中", "学校附近", "小区楼道", "社区公园", "村口小卖部", "街边店铺")
TRIGGER_PHRASES: dict[int, str] = {
    1: "儿童隐私部位疑似有非正常损伤，需进一步核实。",
    2: "儿童疑似遭受性侵害，需进一步核实。",
    3: "儿童疑似因遭受性侵害导致怀孕，需进一步核实。",
    4: "儿童身上可见多处伤痕，疑似遭受家庭暴力。",
    5: "儿童因非正常原因受伤致残，需进一步了解。",
    6: "儿童长期无人照料，经常独自在家。",
    7: "儿童来源不明，周边无人认识其家人。",
    8: "发现儿童在街头被组织乞讨。",
    9: "儿童正面临不法侵害危险。",
}
NO_TRIGGER_PHRASE = "报告人反映儿童近期情绪低落，希望社工上门了解情况。"


@dataclass(frozen=True)
class FakeChild:
    name: str
    gender: Gender
    birth_date: date
    resident_id: str
    region_code: str
    address: str
    school: str | None


@dataclass(frozen=True)
class FakeGuardian:
    name: str
    relation: str
    gender: Gender
    phone: str
    address: str


@dataclass(frozen=True)
class FakeReporter:
    name: str
    role: str
    phone: str


@dataclass(frozen=True)
class FakeReport:
    reporter: FakeReporter
    child: FakeChild
    occurred_at: datetime
    received_at: datetime
    place: str
    description: str
    triggers: frozenset[int]
    emergency: bool


def fake_resident_id(
    birth_date: date,
    gender: Gender,
    region_code: str | None = None,
    rng: random.Random | None = None,
) -> str:
    """An 18-character ID number with a correct check digit; seeded by its arguments if no rng."""
    rng = rng or random.Random(f"{birth_date}|{gender}|{region_code}")
    region = region_code or rng.choice(sorted(REGION_CODES))
    parity = "13579" if gender == Gender.MALE else "02468"
    first17 = f"{region}{birth_date:%Y%m%d}{rng.randrange(100):02d}{rng.choice(parity)}"
    return first17 + check_digit(first17)


def fake_name(rng: random.Random) -> str:
    """A surname and one or two given-name characters."""
    given = "".join(rng.choice(GIVEN_NAME_CHARS) for _ in range(rng.choice((1, 2, 2))))
    return rng.choice(SURNAMES) + given


def fake_birth_date(rng: random.Random, age: int, on: date = DEFAULT_ON) -> date:
    """A birth date of someone exactly `age` years old on `on`."""
    latest = _years_before(on, age)
    earliest = _years_before(on, age + 1) + timedelta(days=1)
    return earliest + timedelta(days=rng.randrange((latest - earliest).days + 1))


def fake_address(rng: random.Random, region_code: str) -> str:
    street, estate = rng.choice(STREETS), rng.choice(ESTATES)
    number, building, room = rng.randint(1, 300), rng.randint(1, 20), rng.randint(101, 2804)
    return f"{REGION_CODES[region_code]}{street}{number}号{estate}{building}栋{room}室"


def fake_school(rng: random.Random, age: int, region_code: str) -> str | None:
    """A made-up school that fits the age; none under 3."""
    level = _school_level(age)
    if level is None:
        return None
    district = REGION_CODES[region_code].rsplit("市", 1)[-1]
    return f"{district}{rng.choice(SCHOOL_NAMES)}{level}"


def fake_child(
    rng: random.Random,
    age_range: tuple[int, int] = (3, 17),
    on: date = DEFAULT_ON,
    gender: Gender | None = None,
) -> FakeChild:
    """A child whose age on `on` lies in `age_range` (both ends included)."""
    age = rng.randint(*age_range)
    gender = gender or rng.choice((Gender.MALE, Gender.FEMALE))
    birth_date = fake_birth_date(rng, age, on)
    region = rng.choice(sorted(REGION_CODES))
    return FakeChild(
        name=fake_name(rng),
        gender=gender,
        birth_date=birth_date,
        resident_id=fake_resident_id(birth_date, gender, region, rng),
        region_code=region,
        address=fake_address(rng, region),
        school=fake_school(rng, age, region),
    )


def fake_phone(rng: random.Random) -> str:
    """Shaped like a mobile number; may exist by chance, so never dial or text it."""
    return f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"


def fake_guardian(rng: random.Random, child: FakeChild | None = None) -> FakeGuardian:
    """A guardian living with `child`; relatives on the father's side share the surname."""
    child = child or fake_child(rng)
    relation = rng.choice(GUARDIAN_RELATIONS)
    name = fake_name(rng)
    if relation in _FATHERS_SIDE:
        name = child.name[0] + name[1:]
    gender = Gender.MALE if relation in _MALE_RELATIONS else Gender.FEMALE
    return FakeGuardian(name, relation, gender, fake_phone(rng), child.address)


def fake_staff_member(
    rng: random.Random,
    *,
    on: date = DEFAULT_ON,
    gender: Gender | None = None,
    qualified: bool = True,
    years_in_child_services: float | None = None,
    background_check_clean: bool | None = True,
    suspended: bool = False,
    supervisor_registered: bool | None = None,
) -> StaffMember:
    """A staff member whose yearly background check (MZ-7.1.3) is current on `on`."""
    checked = one_year_before(on) + timedelta(days=rng.randint(1, 365))
    years = rng.randint(0, 12) if years_in_child_services is None else years_in_child_services
    return StaffMember(
        id=f"staff-{rng.getrandbits(32):08x}",
        organisation=rng.choice(ORGANISATIONS),
        gender=gender or rng.choice((Gender.MALE, Gender.FEMALE)),
        qualified=qualified,
        years_in_child_services=years,
        background_check_date=min(checked, on),
        background_check_clean=background_check_clean,
        suspended=suspended,
        supervisor_registered=supervisor_registered,
    )


def plausible_triggers(child: FakeChild, on: date = DEFAULT_ON) -> list[int]:
    """Trigger codes of SZ-5.2.2 that fit the child's gender and age (2 and 3 are for girls)."""
    girl, age = child.gender == Gender.FEMALE, age_on(child.birth_date, on)
    return [code for code in TRIGGER_PHRASES if _fits(code, girl, age)]


def fake_report(
    rng: random.Random,
    *,
    child: FakeChild | None = None,
    triggers: set[int] | None = None,
    emergency: bool | None = None,
    on: date = DEFAULT_ON,
) -> FakeReport:
    """A report received on `on` about harm up to three days earlier, described generically."""
    child = child or fake_child(rng, on=on)
    if triggers is None:
        triggers = set(rng.sample(plausible_triggers(child, on), rng.randint(0, 2)))
    received_at = datetime.combine(on, time(rng.randint(8, 20), rng.randrange(60)), CHINA_TIME)
    return FakeReport(
        reporter=FakeReporter(fake_name(rng), rng.choice(REPORTER_ROLES), fake_phone(rng)),
        child=child,
        occurred_at=received_at - timedelta(minutes=rng.randint(30, 72 * 60)),
        received_at=received_at,
        place=rng.choice(PLACES),
        description=_description(triggers),
        triggers=frozenset(triggers),
        emergency=rng.random() < 0.2 if emergency is None else emergency,
    )


def _description(triggers: set[int]) -> str:
    phrases = [TRIGGER_PHRASES[code] for code in sorted(triggers) if code in TRIGGER_PHRASES]
    return "".join(phrases) or NO_TRIGGER_PHRASE


def _fits(code: int, girl: bool, age: int) -> bool:
    if code == 2:
        return girl and age < 14
    if code == 3:
        return girl and age >= 14
    return True


def _school_level(age: int) -> str | None:
    if age < 3:
        return None
    if age < 6:
        return "幼儿园"
    if age < 12:
        return "小学"
    if age < 15:
        return "初级中学"
    return "高级中学"


def _years_before(day: date, years: int) -> date:
    """Same calendar day `years` earlier; 29 February maps to 28 February."""
    if (day.month, day.day) == (2, 29):
        return date(day.year - years, 2, 28)
    return day.replace(year=day.year - years)
