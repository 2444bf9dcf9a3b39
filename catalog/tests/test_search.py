"""Search quality on a small hand-made catalog: Russian morphology, typos, filters, facets, order."""

from decimal import Decimal

import pymorphy3
import pytest
from django.conf import settings
from django.db import connection
from django.db.models import F
from django.urls import reverse

from catalog import postings, search, services, text
from catalog.demo_texts import TOPICS
from catalog.models import (
    Direction,
    Group,
    ModerationStatus,
    OrganizationUnit,
    OvzCategory,
    Program,
    StudyForm,
    UnitKind,
)
from catalog.search import SearchParams, search_programs
from core.testing import load_dictionaries, make_group, make_program

CATALOG = [
    # title, direction, age range, extra fields
    ("Робототехника", Direction.TECHNICAL, (7, 12), {"popularity": 50}),
    ("Лего-конструирование", Direction.TECHNICAL, (5, 8), {}),
    (
        "Программирование на Python",
        Direction.TECHNICAL,
        (11, 17),
        {"is_free": False, "is_paid": True, "price_per_month": Decimal(3000)},
    ),
    ("3D-моделирование и прототипирование", Direction.TECHNICAL, (10, 17), {"is_free": False, "by_certificate": True}),
    ("Хореография: современный танец", Direction.ARTS, (6, 16), {}),
    ("Вокальная студия «Звонкие голоса»", Direction.ARTS, (7, 15), {}),
    ("Театральная студия", Direction.ARTS, (8, 17), {"study_form": StudyForm.MIXED}),
    ("Шахматы для начинающих", Direction.SPORT, (6, 12), {"level_initial": True, "level_basic": False}),
    ("Футбол", Direction.SPORT, (7, 14), {}),
    ("Юные экологи", Direction.NATURAL_SCIENCE, (9, 14), {"ovz_adapted": True}),
    ("Занимательная химия", Direction.NATURAL_SCIENCE, (12, 16), {"uses_distance_learning": True}),
    ("Краеведение: история родного края", Direction.TOURISM, (10, 17), {}),
    ("Английский язык для школьников", Direction.SOCIAL, (8, 14), {"level_advanced": True}),
]


@pytest.fixture
def catalog(personas):
    programs = {}
    for title, direction, (age_from, age_to), extra in CATALOG:
        fields = dict(extra)
        popularity = fields.pop("popularity", 0)
        program = make_program(
            personas.org_b if direction == Direction.SPORT else personas.org_a,
            title,
            direction=direction,
            age_from=age_from,
            age_to=age_to,
            summary=f"Занятия «{title}» в объединении дополнительного образования.",
            with_group=False,
            status="draft",
            **fields,
        )
        make_group(program, weekdays=(5,) if title == "Футбол" else (0, 2))
        services.change_program_status(None, program, "submit")
        services.change_program_status(None, program, "approve")
        Program.objects.filter(pk=program.pk).update(popularity=popularity)
        programs[title] = program
    make_program(personas.org_a, "Робототехника (черновик)", status="draft")
    make_program(personas.org_a, "Робототехника на модерации", status="moderating")
    return programs


def titles(**params):
    return [p.title for p in search_programs(SearchParams(**params)).programs]


def assert_finds(query: str, must: list[str], must_not: list[str]) -> None:
    found = titles(q=query)
    for title in must:
        assert title in found, f"«{query}» should find «{title}», found {found}"
    for title in must_not:
        assert title not in found, f"«{query}» should not find «{title}», found {found}"


# query → titles that must be found; titles that must not appear
QUERIES = [
    ("робототехника", ["Робототехника"], ["Лего-конструирование", "Робототехника (черновик)"]),
    ("робототехнике", ["Робототехника"], []),
    ("робототехникой", ["Робототехника"], []),
    ("Робототехники", ["Робототехника"], []),
    ("кружок по робототехнике для детей", ["Робототехника"], []),
    ("хореографии", ["Хореография: современный танец"], ["Футбол"]),
    ("хореографией", ["Хореография: современный танец"], []),
    ("современные танцы", ["Хореография: современный танец"], []),
    ("шахматы", ["Шахматы для начинающих"], ["Футбол"]),
    ("шахматам", ["Шахматы для начинающих"], []),
    ("шахматах", ["Шахматы для начинающих"], []),
    ("экология", ["Юные экологи"], []),
    ("химии", ["Занимательная химия"], []),
    ("программированию", ["Программирование на Python"], []),
    ("python", ["Программирование на Python"], []),
    ("3d", ["3D-моделирование и прототипирование"], []),
    ("моделированием", ["3D-моделирование и прототипирование"], []),
    ("вокал", ["Вокальная студия «Звонкие голоса»"], []),
    ("студии", ["Вокальная студия «Звонкие голоса»", "Театральная студия"], ["Футбол"]),
    ("ёлочка", [], ["Робототехника"]),
    ("краеведению", ["Краеведение: история родного края"], []),
    ("английскому языку", ["Английский язык для школьников"], []),
    ("футболу", ["Футбол"], ["Шахматы для начинающих"]),
]


@pytest.mark.parametrize(("query", "must", "must_not"), QUERIES)
def test_russian_queries_find_what_they_must_and_nothing_they_must_not(catalog, query, must, must_not):
    assert_finds(query, must, must_not)


@pytest.mark.parametrize(
    ("typo", "expected"),
    [
        ("работотехника", "Робототехника"),
        ("хареография", "Хореография: современный танец"),
        ("шахмоты", "Шахматы для начинающих"),
        ("фудбол", "Футбол"),
        # Two letters swapped near the start of a short word: trigrams alone miss it.
        ("фтубол", "Футбол"),
        ("хиимя", "Занимательная химия"),
    ],
)
def test_a_typo_still_finds_the_program_and_says_what_was_searched(catalog, typo, expected):
    result = search_programs(SearchParams(q=typo))
    assert expected in [p.title for p in result.programs]
    assert result.corrected_query and typo not in result.corrected_query


def publish_all(personas, programs: list[tuple[str, str, str]], weekday: int) -> None:
    """Published programs of organization A (title, direction, summary), a group each."""
    for title, direction, summary in programs:
        program = make_program(
            personas.org_a, title, direction=direction, summary=summary, with_group=False, status="draft"
        )
        make_group(program, weekdays=(weekday,))
        services.change_program_status(None, program, "submit")
        services.change_program_status(None, program, "approve")


@pytest.fixture
def wider_catalog(catalog, personas):
    """The catalog and programs whose words are easily confused with short queries' words."""
    more = [
        ("Лёгкая атлетика", Direction.SPORT, "Изучаем технику бега, которая пригодится в любом спорте."),
        ("ИЗО-студия «Палитра»", Direction.ARTS, "Рисунок, живопись и композиция."),
        ("Кукольный театр «Кот в сапогах»", Direction.ARTS, "Ставим сказки с куклами."),
        ("Конструирование на Arduino", Direction.TECHNICAL, "Собираем умные устройства."),
        ("Программирование в Scratch", Direction.TECHNICAL, "Первые игры и анимации."),
        ("Танцы народов мира", Direction.ARTS, "Народные танцы разных стран."),
        ("Игры на Unity", Direction.TECHNICAL, "Создаём трёхмерные игры."),
    ]
    publish_all(personas, more, weekday=1)
    return catalog


@pytest.mark.parametrize(
    ("query", "must", "must_not"),
    [
        # A short word is a whole word, not the beginning of longer ones.
        ("лего", ["Лего-конструирование"], ["Лёгкая атлетика"]),
        ("кот", ["Кукольный театр «Кот в сапогах»"], ["Лёгкая атлетика"]),
        ("изо", ["ИЗО-студия «Палитра»"], ["Лёгкая атлетика"]),
        ("лёгкая", ["Лёгкая атлетика"], ["Лего-конструирование"]),
        # …unless the catalog has no such word: then it is a word being typed.
        ("роб", ["Робототехника"], []),
        # A longer word still finds derived words.
        ("танцы", ["Танцы народов мира"], ["Футбол"]),
        # A vowel that comes and goes: «танец» — «танцы», «футбол» typed as «футбл».
        ("танец", ["Танцы народов мира", "Хореография: современный танец"], []),
        ("танцы", ["Хореография: современный танец"], []),
        # Names in Latin letters, typed in Cyrillic, and the other way round, inflected too.
        ("ардуино", ["Конструирование на Arduino"], ["Робототехника"]),
        ("скретче", ["Программирование в Scratch"], []),
        ("питон", ["Программирование на Python"], []),
        ("lego", ["Лего-конструирование"], []),
        # PostgreSQL gives a word in Latin letters its English stem (uniti): the query's word too.
        ("unity", ["Игры на Unity"], ["Робототехника"]),
        ("юнити", ["Игры на Unity"], []),
    ],
)
def test_short_words_and_other_spellings(wider_catalog, query, must, must_not):
    assert_finds(query, must, must_not)


def test_a_typo_is_corrected_to_the_word_fewest_edits_away(wider_catalog):
    result = search_programs(SearchParams(q="тансы"))
    assert result.corrected_query == "танцы"
    assert "Танцы народов мира" in [p.title for p in result.programs]


def test_a_short_unknown_word_is_not_corrected_into_a_different_word(wider_catalog):
    # «ёлка» is two edits from «дела», «лего» and «лёгкая»: not a typo of any of them.
    result = search_programs(SearchParams(q="ёлка"))
    assert result.corrected_query is None and result.suggestion is None
    assert result.total == 0


@pytest.fixture(scope="module")
def morphology():
    return pymorphy3.MorphAnalyzer()


def word_forms(morph, word: str) -> set[str]:
    """Every form a family could type of a noun or an adjective: its cases and numbers (and genders),
    not superlatives («легчайший») nor archaic forms. Forms of another stem count only for the
    words the search knows them for (text.OTHER_STEM_FORMS: «людям» — «человек», «судов» — «судну»)."""
    parsed = morph.parse(word)[0]
    if parsed.tag.POS not in {"NOUN", "ADJF"}:
        return set()
    other_stems = {one for pair in text.OTHER_STEM_FORMS for one in pair}
    return {
        form.word
        for form in parsed.lexeme
        if form.tag.POS == parsed.tag.POS
        and not {"Supr", "Arch"} & form.tag.grammemes
        and (text.normalize(form.word)[:3] == word[:3] or parsed.normal_form in other_stems)
    }


def test_every_form_of_every_word_of_the_demo_catalog_finds_the_programs_that_have_it(personas, morphology):
    """The issue: no inflected form of a catalog word returns nothing. Every title, summary and
    description the demo catalog writes, and every case and number of each of their nouns and
    adjectives (pymorphy3's dictionary) must find every program with that word."""
    texts = sorted({(title, topic.summary, topic.description) for topic in TOPICS for title in topic.titles})
    organization = personas.org_a
    created = Program.objects.bulk_create(
        Program(
            organization=organization,
            municipality=organization.municipality,
            code=f"PR-FORMS{n:03d}",
            title=title,
            summary=summary,
            description=description,
            direction=Direction.ARTS,
            age_from=7,
            age_to=14,
            hours_total=144,
            duration_months=9,
            is_free=True,
            level_basic=True,
            status=ModerationStatus.PUBLISHED,
        )
        for n, (title, summary, description) in enumerate(texts)
    )
    search.refresh_search_documents([program.pk for program in created])
    programs = {program.pk: set(text.stems(" ".join(texts[n]))) for n, program in enumerate(created)}
    missed, forms_searched = [], 0
    for word in sorted({word for parts in texts for word in text.words(" ".join(parts)) if not word.isdigit()}):
        named = {pk for pk, stems in programs.items() if text.stem(word) in stems}
        for form in sorted(word_forms(morphology, word)):
            words = text.query_words(form)
            if not words:
                continue  # «детей», «кружков»: words that describe every program are not required
            forms_searched += 1
            found, _ = postings.matches(words)
            if any(not found >> pk & 1 for pk in named):
                missed.append((word, form))
    assert forms_searched > 5000 and missed == []


@pytest.mark.skipif("postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="PostgreSQL's dictionary")
def test_a_query_drops_every_stop_word_postgresql_leaves_out_of_documents(personas):
    """A stop word of PostgreSQL's `russian` dictionary is in no document there: a query kept with
    it would find nothing («свою»), and SQLite would find what PostgreSQL cannot."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT setting FROM pg_config WHERE name = 'SHAREDIR'")
        (sharedir,) = cursor.fetchone()
        cursor.execute("SELECT pg_read_file(%s)", [f"{sharedir}/tsearch_data/russian.stop"])
        (stop_file,) = cursor.fetchone()
    postgresql_stop_words = {text.normalize(line.strip()) for line in stop_file.splitlines() if line.strip()}
    assert len(postgresql_stop_words) > 100 and postgresql_stop_words - text.STOPWORDS == set()
    make_program(personas.org_a, "Свою игру придумываем сами")
    result = search_programs(SearchParams(q="свою"))
    assert result.total == 1 and text.query_words("свою") == []  # no words to search: every program


def test_titles_matching_the_query_come_before_descriptions_mentioning_it(catalog, personas):
    make_program(personas.org_a, "Мастерская юного инженера", summary="Робототехника и электроника для начинающих.")
    found = titles(q="робототехника")
    assert found.index("Робототехника") < found.index("Мастерская юного инженера")


def test_by_relevance_a_family_is_shown_first_what_it_can_join(catalog, personas):
    """Title matches first; among them and among the rest, programs with free seats before full
    ones, however popular (the most popular are the full ones)."""
    Group.objects.filter(program=catalog["Робототехника"]).update(seats_taken=F("capacity"))
    make_program(personas.org_a, "Робототехника для малышей", age_from=5, age_to=8)
    make_program(personas.org_a, "Мастерская юного инженера", summary="Робототехника и электроника для начинающих.")
    assert titles(q="робототехника") == ["Робототехника для малышей", "Робототехника", "Мастерская юного инженера"]
    assert titles(q="робототехника", sort="popular")[0] == "Робототехника"
    assert titles()[-1] == "Робототехника"  # the most popular, and full
    assert titles(age=7)[-1] == "Робототехника"  # no group for seven-year-olds with a seat


def test_filters_combine(catalog):
    assert titles(directions=("technical",), age=6) == ["Лего-конструирование"]
    assert titles(funding=("paid",)) == ["Программирование на Python"]
    assert titles(funding=("certificate",)) == ["3D-моделирование и прототипирование"]
    assert titles(ovz=True) == ["Юные экологи"]
    assert titles(forms=("mixed",)) == ["Театральная студия"]
    assert titles(forms=("distance",)) == ["Занимательная химия"]
    assert titles(levels=("initial",)) == ["Шахматы для начинающих"]
    assert titles(days=("5",)) == ["Футбол"]
    assert set(titles(directions=("sport", "tourism"), sort="title")) == {
        "Шахматы для начинающих",
        "Футбол",
        "Краеведение: история родного края",
    }


def test_municipality_and_organization_filters(catalog, personas):
    sport = set(titles(municipality=personas.municipality_y.oktmo))
    assert sport == {"Шахматы для начинающих", "Футбол"}
    assert set(titles(organization=personas.org_b.code)) == sport


def test_facet_counts_ignore_their_own_selection_and_respect_the_others(catalog):
    result = search_programs(SearchParams(directions=("technical",), age=12))
    directions = {f.value: f.count for f in result.facets["direction"]}
    assert directions["technical"] == 3  # Робототехника, Python, 3D (Лего ends at 8)
    assert directions["arts"] == 3
    assert result.total == 3
    funding = {f.value: f.count for f in result.facets["funding"]}
    assert funding == {"free": 1, "certificate": 1, "paid": 1}
    assert next(f for f in result.facets["direction"] if f.value == "technical").selected


def test_free_seats_filter_uses_live_group_seats(catalog):
    Group.objects.filter(program=catalog["Футбол"]).update(seats_taken=15)
    services.refresh_program_groups([catalog["Футбол"].pk])
    assert "Футбол" not in titles(free_seats=True)
    assert "Шахматы для начинающих" in titles(free_seats=True)


def chess_club(personas) -> tuple[Program, Group]:
    """A published program for 5–12 with a Monday group for 5–7 (returned) and a Saturday one for 10–12."""
    program = make_program(
        personas.org_a, "Шахматный клуб", age_from=5, age_to=12, with_group=False, status=ModerationStatus.DRAFT
    )
    younger = make_group(program, weekdays=(0,), age_from=5, age_to=7)
    make_group(program, weekdays=(5,), age_from=10, age_to=12)
    services.change_program_status(None, program, "submit")
    services.change_program_status(None, program, "approve")
    return program, younger


def test_the_days_the_free_seats_and_the_age_are_asked_of_one_group(client, personas):
    program, younger = chess_club(personas)
    Group.objects.filter(pk=younger.pk).update(seats_taken=F("capacity"))  # the Monday group is full
    services.refresh_program_groups([program.pk])

    def found(**params) -> bool:
        return titles(**params) == ["Шахматный клуб"]

    assert found(age=6) and found(free_seats=True) and found(days=("5",))  # each alone
    assert not found(age=8)  # within the program's ages, but no group takes eight-year-olds
    assert not found(age=6, free_seats=True)  # the six-year-olds' group is full
    assert not found(age=6, days=("5",)) and not found(age=8, days=("0", "5"))  # Saturdays are the older ones'
    assert not found(days=("0",), free_seats=True)
    assert found(age=11, days=("5",), free_seats=True) and found(days=("0", "5"), free_seats=True)
    # The counts say what ticking a value would find.
    facets = search_programs(SearchParams(age=6)).facets
    assert {f.value: f.count for f in facets["day"] if f.count} == {"0": 1}
    assert [f.count for f in facets["free_seats"]] == [0]
    facets = search_programs(SearchParams(age=11, free_seats=True)).facets
    assert {f.value: f.count for f in facets["day"] if f.count} == {"5": 1}
    # The API and the page search alike.
    assert client.get("/api/v1/programs", {"age": 6, "free_seats": "true"}).json()["total"] == 0
    assert client.get("/api/v1/programs", {"age": 11, "free_seats": "true"}).json()["total"] == 1
    body = client.get("/api/v1/programs", {"age": 6}).json()
    assert body["seats_for_age"] == {
        program.code: {
            "open_seats": 0,
            "closed_seats": 0,
            "current_groups": 1,
            "offering_groups": 1,
            "weekdays": [0],  # the six-year-olds' group's day, not the program's Saturday too
        }
    }
    assert (body["items"][0]["open_seats"], body["items"][0]["current_groups"], body["items"][0]["closed_seats"]) == (
        15,
        2,
        0,
    )
    assert client.get("/api/v1/programs").json()["seats_for_age"] == {}  # no age asked
    assert "Шахматный клуб" not in client.get("/programs/", {"age": 6, "day": "5"}).content.decode()
    # Its card tells the seats of the groups for the age searched for.
    assert "Для 6 лет мест нет" in client.get("/programs/", {"age": 6}).content.decode()
    assert "Свободных мест для 11 лет: 15" in client.get("/programs/", {"age": 11}).content.decode()
    # And the days of those groups: a card for an eleven-year-old says Saturday, not the little ones' Monday.
    assert "<span>Сб</span>" in client.get("/programs/", {"age": 11}).content.decode()
    assert "<span>Пн</span>" in client.get("/programs/", {"age": 6}).content.decode()
    assert "<span>Пн, Сб</span>" in client.get("/programs/").content.decode()
    assert "Свободных мест: 15" in client.get("/programs/").content.decode()
    Group.objects.filter(pk=younger.pk).update(seats_taken=3, is_locked=True)  # a child left; no one is taken
    assert "Для 6 лет приём закрыт" in client.get("/programs/", {"age": 6}).content.decode()


def test_a_range_of_ages_finds_programs_with_a_group_for_one_of_them(client, personas):
    program, younger = chess_club(personas)
    make_program(personas.org_a, "Шахматы для старшеклассников", age_from=15, age_to=17)
    Group.objects.filter(pk=younger.pk).update(seats_taken=F("capacity") - 2)
    services.refresh_program_groups([program.pk])

    assert titles(age=8, age_to=9) == []  # no group for those ages
    assert titles(age=7, age_to=10) == ["Шахматный клуб"]  # the younger group and the older one both
    assert titles(age=8, age_to=11, days=("0",)) == []  # Mondays are the little ones': a group for one of the ages
    assert titles(age=8, age_to=11, days=("5",)) == ["Шахматный клуб"]
    assert sorted(titles(age=12, age_to=15)) == ["Шахматный клуб", "Шахматы для старшеклассников"]
    # A card and the API count the seats of the groups for any of the ages.
    body = client.get("/api/v1/programs", {"age": 6, "age_to": 11}).json()
    assert body["seats_for_age"][program.code]["current_groups"] == 2
    assert body["seats_for_age"][program.code]["weekdays"] == [0, 5]
    assert client.get("/api/v1/programs", {"age": 6, "age_to": 7}).json()["seats_for_age"][program.code] == {
        "open_seats": 2,
        "closed_seats": 0,
        "current_groups": 1,
        "offering_groups": 1,
        "weekdays": [0],
    }
    assert "Свободных мест для 6–7 лет: 2" in client.get("/programs/", {"age": 6, "age_to": 7}).content.decode()
    # Said in the query, as families write it.
    assert client.get("/api/v1/programs", {"q": "шахматы 8-9 лет"}).json()["total"] == 0
    assert client.get("/api/v1/programs", {"q": "шахматы для подростков"}).json()["total"] == 2


def test_sorting_and_pagination(catalog):
    assert titles(sort="popular")[0] == "Робототехника"
    by_title = titles(sort="title", page_size=5)
    assert by_title == sorted(by_title)
    page2 = titles(sort="title", page_size=5, page=2)
    assert not set(by_title) & set(page2)
    result = search_programs(SearchParams(page_size=5))
    assert result.total == len(CATALOG)
    assert result.page_count == 3


def test_a_page_past_the_end_is_empty_or_the_last_one_when_asked(catalog):
    # The API pages until an empty page; a person following an old link gets the last page.
    assert search_programs(SearchParams(page_size=5, page=7)).programs == []
    result = search_programs(SearchParams(page_size=5, page=7), last_page_past_end=True)
    assert result.params.page == 3
    assert len(result.programs) == len(CATALOG) - 10


@pytest.fixture
def family_catalog(wider_catalog, personas):
    """The catalog and programs whose words families confuse with the ones they type."""
    more = [
        ("Беспилотные летательные аппараты", Direction.TECHNICAL, "Собираем и пилотируем дроны."),
        ("Спортивный туризм", Direction.TOURISM, "Походы, ориентирование, узлы."),
        ("Хоровое пение", Direction.ARTS, "Поём в хоре."),
        ("Изобразительное искусство", Direction.ARTS, "Акварель и гуашь."),
        ("Изучаем природу родного края", Direction.NATURAL_SCIENCE, "Экскурсии и наблюдения."),
        ("Химическая лаборатория", Direction.NATURAL_SCIENCE, "Опыты с веществами."),
        ("Юный химик", Direction.NATURAL_SCIENCE, "Первые опыты."),
    ]
    publish_all(personas, more, weekday=3)
    return wider_catalog


@pytest.mark.parametrize("query", ["аутизм", "бесплатный", "бесплатные"])
def test_a_real_word_the_catalog_lacks_is_not_turned_into_another(family_catalog, query):
    # «аутизм» is two edits from «туризм», «бесплатный» three from «беспилотные»: not typos of them.
    result = search_programs(SearchParams(q=query))
    assert (result.corrected_query, result.suggestion, result.total) == (None, None, 0)


@pytest.mark.parametrize(
    ("query", "must", "must_not"),
    [
        # A family's everyday word finds what programs are called (one way: «самбо» is not every sport).
        ("рисование", ["ИЗО-студия «Палитра»", "Изобразительное искусство"], ["Футбол"]),
        ("рисовать", ["ИЗО-студия «Палитра»", "Изобразительное искусство"], ["Театральная студия"]),
        ("петь", ["Хоровое пение", "Вокальная студия «Звонкие голоса»"], ["Танцы народов мира"]),
        ("пением", ["Хоровое пение", "Вокальная студия «Звонкие голоса»"], []),
        ("танцевать", ["Танцы народов мира", "Хореография: современный танец"], ["Вокальная студия «Звонкие голоса»"]),
        ("туризм", ["Спортивный туризм"], ["Футбол"]),
    ],
)
def test_the_words_families_use_find_what_programs_are_called(family_catalog, query, must, must_not):
    assert_finds(query, must, must_not)


@pytest.mark.parametrize(
    ("typed", "meant", "finds"), [("рисавать", "рисовать", "ИЗО-студия «Палитра»"), ("петь", None, "Хоровое пение")]
)
def test_a_misspelt_everyday_word_is_corrected_to_it(family_catalog, typed, meant, finds):
    # The catalog's vocabulary lacks what programs are not called: «рисавать» found nothing.
    result = search_programs(SearchParams(q=typed))
    assert result.corrected_query == meant and finds in [p.title for p in result.programs]


@pytest.mark.parametrize("query", ["петь", "ёлка", "ул. Центральная"])
def test_a_word_is_not_corrected_into_an_unrelated_one(catalog, query):
    # «петь» is one letter from «дети» (a stem of three letters: one edit is a third of it); «Центральная»
    # two from «театральная» (two edits keep the first letter, which people see).
    result = search_programs(SearchParams(q=query))
    assert result.corrected_query != "дети" and result.corrected_query != "театральная"
    assert text.closest_word(query.split()[-1].lower(), ["дети", "театральная", "мелкую"]) is None


def test_a_search_the_filters_empty_still_counts_what_another_filter_would_show(wider_catalog, personas):
    # «бальные танцы» in the other municipality: no program. The words are in the catalog all the same
    # («танцы»), so the page says it searched for «танцы» and the municipality filter counts them.
    result = search_programs(SearchParams(q="бальные танцы", municipality=personas.municipality_y.oktmo))
    assert (result.total, result.corrected_query) == (0, "танцы")
    counts = {value.value: value.count for value in result.facets["municipality"]}
    assert counts[personas.municipality_x.oktmo] == len(titles(q="танцы"))
    # A word the catalog has is not «corrected» into another because the filters leave nothing.
    result = search_programs(SearchParams(q="робототехника", municipality=personas.municipality_y.oktmo))
    assert (result.total, result.corrected_query) == (0, None)


def test_a_number_is_a_titles_or_an_organizations_not_an_age_in_a_description(personas):
    # «СОШ 12» found every program whose description said «детей 10–12 лет».
    aged = make_program(personas.org_a, "Шахматы", description="Занятия для детей 10–12 лет, 2 раза в неделю.")
    named = make_program(personas.org_a, "Театр «12 стульев»")
    modelling = make_program(personas.org_a, "Моделирование", description="Печатаем на 3D-принтере.")
    assert titles(q="12") == [named.title]
    assert aged.title in titles(q="шахматы") and modelling.title in titles(q="3d")


def test_a_word_of_the_dictionary_is_offered_a_correction_never_shown_instead(catalog):
    # «особый» became «собой» (614 programs), «стихи» «стили»: a real word is what the family meant.
    assert text.is_dictionary_word("вокзальная") and not text.is_dictionary_word("вакальная")
    real = search_programs(SearchParams(q="вокзальная"))
    assert (real.total, real.corrected_query, real.suggestion) == (0, None, "вокальная")
    typo = search_programs(SearchParams(q="вакальная"))
    assert typo.corrected_query == "вокальная" and typo.total == 1


def test_a_program_for_children_with_disabilities_is_found_by_the_word(personas):
    program = make_program(personas.org_a, "Музыкальная ритмика", disability_adapted=True)
    make_program(personas.org_a, "Ритмика для малышей")
    for query in ("инвалид", "для детей-инвалидов", "инвалидность"):
        assert titles(q=query) == [program.title], query


@pytest.mark.parametrize(("typed", "shown"), [("фтубол", "футбол"), ("футбалу", "футболу"), ("футбал", "футбол")])
def test_a_correction_is_shown_in_the_form_nearest_the_word_typed(typed, shown):
    # The vocabulary has the forms titles use; any form of the stem finds the same programs.
    assert text.closest_word(typed, ["футболу", "футбольный", "футбол"]) == shown


def test_a_suggestion_is_offered_only_where_it_finds_more(family_catalog):
    # «боровое» (a village) is a letter away from «хоровое», but no robotics program sings.
    result = search_programs(SearchParams(q="робототехника боровое"))
    assert result.suggestion is None and result.corrected_query == "робототехника"


def test_with_no_program_having_every_word_those_with_the_known_words_are_shown(family_catalog):
    result = search_programs(SearchParams(q="бальные танцы"))
    assert result.corrected_query == "танцы"
    assert "Танцы народов мира" in [p.title for p in result.programs]
    assert search_programs(SearchParams(q="бальные вальсы")).total == 0  # no word known: nothing to show


@pytest.mark.parametrize(
    ("query", "must", "must_not"),
    [
        # A short word the catalog does not have is the beginning of words, as typed: «изо» (из) — not «изучаем».
        ("изо", ["Изобразительное искусство", "ИЗО-студия «Палитра»"], ["Изучаем природу родного края"]),
        # A longer word with a short stem finds the words its stem begins: «химия» (хим).
        ("химия", ["Занимательная химия", "Химическая лаборатория", "Юный химик"], []),
    ],
)
def test_short_stems_of_longer_words(family_catalog, query, must, must_not):
    assert_finds(query, must, must_not)


@pytest.fixture
def everyday_catalog(family_catalog, personas):
    """The catalog and programs families look for in their own words."""
    more = [
        ("Конноспортивный клуб «Пегас»", Direction.SPORT, "Верховая езда и уход за лошадьми."),
        ("Учимся дружить", Direction.SOCIAL, "Учимся понимать себя и других."),
        ("Плавание", Direction.SPORT, "Учимся держаться на воде."),
        ("Английский для малышей", Direction.SOCIAL, "Песенки и игры на английском."),
        ("Астрономия для школьников", Direction.NATURAL_SCIENCE, "Звёздное небо и планеты."),
        ("Лепка из глины", Direction.ARTS, "Лепим посуду и игрушки."),
        ("Игра на гитаре", Direction.ARTS, "Аккорды и песни у костра."),
        ("Развитие речи", Direction.SOCIAL, "Звуки, слова и рассказы для дошкольников."),
        ("Летающие модели", Direction.TECHNICAL, "Строим планеры и воздушных змеев."),
    ]
    publish_all(personas, more, weekday=4)
    return family_catalog


@pytest.mark.parametrize(
    ("query", "must", "must_not"),
    [
        # A longer word whose short lexeme a consonant follows: «конный» (кон) begins «конноспортивный»,
        # not «конструирование».
        ("конный", ["Конноспортивный клуб «Пегас»"], ["Конструирование на Arduino", "Лего-конструирование"]),
        # A whole word of four letters begins only the words of titles: «пони» is not «понимать»…
        ("пони", [], ["Учимся дружить"]),
        ("гита", ["Игра на гитаре"], []),
        # …and finds itself whole, whatever its lexeme: «опыт» (оп) — «опыты».
        ("опыт", ["Химическая лаборатория", "Юный химик"], []),
        # Two letters begin too many words: «ит» is IT, not «история».
        ("ит", ["Программирование в Scratch", "Программирование на Python"], ["Краеведение: история родного края"]),
        ("айти", ["Программирование в Scratch"], ["Краеведение: история родного края"]),
        ("космос", ["Астрономия для школьников"], ["Футбол"]),
        ("керамика", ["Лепка из глины"], ["Футбол"]),
        ("балет", ["Хореография: современный танец"], ["Футбол"]),
        ("логопед", ["Развитие речи"], ["Футбол"]),
        ("художка", ["Изобразительное искусство"], ["Футбол"]),
    ],
)
def test_words_families_type_find_what_they_mean_and_no_more(everyday_catalog, query, must, must_not):
    assert_finds(query, must, must_not)


def test_with_no_program_having_every_word_the_fewest_words_are_left_out(everyday_catalog):
    # «малышей» says whom a program is for: it is left out, not taken as the subject.
    result = search_programs(SearchParams(q="плавание для малышей"))
    assert result.corrected_query == "плавание"
    assert [p.title for p in result.programs] == ["Плавание"]
    # A word the catalog lacks is left out alone: the others are all still required.
    result = search_programs(SearchParams(q="шахматы для начинающих ёлка"))
    assert result.corrected_query == "шахматы начинающих"
    assert [p.title for p in result.programs] == ["Шахматы для начинающих"]


def test_a_query_saying_only_whom_a_program_is_for_shows_every_program(client, catalog):
    result = search_programs(SearchParams(q="кружок для девочек", directions=(Direction.SPORT,)))
    assert result.corrected_query == ""
    assert sorted(p.title for p in result.programs) == sorted(t for t, d, _, _ in CATALOG if d == Direction.SPORT)
    html = client.get("/programs/", {"q": "для мальчиков", "direction": "sport"}).content.decode()
    assert "говорят, для кого программа, а не чему в ней учат" in html and "с выбранными фильтрами" in html
    assert "Футбол" in html
    # A word of what is taught is searched as it is: nothing is shown for a subject the catalog lacks.
    assert search_programs(SearchParams(q="вышивка для девочек")).total == 0


def test_a_russian_word_the_catalog_lacks_is_not_taken_for_a_typo_of_a_title_word(everyday_catalog):
    # «летний» is one edit from no title word but close to «летающие»: a word of the dictionary is what the
    # family meant, and a camp is not a flying model.
    result = search_programs(SearchParams(q="летний лагерь"))
    assert result.total == 0 and result.corrected_query is None


def test_a_query_typed_with_the_layout_not_switched_is_read_in_russian(catalog):
    result = search_programs(SearchParams(q="hj,jnjnt[ybrf"))
    assert result.corrected_query == "робототехника"
    assert "Робототехника" in [p.title for p in result.programs]
    # A word in Latin letters that programs use is found as it is.
    result = search_programs(SearchParams(q="python"))
    assert result.corrected_query is None and "Программирование на Python" in [p.title for p in result.programs]


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("if[vfns", "шахматы"), ("Gkfdfybt lkz ltntq", "Плавание для детей"), ("3d", None), ("танцы", None)],
)
def test_the_russian_layout_of_a_query(typed, meant):
    assert text.in_russian_layout(typed) == meant


@pytest.mark.parametrize(
    ("typed", "read", "title"),
    [
        ("robototehnika", "робототехника", "Робототехника"),
        ("shahmaty", "шахматы", "Шахматы для начинающих"),
        ("shakhmatami", "шахматы", "Шахматы для начинающих"),  # another spelling, another case
        ("horeografiya", "хореография", "Хореография: современный танец"),
        ("angliyskiy yazyk", "английский язык", "Английский язык для школьников"),
        ("Angliiskii", "английский", "Английский язык для школьников"),
        ("himiya", "химия", "Занимательная химия"),
        ("futbol", "футбол", "Футбол"),
        ("yunye ekologi", "юные экологи", "Юные экологи"),
        ("futboll", "футбол", "Футбол"),  # and a typo in it
    ],
)
def test_a_query_typed_in_latin_letters_is_read_in_russian(catalog, typed, read, title):
    result = search_programs(SearchParams(q=typed))
    assert result.corrected_query == read
    assert title in [p.title for p in result.programs]


def test_latin_letters_are_read_only_as_the_catalogs_words(catalog):
    # Words programs use are found as they are, without a notice; a Latin word spelling nothing the
    # catalog has finds nothing rather than something else.
    result = search_programs(SearchParams(q="python"))
    assert result.corrected_query is None and [p.title for p in result.programs] == ["Программирование на Python"]
    assert search_programs(SearchParams(q="zzyzx")).total == 0
    assert search_programs(SearchParams(q="tancy")).corrected_query == "танцы"  # a word of families, not titles
    # With a word in Russian beside it, the Latin one is read and the Russian kept.
    assert search_programs(SearchParams(q="shahmaty для начинающих")).corrected_query == "шахматы для начинающих"


def test_titles_sort_with_yo_as_ye(family_catalog):
    found = titles(q="", sort="title", page_size=100)
    assert found.index("Лёгкая атлетика") < found.index("Лего-конструирование")


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("танцы 5 лет", text.FiltersInQuery("танцы", age=5)),
        ("шахматы для 7 лет", text.FiltersInQuery("шахматы", age=7)),
        ("бесплатный кружок", text.FiltersInQuery("", funding=("free",))),
        ("футбол платно для 12 лет", text.FiltersInQuery("футбол", age=12, funding=("paid",))),
        ("робототехника по сертификату", text.FiltersInQuery("робототехника", funding=("certificate",))),
        ("робототехника пфдо", text.FiltersInQuery("робототехника", funding=("certificate",))),
        ("танцы для детей с ОВЗ", text.FiltersInQuery("танцы для детей", ovz=True)),
        # The categories of children with ОВЗ, in the forms that mean nothing else.
        ("шахматы для слабовидящих", text.FiltersInQuery("шахматы", ovz_categories=("visually_impaired",))),
        ("для глухих и слабослышащих", text.FiltersInQuery("", ovz_categories=("deaf", "hard_of_hearing"))),
        ("для незрячих", text.FiltersInQuery("", ovz_categories=("blind",))),
        ("музыка для слепых детей", text.FiltersInQuery("музыка детей", ovz_categories=("blind",))),
        (
            "рисование с нарушениями зрения",
            text.FiltersInQuery("рисование", ovz_categories=("blind", "visually_impaired")),
        ),
        ("танцы для детей с нарушениями речи", text.FiltersInQuery("танцы для детей", ovz_categories=("speech",))),
        ("ТНР", text.FiltersInQuery("", ovz_categories=("speech",))),
        ("лепка с ЗПР", text.FiltersInQuery("лепка", ovz_categories=("mental_delay",))),
        ("с задержкой психического развития", text.FiltersInQuery("", ovz_categories=("mental_delay",))),
        ("плавание РАС", text.FiltersInQuery("плавание", ovz_categories=("autism",))),
        ("для аутистов", text.FiltersInQuery("", ovz_categories=("autism",))),
        ("аутизм", text.FiltersInQuery("", ovz_categories=("autism",))),
        ("дети с расстройствами аутистического спектра", text.FiltersInQuery("", ovz_categories=("autism",))),
        ("шахматы ДЦП", text.FiltersInQuery("шахматы", ovz_categories=("musculoskeletal",))),
        (
            "с нарушениями опорно-двигательного аппарата",
            text.FiltersInQuery("", ovz_categories=("musculoskeletal",)),
        ),
        ("с умственной отсталостью", text.FiltersInQuery("", ovz_categories=("intellectual",))),
        ("с интеллектуальными нарушениями", text.FiltersInQuery("", ovz_categories=("intellectual",))),
        ("сложные дефекты", text.FiltersInQuery("", ovz_categories=("complex",))),
        ("ОВЗ слабовидящие", text.FiltersInQuery("", ovz=True, ovz_categories=("visually_impaired",))),
        # Words that mean something else: searched as they are.
        ("развитие речи", text.FiltersInQuery("развитие речи")),
        ("речи", text.FiltersInQuery("речи")),
        ("интеллектуальные игры", text.FiltersInQuery("интеллектуальные игры")),
        ("глухие согласные", text.FiltersInQuery("глухие согласные")),
        ("печать слепым методом", text.FiltersInQuery("печать слепым методом")),
        ("музыкальный слух", text.FiltersInQuery("музыкальный слух")),
        ("опорно-двигательный аппарат", text.FiltersInQuery("опорно-двигательный аппарат")),
        ("расы и народы", text.FiltersInQuery("расы и народы")),
        ("шахматы 10-12 лет", text.FiltersInQuery("шахматы", age=10, age_to=12)),  # a range of ages
        ("танцы от 3 до 7 лет", text.FiltersInQuery("танцы", age=3, age_to=7)),
        ("танцы 7–5 лет", text.FiltersInQuery("танцы", age=5, age_to=7)),
        ("танцы 7-7 лет", text.FiltersInQuery("танцы", age=7)),
        # Whom a program is for, said in words: the nouns' forms, not an organization's kind.
        ("плавание для малышей", text.FiltersInQuery("плавание", age=3, age_to=6)),
        (
            "английский для дошкольников бесплатно",
            text.FiltersInQuery("английский", age=3, age_to=6, funding=("free",)),
        ),
        ("кружки для подростков", text.FiltersInQuery("", age=12, age_to=17)),
        ("для подростков 14-15 лет", text.FiltersInQuery("", age=14, age_to=15)),  # the numbers say it closer
        ("подростковый клуб", text.FiltersInQuery("подростковый клуб")),
        ("английский для школьников", text.FiltersInQuery("английский", age=7, age_to=17)),
        ("физика для старшеклассников", text.FiltersInQuery("физика", age=15, age_to=17)),
        # An age group: the phrase whole, the adjective too (it was searched as text: «младших» found nothing).
        ("шахматы для младших школьников", text.FiltersInQuery("шахматы", age=7, age_to=10)),
        ("робототехника для младшеклассников", text.FiltersInQuery("робототехника", age=7, age_to=10)),
        ("кружки для детей среднего школьного возраста", text.FiltersInQuery("", age=11, age_to=14)),
        ("олимпиадная математика старших школьников", text.FiltersInQuery("олимпиадная математика", age=15, age_to=17)),
        ("танцы старшего дошкольного возраста", text.FiltersInQuery("танцы", age=5, age_to=6)),
        ("английский младшего дошкольного возраста", text.FiltersInQuery("английский", age=3, age_to=4)),
        ("плавание для детей дошкольного возраста", text.FiltersInQuery("плавание для детей", age=3, age_to=6)),
        ("театр школьного возраста", text.FiltersInQuery("театр", age=7, age_to=17)),
        ("младшая группа", text.FiltersInQuery("младшая группа")),
        ("средняя школа", text.FiltersInQuery("средняя школа")),
        ("старшая вожатая", text.FiltersInQuery("старшая вожатая")),
        ("школьный театр", text.FiltersInQuery("школьный театр")),
        ("танцы для детей 5-ти лет", text.FiltersInQuery("танцы для детей", age=5)),
        ("шахматы 2 год обучения", text.FiltersInQuery("шахматы 2 год обучения")),  # a year of study
        ("программа на 1 год", text.FiltersInQuery("программа на 1 год")),  # a duration
        ("*", text.FiltersInQuery("*")),
        ("фото 30 лет", text.FiltersInQuery("фото 30 лет")),  # not a child's age
        ("танцы по субботам", text.FiltersInQuery("танцы", days=(5,))),
        ("шахматы в среду и в пятницу", text.FiltersInQuery("шахматы", days=(2, 4))),
        ("рисование по субботам и воскресеньям", text.FiltersInQuery("рисование", days=(5, 6))),
        ("футбол в субботу или воскресенье", text.FiltersInQuery("футбол", days=(5, 6))),
        ("лепка пн ср пт", text.FiltersInQuery("лепка ср", days=(0, 4))),  # «ср» is also «средний»
        ("английский по будням", text.FiltersInQuery("английский", days=(0, 1, 2, 3, 4))),
        ("танцы и рисование", text.FiltersInQuery("танцы и рисование")),
        ("футбол на выходных", text.FiltersInQuery("футбол", days=(5, 6))),
        ("в понедельник", text.FiltersInQuery("", days=(0,))),
        ("среда программирования Scratch", text.FiltersInQuery("среда программирования Scratch")),
    ],
)
def test_an_age_a_way_of_paying_ovz_its_categories_or_days_written_into_the_query_are_filters(written, said):
    assert text.filters_in_query(written) == said


def test_a_typo_of_another_form_of_a_catalog_word_is_corrected(family_catalog):
    # The vocabulary has «хоровое» (a title's form): «хоравое», «хоравого» are one edit from its stem.
    for typo in ("хоравое", "хоравого"):
        result = search_programs(SearchParams(q=typo))
        assert "Хоровое пение" in [p.title for p in result.programs], typo


def test_a_three_letter_word_is_not_corrected(family_catalog):
    # «хоп» is one edit from «хор», a third of it: «хип-хоп» is not «хор».
    result = search_programs(SearchParams(q="хип-хоп"))
    assert (result.corrected_query, result.total) == (None, 0)


def test_words_no_program_has_together_show_the_programs_of_each(family_catalog):
    result = search_programs(SearchParams(q="футбол шахматы"))
    assert result.corrected_query == "футбол или шахматы"
    assert {"Футбол", "Шахматы для начинающих"} <= {p.title for p in result.programs}
    # A word only descriptions use is no title's: «опыты с роботами» shows robotics, not every «опыт».
    result = search_programs(SearchParams(q="робототехника акварель"))
    assert result.corrected_query == "робототехника"


def adapted_for(personas, title: str, *codes: str, **fields) -> Program:
    """A published program adapted for children with ОВЗ of these categories (by their codes)."""
    return make_program(personas.org_a, title, ovz_adapted=True, ovz_categories=codes, **fields)


@pytest.fixture
def ovz_catalog(personas):
    """Programs adapted for children of some categories, and programs whose words the categories' names share."""
    adapted_for(personas, "Шахматы без границ", "visually_impaired", "blind", direction=Direction.SPORT)
    adapted_for(personas, "Жестовое пение", "deaf", direction=Direction.ARTS)
    adapted_for(personas, "Общая физическая подготовка", "intellectual", direction=Direction.SPORT)
    adapted_for(personas, "Мир вокруг нас", direction=Direction.SOCIAL)  # adapted, no category said
    make_program(personas.org_a, "Шахматы для всех", direction=Direction.SPORT)
    make_program(personas.org_a, "Интеллектуальные игры", summary="Викторины, квизы, «Что? Где? Когда?».")
    make_program(personas.org_a, "Развитие речи", summary="Для дошкольников: звуки, слова, рассказ по картинке.")


def test_the_categories_of_children_are_not_words_of_a_program(ovz_catalog):
    # «Умственная отсталость (интеллектуальные нарушения)» was a word of «Общая физическая подготовка».
    assert titles(q="интеллектуальные игры") == ["Интеллектуальные игры"]
    assert titles(q="слабовидящие") == titles(q="глухие") == []
    assert titles(q="развитие речи") == ["Развитие речи"]


def test_the_category_filter_finds_programs_adapted_for_any_of_the_chosen(ovz_catalog):
    assert titles(ovz_categories=("visually_impaired",)) == ["Шахматы без границ"]
    assert set(titles(ovz_categories=("deaf", "intellectual"))) == {"Жестовое пение", "Общая физическая подготовка"}
    assert titles(ovz_categories=("autism",)) == []
    assert titles(q="шахматы", ovz_categories=("blind",)) == ["Шахматы без границ"]
    assert len(titles(ovz=True)) == 4  # the adapted program of no category too


def test_counts_per_category_ignore_its_own_selection_and_respect_the_others(ovz_catalog):
    result = search_programs(SearchParams(ovz_categories=("deaf",), directions=("sport",)))
    assert [p.title for p in result.programs] == []
    counts = {f.value: (f.count, f.selected) for f in result.facets["ovz_category"]}
    assert list(counts) == list(OvzCategory.objects.values_list("code", flat=True))  # every category, in order
    assert counts["visually_impaired"] == counts["blind"] == counts["intellectual"] == (1, False)
    assert counts["deaf"] == (0, True)  # not a sport
    labels = {f.value: f.label for f in result.facets["ovz_category"]}
    assert labels["visually_impaired"] == "Слабовидящие"
    # The other facets count with the categories chosen.
    directions = {f.value: f.count for f in result.facets["direction"]}
    assert (directions["arts"], directions["sport"], directions["technical"]) == (1, 0, 0)


@pytest.mark.django_db
def test_the_categories_said_in_a_query_are_the_dictionarys():
    load_dictionaries()  # a transactional test before may have flushed them
    codes = {code for codes in text.OVZ_CATEGORY_PHRASES.values() for code in codes}
    assert codes == set(OvzCategory.objects.values_list("code", flat=True))


def test_a_program_is_found_by_the_unit_it_is_held_in(personas):
    def unit(kind: UnitKind, name: str) -> OrganizationUnit:
        return OrganizationUnit.objects.create(organization=personas.org_a, kind=kind, name=name)

    robots = make_program(personas.org_a, "Робототехника", unit=unit(UnitKind.KVANTORIUM, "Кванториум «Орион»"))
    chemistry = make_program(personas.org_a, "Занимательная химия", unit=unit(UnitKind.TOCHKA_ROSTA, "Точка роста"))
    code = make_program(personas.org_a, "Основы алгоритмики", unit=unit(UnitKind.IT_CUBE, "IT-куб"))
    studio = make_program(personas.org_a, "Гончарная мастерская", unit=unit(UnitKind.OTHER, "Студия «Глина»"))
    make_program(personas.org_a, "Юные исследователи", description="Рост растений и наблюдения за погодой.")
    assert titles(q="кванториум") == titles(q="технопарк") == titles(q="орион") == [robots.title]
    assert titles(q="точка роста") == titles(q="точки роста") == [chemistry.title]
    assert titles(q="IT-куб") == [code.title]
    assert titles(q="студия глина") == [studio.title]
    assert titles(q="подразделение") == []  # the catch-all kind's label says nothing of a program


def test_a_word_the_catalog_lacks_is_offered_the_wider_one_that_finds_something(family_catalog, personas, client):
    publish_all(personas, [("Самбо", Direction.SPORT, "Борьба без оружия.")], weekday=2)
    result = search_programs(SearchParams(q="бокс"))
    # Nothing shown instead (boxing is not sambo), but the wider word offered: the family decides.
    assert (result.total, result.corrected_query, result.suggestion) == (0, None, "борьба")
    assert search_programs(SearchParams(q="боксом")).suggestion == "борьба"  # any form of it
    # Filters that leave nothing for the wider word either: nothing offered.
    assert search_programs(SearchParams(q="бокс", days=("4",))).suggestion is None
    # A word with no wider one, or a word the catalog has that the filters empty: nothing offered.
    assert search_programs(SearchParams(q="шашки")).suggestion is None
    assert search_programs(SearchParams(q="самбо", days=("4",))).suggestion is None
    html = client.get(reverse("navigator:search"), {"q": "бокс"}).content.decode()
    assert 'Возможно, вы искали: <a href="?q=%D0%B1%D0%BE%D1%80%D1%8C%D0%B1%D0%B0">борьба</a>' in html
