"""PRC resident ID numbers (居民身份证号码, GB 11643) for children: rule I-7.

Layout of the 18 characters: 6-digit region code, 8-digit birth date (YYYYMMDD), 3-digit
sequence code whose last digit is odd for men and even for women, and a check character
computed with ISO 7064 MOD 11-2 (`0`-`9` or `X`).
"""

import unicodedata
from datetime import date

from pydantic import BaseModel, ConfigDict

from intake.domain import Gender, Violation

RULE = "I-7"
ID_LENGTH = 18
LEGACY_ID_LENGTH = 15
ADULT_AGE = 18
GENDER_WARNING = "id_gender_mismatch"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"  # index = weighted sum mod 11


class IdCheck(BaseModel):
    """Outcome of checking one ID number; `ok` is true only when there is no violation."""

    model_config = ConfigDict(frozen=True)

    ok: bool
    normalised: str
    birth_date: date | None = None
    gender: Gender | None = None
    violations: list[Violation] = []


def check_digit(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits of an ID number."""
    if len(first17) != ID_LENGTH - 1 or not first17.isascii() or not first17.isdigit():
        raise ValueError("check_digit needs exactly 17 ASCII digits")
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def normalise_id(number: str) -> str:
    """Full-width characters to ASCII, surrounding blanks removed, `x` upper-cased."""
    return unicodedata.normalize("NFKC", number).strip().upper()


def age_on(birth_date: date, on: date) -> int:
    """Completed years on `on`; someone born on 29 February turns a year older on 1 March."""
    before_birthday = (on.month, on.day) < (birth_date.month, birth_date.day)
    return on.year - birth_date.year - int(before_birthday)


def validate_resident_id(number: str, stated_birth_date: date | None, on: date) -> IdCheck:
    """Check a child's ID number (GB 11643) and its birth date against the stated one and `on`
    (born by then). Whether the holder is a child is `minor_violations`, the one age rule for
    a birth date read from the number or stated without one."""
    normalised = normalise_id(number)
    shape = _shape_violations(normalised)
    if shape:
        return IdCheck(ok=False, normalised=normalised, violations=shape)
    violations = _check_digit_violations(normalised)
    birth_date = _embedded_birth_date(normalised)
    if birth_date is None:
        violations.append(_violation("id_birth_date_invalid", "digits 7-14 are not a real date"))
    else:
        violations += _birth_date_violations(birth_date, stated_birth_date, on)
    return IdCheck(
        ok=not violations,
        normalised=normalised,
        birth_date=birth_date,
        gender=_gender(normalised),
        violations=violations,
    )


def minor_violations(birth_date: date, harm_on: date, received_on: date) -> list[Violation]:
    """I-7, one rule with or without an ID number: born by the day the report came in, and under
    18 on the day of the harm (`harm_on`; the day of the report when the harm's is unknown).

    **Resolution**: being under 18 when the harm happened is what makes it a child-protection
    matter (DOMAIN §1: a child is <18; SZ-5.2.1 concerns harm to minors), so harm suffered at 17
    and reported after the 18th birthday is received; harm at 18 or later is not a child's.
    """
    if birth_date > received_on:
        return [_violation("birth_date_in_future", "the birth date is after the report's day")]
    if age_on(birth_date, harm_on) >= ADULT_AGE:
        message = "18 or older on the day of the harm; a child is under 18"
        return [_violation("not_a_minor", message)]
    return []


def gender_mismatch(check: IdCheck, stated: Gender) -> Violation | None:
    """The 17th digit of the number (odd male, even female) against the stated gender: a
    warning the worker confirms (a typing error in either, or a recorded change), never a
    silent pass. The message names no gender, so the problem body may show it."""
    if check.gender is None or check.gender == stated:
        return None
    message = "the ID number's gender digit (17th) does not match the stated gender: confirm"
    return Violation(code=GENDER_WARNING, rule=RULE, message=message, field="child.gender")


def _violation(code: str, message: str) -> Violation:
    """An I-7 violation; `sensitive`, as its message may repeat the birth dates sent, so a
    problem body shows only its code and clause."""
    return Violation(code=code, rule=RULE, message=message, sensitive=True)


def _shape_violations(normalised: str) -> list[Violation]:
    if len(normalised) != ID_LENGTH:
        message = f"{len(normalised)} characters, not 18"
        if len(normalised) == LEGACY_ID_LENGTH:
            message += " (a 15-digit first-generation number must be converted)"
        return [_violation("id_length", message)]
    body, last = normalised[:-1], normalised[-1]
    if not (body.isascii() and body.isdigit()) or last not in "0123456789X":
        return [_violation("id_format", "17 digits and a check character (digit or X) expected")]
    return []


def _check_digit_violations(normalised: str) -> list[Violation]:
    expected = check_digit(normalised[:-1])
    if normalised[-1] == expected:
        return []
    return [_violation("id_check_digit", "check character does not match ISO 7064 MOD 11-2")]


def _embedded_birth_date(normalised: str) -> date | None:
    digits = normalised[6:14]
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def _birth_date_violations(
    birth_date: date, stated_birth_date: date | None, on: date
) -> list[Violation]:
    if birth_date > on:
        return [_violation("id_birth_date_in_future", f"birth date {birth_date} is after {on}")]
    violations = []
    if stated_birth_date is not None and stated_birth_date != birth_date:
        message = f"ID says {birth_date}, stated birth date is {stated_birth_date}"
        violations.append(_violation("id_birth_date_mismatch", message))
    return violations


def _gender(normalised: str) -> Gender:
    return Gender.MALE if int(normalised[16]) % 2 else Gender.FEMALE
