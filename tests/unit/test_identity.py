"""Rule I-7: PRC resident ID numbers (GB 11643) of children."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.domain import Gender
from intake.domain.identity import check_digit, minor_violations, validate_resident_id
from tests.synthetic import DEFAULT_ON, REGION_CODES, fake_resident_id

ON = DEFAULT_ON
MINOR_BIRTH_DATES = st.dates(min_value=date(2007, 6, 2), max_value=ON)
GENDERS = st.sampled_from(list(Gender))
REGIONS = st.sampled_from(sorted(REGION_CODES))
# A published example of GB 11643's check digit (region 110105, born 1949-12-31).
KNOWN_GOOD = "11010519491231002X"


def codes(check) -> list[str]:
    return [v.code for v in check.violations]


def test_check_digit_of_a_known_number_is_x() -> None:
    assert check_digit(KNOWN_GOOD[:17]) == "X"


def test_check_digit_refuses_anything_but_17_digits() -> None:
    with pytest.raises(ValueError):
        check_digit("1234")


@given(birth_date=MINOR_BIRTH_DATES, gender=GENDERS, region=REGIONS)
def test_synthetic_numbers_of_children_pass_i7(birth_date: date, gender: Gender, region: str):
    number = fake_resident_id(birth_date, gender, region)

    check = validate_resident_id(number, birth_date, ON)

    assert check.ok, check.violations
    assert (check.birth_date, check.gender, check.normalised) == (birth_date, gender, number)


@given(birth_date=MINOR_BIRTH_DATES, gender=GENDERS)
def test_every_single_digit_change_in_the_first_17_breaks_the_check_digit(
    birth_date: date, gender: Gender
):
    number = fake_resident_id(birth_date, gender)
    for position in range(17):
        for digit in "0123456789":
            if digit == number[position]:
                continue
            changed = number[:position] + digit + number[position + 1 :]
            assert "id_check_digit" in codes(validate_resident_id(changed, None, ON))


def test_lowercase_x_is_accepted_and_normalised_to_upper_case() -> None:
    check = validate_resident_id(KNOWN_GOOD.lower(), None, date(1960, 1, 1))

    assert check.ok and check.normalised == KNOWN_GOOD


def test_full_width_digits_and_surrounding_blanks_are_normalised() -> None:
    number = fake_resident_id(date(2015, 3, 4), Gender.FEMALE, "440304")
    full_width = " " + number.translate(str.maketrans("0123456789", "０１２３４５６７８９")) + "　"

    assert validate_resident_id(full_width, None, ON).normalised == number


@pytest.mark.parametrize("number", ["", "1234567890", "11010519491231002X1", "110105491231002"])
def test_a_number_that_is_not_18_characters_long_is_refused(number: str) -> None:
    check = validate_resident_id(number, None, ON)

    assert not check.ok and codes(check) == ["id_length"]
    assert check.violations[0].rule == "I-7"


@pytest.mark.parametrize(
    "number", ["1101051949123100Y2", "11010519491231002Y", "X10105194912310020"]
)
def test_a_number_with_a_letter_other_than_a_final_x_is_refused(number: str) -> None:
    assert codes(validate_resident_id(number, None, ON)) == ["id_format"]


def test_february_30_inside_the_number_is_refused() -> None:
    first17 = "44030420150230001"

    check = validate_resident_id(first17 + check_digit(first17), None, ON)

    assert codes(check) == ["id_birth_date_invalid"] and check.birth_date is None


def test_a_birth_date_in_the_future_is_refused() -> None:
    number = fake_resident_id(ON + timedelta(days=1), Gender.MALE)

    assert codes(validate_resident_id(number, None, ON)) == ["id_birth_date_in_future"]


def test_a_stated_birth_date_that_disagrees_with_the_number_is_refused() -> None:
    number = fake_resident_id(date(2014, 5, 6), Gender.MALE)

    check = validate_resident_id(number, date(2014, 6, 5), ON)

    assert codes(check) == ["id_birth_date_mismatch"] and check.birth_date == date(2014, 5, 6)


def test_on_the_18th_birthday_the_holder_is_no_longer_a_minor() -> None:
    born = date(2007, 6, 1)
    assert validate_resident_id(fake_resident_id(born, Gender.FEMALE), None, date(2025, 6, 1)).ok
    adult = minor_violations(born, date(2025, 6, 1), date(2025, 6, 1))
    assert [(v.code, v.rule) for v in adult] == [("not_a_minor", "I-7")]


def test_the_day_before_the_18th_birthday_the_holder_is_a_minor() -> None:
    assert minor_violations(date(2007, 6, 1), date(2025, 5, 31), date(2025, 6, 1)) == []


def test_someone_born_on_29_february_turns_18_on_1_march() -> None:
    born = date(2008, 2, 29)
    assert minor_violations(born, date(2026, 2, 28), date(2026, 3, 1)) == []
    assert minor_violations(born, date(2026, 3, 1), date(2026, 3, 1))


@pytest.mark.parametrize(("gender", "expected"), [(Gender.MALE, "male"), (Gender.FEMALE, "female")])
def test_gender_is_read_from_the_parity_of_the_17th_digit(gender: Gender, expected: str) -> None:
    number = fake_resident_id(date(2012, 8, 9), gender)

    assert validate_resident_id(number, None, ON).gender == expected
    assert int(number[16]) % 2 == (gender == Gender.MALE)
