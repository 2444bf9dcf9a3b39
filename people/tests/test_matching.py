"""The registry's matching engine on hand-made hard cases: spelling, transliteration, dates,
twins, СНИЛС, namesakes, and the batch's blocking."""

import dataclasses
import math
from datetime import date

import pytest

from core import latin
from people.matching import (
    AUTO_MERGE_AT,
    PRIOR,
    REVIEW_AT,
    Frequencies,
    Person,
    Verdict,
    candidate_birth_dates,
    compare,
    compared_in_batch,
    find_matches,
    match_batch,
    match_probability,
    verdict,
)

KSENIA = Person(1, "Соловьёва", "Ксения", "Дмитриевна", date(2014, 3, 7), "f", 5)
SASHA = Person(1, "Иванов", "Александр", "Сергеевич", date(2016, 5, 12), "m", 1)
TWIN_ANNA = Person(1, "Иванова", "Анна", "Сергеевна", date(2016, 5, 12), "f", 1)


def copy(person: Person, **changes: object) -> Person:
    """Another record of `person` (the next id unless given), with `changes`."""
    return dataclasses.replace(person, **{"id": person.id + 1, **changes})  # type: ignore[arg-type]


def same(a: Person, b: Person) -> bool:
    return verdict(match_probability(a, b)) == Verdict.SAME


# --- keys


@pytest.mark.parametrize(
    "spelling", ["Соловьёв", "Соловьев", "СОЛОВЬЁВ", "Solovev", "Solovyov", "Solov'ev", "SOLOVJOV"]
)
def test_the_latin_key_puts_cyrillic_and_latin_spellings_of_a_surname_together(spelling):
    assert latin.key(spelling) == "solovev"


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Юлия", "Yuliya"),
        ("Юлия", "Julia"),
        ("Дмитрий", "Dmitriy"),
        ("Дмитрий", "Dmitrij"),
        ("Ксения", "Xenia"),
        ("Щукин", "Schukin"),
        ("Майоров", "Maiorov"),
        ("Наталья", "Natal'ya"),
        ("Егор", "Yegor"),
        ("Артём", "Artyom"),
        ("Петров-Водкин", "Петров Водкин"),
        ("Петров-Водкин", "ПетровВодкин"),
        ("Йошкин", "Иошкин"),
    ],
)
def test_the_latin_key_folds_transliterations_hyphens_and_diacritics(one, other):
    assert latin.key(one) == latin.key(other)


def test_the_latin_key_keeps_different_names_apart():
    assert latin.key("Анна") != latin.key("Алла")
    assert latin.key("Александр") != latin.key("Александра")


# --- candidate birth dates


def test_candidate_birth_dates_are_the_date_the_swap_and_the_neighbours():
    assert candidate_birth_dates(date(2015, 3, 4)) == {
        date(2015, 3, 4),
        date(2015, 4, 3),
        date(2015, 3, 3),
        date(2015, 3, 5),
    }


def test_candidate_birth_dates_without_a_possible_swap():
    assert candidate_birth_dates(date(2015, 3, 25)) == {date(2015, 3, 24), date(2015, 3, 25), date(2015, 3, 26)}
    assert candidate_birth_dates(date(2015, 5, 5)) == {date(2015, 5, 4), date(2015, 5, 5), date(2015, 5, 6)}
    assert candidate_birth_dates(date(2016, 2, 29)) == {date(2016, 2, 28), date(2016, 2, 29), date(2016, 3, 1)}
    assert candidate_birth_dates(date(2015, 12, 31)) == {date(2015, 12, 30), date(2015, 12, 31), date(2016, 1, 1)}


# --- one child, two records


@pytest.mark.parametrize(
    "changes",
    [
        {"last_name": "Соловьева"},  # ё → е
        {"last_name": "СОЛОВЬЁВА", "first_name": "КСЕНИЯ", "patronymic": "дмитриевна"},  # case
        {"last_name": "Solovyova", "first_name": "Kseniya", "patronymic": "Dmitriyevna"},  # Latin record
        {"last_name": "Solov'eva", "first_name": "Xenia", "patronymic": "Dmitrievna"},
        {"patronymic": ""},  # patronymic missing
        {"birth_date": date(2014, 7, 3)},  # day and month swapped
        {"birth_date": date(2014, 3, 8)},  # a day off
        {"birth_date": date(2014, 3, 6)},
        {"last_name": "Совловьёва"},  # surname typo
        {"last_name": "Соловёва"},
        {"first_name": "Ксенил"},  # first-name typo
        {"first_name": "Ксюша"},  # diminutive
        {"last_name": "Соловьёв"},  # masculine ending on a girl
        {"municipality_id": 6},  # registered in the next town
        {"last_name": "СОЛОВЬЕВА", "birth_date": date(2014, 7, 3)},  # several at once
        {"last_name": "Solovyova", "first_name": "Ksenija", "birth_date": date(2014, 7, 3)},
    ],
)
def test_records_of_one_child_with_entry_errors_are_merged(changes):
    other = copy(KSENIA, **changes)
    probability = match_probability(KSENIA, other)
    assert probability >= AUTO_MERGE_AT, probability
    assert verdict(probability) == Verdict.SAME


def test_an_exact_copy_is_near_certain():
    assert match_probability(KSENIA, copy(KSENIA)) > 0.999


def test_errors_lower_the_probability_in_order_of_their_weight():
    exact = match_probability(KSENIA, copy(KSENIA))
    swapped = match_probability(KSENIA, copy(KSENIA, birth_date=date(2014, 7, 3)))
    day_off = match_probability(KSENIA, copy(KSENIA, birth_date=date(2014, 3, 8)))
    two_days_off = match_probability(KSENIA, copy(KSENIA, birth_date=date(2014, 3, 9)))
    assert exact > swapped > day_off >= AUTO_MERGE_AT
    assert two_days_off < REVIEW_AT


@pytest.mark.parametrize("surname", ["Петрова Водкина", "ПетроваВодкина", "петрова-водкина", "Петрова"])
def test_double_surnames_meet_their_spellings_and_their_first_part(surname):
    anna = Person(1, "Петрова-Водкина", "Анна", "Игоревна", date(2012, 11, 30), "f", 3)
    assert same(anna, copy(anna, last_name=surname))


def test_three_weighty_errors_leave_the_pair_to_an_operator():
    other = copy(KSENIA, last_name="Solovyova", first_name="Ksenija", patronymic="", birth_date=date(2014, 7, 3))
    assert verdict(match_probability(KSENIA, other)) == Verdict.REVIEW


def test_a_missing_patronymic_and_another_town_are_too_little_for_common_names():
    # A million-record region holds many a Соловьёва Ксения: with two clues gone, strangers win.
    other = copy(KSENIA, patronymic="", municipality_id=6)
    assert match_probability(KSENIA, other) < REVIEW_AT


def test_first_name_typo_resolved_to_the_other_name():
    assert same(SASHA, copy(SASHA, first_name="Алексанр"))
    assert same(SASHA, copy(SASHA, first_name="Алекснадр"))


# --- twins: two children, never merged


@pytest.mark.parametrize(
    ("first_name", "sibling"),
    [
        ("Анна", "Мария"),
        ("Анна", "Алла"),  # one letter apart, both real names
        ("Милана", "Милена"),
        ("Даниил", "Данила"),
        ("Александр", "Алексей"),
        ("Ян", "Яна"),
    ],
)
def test_twins_are_never_merged(first_name, sibling):
    def kuznetsov(ident: int, name: str) -> Person:
        girl = name[-1] in "ая"
        surname, patronymic = ("Кузнецова", "Олеговна") if girl else ("Кузнецов", "Олегович")
        return Person(ident, surname, name, patronymic, date(2017, 8, 9), "f" if girl else "m", 2)

    probability = match_probability(kuznetsov(1, first_name), kuznetsov(2, sibling))
    assert probability < REVIEW_AT, probability
    assert verdict(probability) == Verdict.DIFFERENT


def test_boy_and_girl_twins_are_different_children():
    sister = copy(SASHA, first_name="Александра", sex="f", last_name="Иванова", patronymic="Сергеевна")
    assert match_probability(SASHA, sister) < 0.01


def test_diminutive_meets_its_own_name_but_not_the_twins():
    assert same(SASHA, copy(SASHA, first_name="Саша"))
    alexey = copy(SASHA, first_name="Алексей")
    assert match_probability(alexey, copy(alexey, first_name="Саша")) < REVIEW_AT


def test_a_typo_of_one_twins_name_is_not_merged_with_the_other_twin():
    alexey = copy(SASHA, first_name="Алексей")
    probability = match_probability(alexey, copy(SASHA, id=9, first_name="Алексанр"))
    assert probability < AUTO_MERGE_AT


def test_twins_with_their_own_snils_are_far_apart():
    one = copy(TWIN_ANNA, id=1, snils_digest="a" * 64)
    other = copy(TWIN_ANNA, first_name="Алла", snils_digest="b" * 64)
    assert match_probability(one, other) < 0.001


# --- СНИЛС


def test_equal_snils_outweighs_a_changed_surname_and_date():
    one = copy(SASHA, id=1, snils_digest="a" * 64)
    other = copy(SASHA, last_name="Петров", birth_date=date(2016, 6, 12), snils_digest="a" * 64)
    assert same(one, other)


def test_different_snils_on_identical_names_goes_to_an_operator():
    one = copy(SASHA, id=1, snils_digest="a" * 64)
    other = copy(SASHA, snils_digest="b" * 64)
    assert verdict(match_probability(one, other)) == Verdict.REVIEW


def test_equal_snils_on_twins_names_goes_to_an_operator():
    one = copy(SASHA, id=1, snils_digest="a" * 64)
    other = copy(SASHA, first_name="Алексей", snils_digest="a" * 64)
    assert verdict(match_probability(one, other)) == Verdict.REVIEW


def test_one_missing_snils_says_nothing():
    assert match_probability(copy(SASHA, id=1, snils_digest="a" * 64), copy(SASHA)) == pytest.approx(
        match_probability(SASHA, copy(SASHA))
    )


# --- namesakes: different children with common names, same day, same town


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (SASHA, copy(SASHA, patronymic="Андреевич")),
        (
            Person(1, "Смирнова", "Мария", "Ивановна", date(2015, 1, 1), "f", 1),
            Person(2, "Кузнецова", "Мария", "Ивановна", date(2015, 1, 1), "f", 1),
        ),
        (
            Person(1, "Смирнова", "Мария", "Ивановна", date(2015, 1, 1), "f", 1),
            Person(2, "Смирнова", "Дарья", "Ивановна", date(2015, 1, 1), "f", 1),
        ),
        (  # nothing but their СНИЛС tells them apart
            Person(1, "Попов", "Максим", "Андреевич", date(2015, 1, 1), "m", 1, "c" * 64),
            Person(2, "Попов", "Максим", "Андреевич", date(2015, 1, 1), "m", 1, "d" * 64),
        ),
    ],
)
def test_namesakes_born_the_same_day_in_the_same_town_are_not_merged(one, other):
    assert verdict(match_probability(one, other)) != Verdict.SAME


def test_agreeing_on_a_rare_surname_weighs_more_than_on_a_common_one():
    one = Person(1, "Смирнова", "Мария", "", date(2015, 1, 1), "f", 1)
    rare = Person(3, "Добровольская", "Мария", "", date(2015, 1, 1), "f", 1)
    counts = Frequencies(
        records=1_000_000,
        surnames={"smirnov": 10_000, "dobrovolski": 20},
        first_names={"maria": 30_000},
        patronymics={},
        municipalities={1: 250_000, 2: 5_000},
    )
    common = match_probability(one, copy(one, municipality_id=2), frequencies=counts)
    uncommon = match_probability(rare, copy(rare, municipality_id=2), frequencies=counts)
    assert common < REVIEW_AT < AUTO_MERGE_AT <= uncommon


# --- the comparison explained to the operator


def outcomes(a: Person, b: Person) -> dict[str, tuple[str, str]]:
    return {f.key: (f.outcome, f.leaning) for f in compare(a, b).fields}


def test_the_comparison_names_each_fields_outcome_and_adds_up_to_the_probability():
    typed = copy(KSENIA, last_name="Соловьёв", first_name="Ксюша", patronymic="", birth_date=date(2014, 7, 3))
    typed = copy(typed, municipality_id=6, snils_digest="a" * 64)
    assert outcomes(KSENIA, typed) == {
        "last_name": ("мужская и женская форма", "for"),
        "first_name": ("варианты одного имени", "for"),
        "patronymic": ("не указано хотя бы в одной записи", "neutral"),
        "birth_date": ("день и месяц переставлены", "for"),
        "sex": ("совпадает", "neutral"),  # the first name already said it
        "municipality": ("разные", "against"),
        "snils": ("не указано хотя бы в одной записи", "neutral"),
    }
    comparison = compare(KSENIA, typed)
    assert comparison.probability == match_probability(KSENIA, typed)
    # Uncapped, the weights and the prior are the engine's log-odds: the page tells what it counted.
    log_odds = PRIOR + sum(f.weight for f in comparison.fields)
    assert 1 / (1 + math.exp(-log_odds)) == pytest.approx(comparison.probability)


def test_the_comparison_says_when_the_names_are_a_twins_and_the_snils_differ():
    said = outcomes(TWIN_ANNA, copy(TWIN_ANNA, first_name="Мария", snils_digest="b" * 64))
    assert said["first_name"] == ("разные имена — так бывает у близнецов", "against")
    assert said["snils"] == ("не указано хотя бы в одной записи", "neutral")
    said = outcomes(copy(SASHA, snils_digest="c" * 64), copy(SASHA, snils_digest="d" * 64, first_name="Алесандр"))
    assert said["first_name"] == ("опечатка", "for") and said["snils"] == ("разные", "against")
    assert said["last_name"] == said["birth_date"] == ("совпадает", "for")


# --- batches


def children() -> list[Person]:
    return [
        KSENIA,
        copy(KSENIA, id=2, last_name="Solovyova", first_name="Kseniya", patronymic=""),
        copy(KSENIA, id=3, birth_date=date(2014, 7, 3)),
        Person(4, "Орлов", "Егор", "Павлович", date(2011, 1, 20), "m", 7),
        Person(5, "Орлов", "Егор", "Павлович", date(2011, 1, 21), "m", 7),
        copy(TWIN_ANNA, id=6),
        copy(TWIN_ANNA, id=7, first_name="Алла"),
        Person(8, "Белов", "Глеб", "Ильич", date(2009, 10, 2), "m", 4),
    ]


def test_find_matches_returns_each_pair_once_ordered_by_id():
    pairs = find_matches(children())
    # 2 and 3 (Latin without patronymic; swapped date) are too far apart, but each meets 1.
    assert [(low, high) for low, high, _ in pairs] == [(1, 2), (1, 3), (4, 5)]
    assert all(p >= AUTO_MERGE_AT for _, _, p in pairs)


def test_find_matches_is_the_same_in_two_processes():
    assert find_matches(children(), workers=2) == find_matches(children())


def test_find_matches_meets_a_swapped_date_only_through_its_unordered_date_block():
    one = Person(1, "Воробьёва", "Злата", "Романовна", date(2013, 4, 9), "f", 12)
    swapped = Person(2, "Воробьёва", "Злата", "Романовна", date(2013, 9, 4), "f", 12)
    other_month = Person(3, "Воробьёва", "Злата", "Романовна", date(2013, 9, 14), "f", 12)
    assert compared_in_batch(one, swapped)
    assert not compared_in_batch(one, other_month)
    result = match_batch([one, swapped, other_month])
    assert result.candidates == 1
    assert [(low, high) for low, high, _ in result.pairs] == [(1, 2)]


def test_find_matches_meets_a_date_one_day_off_across_the_new_year():
    one = Person(1, "Морозова", "Снежана", "Ильинична", date(2014, 12, 31), "f", 2)
    next_day = Person(2, "Морозова", "Снежана", "Ильинична", date(2015, 1, 1), "f", 2)
    two_days = Person(3, "Морозова", "Снежана", "Ильинична", date(2015, 1, 2), "f", 2)
    assert compared_in_batch(one, next_day)
    assert not compared_in_batch(one, two_days)
    for workers in (1, 2):
        result = match_batch([two_days, next_day, one], workers=workers)
        assert [(low, high) for low, high, _ in result.pairs] == [(1, 2), (2, 3)]
        assert result.candidates == 2


def test_find_matches_meets_a_surname_typo_in_its_first_letters_through_the_first_name():
    one = Person(1, "Кузнецов", "Тимофей", "Андреевич", date(2012, 6, 15), "m", 3)
    typo = Person(2, "Кузентсов", "Тимофей", "Андреевич", date(2012, 6, 15), "m", 3)
    assert compared_in_batch(one, typo)
    assert [(low, high) for low, high, _ in find_matches([one, typo])] == [(1, 2)]


def test_no_chain_of_merges_joins_twins():
    alisa = Person(1, "Зайцева", "Алиса", "Петровна", date(2018, 2, 2), "f", 9)
    raisa = copy(alisa, first_name="Раиса")  # her twin
    typo = copy(alisa, id=3, first_name="Аиса")  # as near to Алиса as to Раиса
    pairs = find_matches([alisa, raisa, typo])
    assert not [pair for pair in pairs if pair[2] >= AUTO_MERGE_AT]
    assert {(low, high) for low, high, _ in pairs} == {(1, 3), (2, 3)}  # both left to an operator


def test_a_name_frequent_in_the_batch_is_a_name_and_keeps_twins_apart():
    ratmir = Person(1, "Галиев", "Ратмир", "Айдарович", date(2015, 9, 9), "m", 8)
    radmir = copy(ratmir, first_name="Радмир")  # not in the dictionary: a typo of Ратмир, alone
    others = [
        Person(10 + i, f"Хасанов{'а' * i}", "Радмир", "Ильдарович", date(2010 + i, 1, 1 + i), "m", 8) for i in range(6)
    ]
    twins = {(1, 2)}
    assert not twins & {(low, high) for low, high, p in find_matches([ratmir, radmir, *others]) if p >= REVIEW_AT}
