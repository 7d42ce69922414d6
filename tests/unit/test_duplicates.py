"""Duplicate hints in the child registry (one archive per child, JX-9.1); nothing is merged."""

from datetime import date

from intake.domain import Gender
from intake.domain.duplicates import ChildRecord, likely_duplicates, normalise_name
from tests.synthetic import fake_resident_id

BORN = date(2016, 4, 12)
ADDRESS = "广东省深圳市福田区晴川路18号和光花园3栋502室"


def record(record_id: str, **fields: object) -> ChildRecord:
    values: dict[str, object] = {"name": "陈思雨", "birth_date": BORN, "address": ADDRESS}
    return ChildRecord.model_validate({"id": record_id, **values, **fields})


def test_same_name_birth_date_and_similar_address_is_a_likely_duplicate() -> None:
    existing = record("c-1", address="广东省深圳市福田区晴川路18号和光花园3栋 502")

    [match] = likely_duplicates(record("new"), [existing])

    assert match.record_id == "c-1" and match.kind == "name_birth_address"
    assert 0.5 <= match.score < 1 and match.rule == "JX-9.1"
    assert "same birth date" in match.reasons


def test_a_different_birth_date_is_not_a_duplicate() -> None:
    existing = record("c-1", birth_date=date(2016, 4, 13))

    assert likely_duplicates(record("new"), [existing]) == []


def test_a_different_address_is_not_a_duplicate() -> None:
    existing = record("c-1", address="江西省南昌市东湖区松涛路7号")

    assert likely_duplicates(record("new"), [existing]) == []


def test_a_shared_address_prefix_down_to_the_estate_is_enough() -> None:
    existing = record("c-1", address="广东省深圳市福田区晴川路18号和光花园（近地铁站）12栋1101室")

    assert [m.record_id for m in likely_duplicates(record("new"), [existing])] == ["c-1"]


def test_the_same_district_alone_is_not_a_similar_address() -> None:
    ours = "宁夏回族自治区银川市兴庆区晴川路18号和光花园3栋502室"
    theirs = "宁夏回族自治区银川市兴庆区松涛路7号南岭新村1栋101室"

    assert likely_duplicates(record("new", address=ours), [record("c-1", address=theirs)]) == []


def test_a_full_width_name_with_spaces_is_normalised_before_comparing() -> None:
    existing = record("c-1", name="陈　思 雨")

    assert [m.record_id for m in likely_duplicates(record("new"), [existing])] == ["c-1"]


def test_name_normalisation_folds_width_blanks_and_name_dots() -> None:
    assert normalise_name(" 阿依古丽・买买提 ") == normalise_name("阿依古丽·买买提")
    assert normalise_name("ＡＮＮＡ　Ｌｉ") == "annali"


def test_the_same_id_number_is_an_exact_match_whatever_the_other_fields() -> None:
    number = fake_resident_id(BORN, Gender.FEMALE, "440304")
    existing = record("c-1", name="陈思宇", resident_id=number.lower())

    [match] = likely_duplicates(record("new", resident_id=number), [existing])

    assert (match.kind, match.score) == ("resident_id", 1.0)


def test_two_different_id_numbers_are_different_children_even_with_the_same_name() -> None:
    ours = fake_resident_id(BORN, Gender.FEMALE, "440304")
    theirs = fake_resident_id(BORN, Gender.FEMALE, "440305")

    assert (
        likely_duplicates(record("new", resident_id=ours), [record("c-1", resident_id=theirs)])
        == []
    )


def test_a_child_with_an_id_is_compared_by_name_with_one_without() -> None:
    number = fake_resident_id(BORN, Gender.FEMALE, "440304")

    matches = likely_duplicates(record("new"), [record("c-1", resident_id=number)])

    assert [m.kind for m in matches] == ["name_birth_address"]


def test_a_missing_address_gives_a_weak_match_to_check_by_hand() -> None:
    [match] = likely_duplicates(record("new", address=None), [record("c-1")])

    assert match.score < 0.5 and "compare by hand" in match.reasons[-1]


def test_the_candidate_itself_is_skipped_and_the_best_match_comes_first() -> None:
    near = record("c-2", address="广东省深圳市福田区晴川路18号和光花园3栋")
    exact = record("c-1")

    matches = likely_duplicates(record("new"), [record("new"), near, exact])

    assert [m.record_id for m in matches] == ["c-1", "c-2"]


def test_reasons_never_repeat_the_personal_data_compared() -> None:
    [match] = likely_duplicates(record("new"), [record("c-1")])

    assert not any("陈思雨" in reason or "晴川路" in reason for reason in match.reasons)
