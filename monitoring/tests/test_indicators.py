"""Indicator definitions on a small data set computed by hand, and against a naive recount."""

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from catalog.models import Direction, Organization, OrganizationKind, ProgramType
from core.testing import make_program
from enrollment.models import Application, ApplicationStatus
from monitoring import indicators, services
from monitoring.models import CareerLessonVisit, IndicatorCode
from people import registry
from people.models import Child
from territory.models import ChildPopulation, Contingent

YEAR = 2025
JAN_1 = date(YEAR, 1, 1)


def child(municipality, name: str, age_on_jan_1: int, *, days_before_birthday: int = 30, ovz: bool = False) -> Child:
    """A child who is `age_on_jan_1` full years old on 1 January of YEAR."""
    birth = JAN_1.replace(year=YEAR - age_on_jan_1) - timedelta(days=days_before_birthday)
    return Child.objects.create(
        last_name="Тестов", first_name=name, birth_date=birth, sex="m", municipality=municipality, has_ovz=ovz
    )


def enroll(operator, kid: Child, program, start: date, end: date | None = None) -> Application:
    """An enrollment as an organization's list records it: enrolled on `start`, expelled on `end`."""
    return Application.objects.create(
        child=kid,
        applicant=operator,
        program=program,
        group=program.groups.first(),
        status=ApplicationStatus.EXPELLED if end else ApplicationStatus.ENROLLED,
        enrolled_on=start,
        left_on=end,
        idempotency_key=f"{kid.pk}-{program.pk}-{start}",
    )


@pytest.fixture
def data(personas):
    p = personas
    x, y = p.municipality_x, p.municipality_y
    for age in range(4, 18):
        ChildPopulation.objects.create(municipality=x, year=YEAR, age=age, count=10 if age >= 5 else 50)
        ChildPopulation.objects.create(municipality=y, year=YEAR, age=age, count=5)
    Contingent.objects.create(municipality=x, year=YEAR, children_with_ovz=4, school_pupils=100)
    op = p.operator_a
    technical = make_program(p.org_a, "Робототехника", actor=op, direction=Direction.TECHNICAL, age_from=5, age_to=17)
    arts = make_program(p.org_a, "Рисунок", actor=op, direction=Direction.ARTS, age_from=5, age_to=17)
    sport = make_program(
        p.org_a, "Лыжные гонки", actor=op, direction=Direction.SPORT, program_type=ProgramType.SPORT_TRAINING
    )
    natural = make_program(
        p.org_b, "Юный эколог", actor=p.operator_b, direction=Direction.NATURAL_SCIENCE, age_from=5, age_to=17
    )
    kids = {
        "c1": child(x, "Первый", 10),
        "c2": child(x, "Второй", 7, ovz=True),
        "c3": child(x, "Третий", 12),
        "c4": child(x, "Четвёртый", 4),  # five in February: too young on 1 January
        "c5": child(x, "Пятый", 17, days_before_birthday=1),  # 18 the next day: still counted
        "c6": child(x, "Шестой", 18),
        "c7": child(y, "Седьмой", 9),
        "c8": child(x, "Восьмой", 10),
        "c9": child(x, "Девятый", 11),
    }
    enroll(op, kids["c1"], technical, date(2024, 9, 1))
    enroll(op, kids["c1"], arts, date(2025, 2, 1))
    enroll(op, kids["c2"], arts, date(2024, 9, 1), date(2025, 3, 1))
    enroll(p.operator_b, kids["c3"], natural, date(2023, 9, 1), date(2024, 5, 31))
    enroll(op, kids["c4"], arts, date(2025, 3, 1))
    enroll(op, kids["c5"], sport, date(2022, 9, 1))
    enroll(op, kids["c6"], arts, date(2024, 9, 1))
    enroll(op, kids["c7"], technical, date(2025, 9, 1), date(2025, 12, 31))
    Application.objects.create(
        child=kids["c8"],
        applicant=op,
        program=arts,
        status=ApplicationStatus.NEW,
        idempotency_key="c8",
    )
    enroll(op, kids["c9"], arts, date(2026, 1, 10))
    for kid, day, title in (("c1", 3, "Проектория"), ("c1", 4, "Шоу профессий"), ("c2", 5, "Проектория")):
        CareerLessonVisit.objects.create(child=kids[kid], held_on=date(YEAR, day, 1), title=title)
    CareerLessonVisit.objects.create(child=kids["c3"], held_on=date(2024, 4, 1), title="Проектория")
    return kids


def test_birth_dates_counted_are_five_to_seventeen_on_first_january():
    born_after, born_until = indicators.birth_dates_counted(2025)
    assert born_after == date(2007, 1, 1)  # born 2007-01-01 is 18 on 2025-01-01: excluded
    assert born_until == date(2020, 1, 1)  # born 2020-01-01 is exactly 5: included


def test_figures_of_a_hand_computed_year(personas, data):
    figures = indicators.figures_by_municipality(YEAR)
    x = figures[personas.municipality_x.pk]
    assert (x.population, x.covered, x.tech_science, x.ovz_covered) == (130, 3, 1, 1)
    assert x.by_direction == {
        Direction.TECHNICAL: 1,
        Direction.NATURAL_SCIENCE: 0,
        Direction.ARTS: 2,
        Direction.SPORT: 1,
        Direction.TOURISM: 0,
        Direction.SOCIAL: 0,
    }
    assert x.percent(IndicatorCode.COVERAGE) == Decimal("2.3")
    assert x.percent(IndicatorCode.OVZ) == Decimal("25.0")
    assert (x.career_participants, x.school_pupils) == (2, 100)
    assert x.percent(IndicatorCode.CAREER_LESSONS) == Decimal("2.0")
    y = figures[personas.municipality_y.pk]
    # Placed where the child lives, not where the organization is.
    assert (y.population, y.covered, y.tech_science) == (65, 1, 1)
    assert y.percent(IndicatorCode.OVZ) is None  # no contingent figures: unknown, not zero
    region = indicators.total(figures.values())
    assert (region.population, region.covered, region.tech_science) == (195, 4, 2)
    assert region.percent(IndicatorCode.COVERAGE) == Decimal("2.1")
    assert region.percent(IndicatorCode.OVZ) == Decimal("25.0")


def test_a_child_in_the_past_year_counts_there(personas, data):
    x = indicators.figures_by_municipality(2024)[personas.municipality_x.pk]
    # c1 (since Sep 2024), c2 (ovz), c3 (until May 2024), c5, c6 (17 on 1 Jan 2024); c4 only from 2025.
    assert x.covered == 5
    assert x.by_direction[Direction.NATURAL_SCIENCE] == 1


def test_territory_filter_and_breakdowns(personas, data):
    only_y = indicators.figures_by_municipality(YEAR, [personas.municipality_y.pk])
    assert set(only_y) == {personas.municipality_y.pk}
    x_ids = [personas.municipality_x.pk]
    assert indicators.children_by_organization(YEAR, x_ids) == {personas.org_a.pk: 3}
    assert indicators.children_by_kind_and_funding(YEAR, x_ids) == ({"udo": 3}, {"budget": 3})
    assert indicators.children_by_kind_and_funding(YEAR, []) == ({}, {})


def test_kinds_funding_and_organizations_agree_with_a_naive_recount(personas):
    """Children in programs of two kinds of organization under every combination of sources of
    funding; each child counted once per kind, per funding (the program's first source: budget,
    certificate, paid) and per organization, as Python sets count them."""
    rng = random.Random(11)
    x, y = personas.municipality_x, personas.municipality_y
    Organization.objects.filter(pk=personas.org_b.pk).update(kind=OrganizationKind.SCHOOL)
    funding_ways = [
        {"is_free": free, "by_certificate": certificate, "is_paid": paid, "price_per_month": 1000 if paid else None}
        for free in (True, False)
        for certificate in (True, False)
        for paid in (True, False)
        if free or certificate or paid
    ]
    programs = [
        (make_program(organization, f"П{n}", actor=operator, age_from=5, age_to=17, **way), kind)
        for organization, operator, kind in (
            (personas.org_a, personas.operator_a, OrganizationKind.UDO),
            (personas.org_b, personas.operator_b, OrganizationKind.SCHOOL),
        )
        for n, way in enumerate(funding_ways)
    ]
    kinds: dict[str, set[int]] = {}
    funding: dict[str, set[int]] = {}
    organizations: dict[int, set[int]] = {}
    for n in range(80):
        kid = child(rng.choice([x, y]), f"Ребёнок{n}", rng.randint(3, 19))
        for program, kind in rng.sample(programs, rng.randint(0, 3)):
            start = date(rng.randint(2024, 2026), rng.randint(1, 12), 1)
            end = start + timedelta(days=rng.randint(30, 400)) if rng.random() < 0.3 else None
            enroll(personas.operator_a, kid, program, start, end)
            born_after, born_until = indicators.birth_dates_counted(YEAR)
            active = start <= date(YEAR, 12, 31) and (end is None or end >= JAN_1)
            if active and born_after < kid.birth_date <= born_until:
                source = "budget" if program.is_free else "certificate" if program.by_certificate else "paid"
                kinds.setdefault(kind, set()).add(kid.pk)
                funding.setdefault(source, set()).add(kid.pk)
                organizations.setdefault(program.organization_id, set()).add(kid.pk)
    assert len(funding) == 3 and len(kinds) == 2  # the draw reached every value
    ids = [x.pk, y.pk]
    by_kind, by_funding = indicators.children_by_kind_and_funding(YEAR, ids)
    assert by_kind == {kind: len(kids) for kind, kids in kinds.items()}
    assert by_funding == {source: len(kids) for source, kids in funding.items()}
    assert list(by_funding.values()) == sorted(by_funding.values(), reverse=True)  # the most first
    assert indicators.children_by_organization(YEAR, ids) == {pk: len(kids) for pk, kids in organizations.items()}


def test_sql_agrees_with_a_naive_recount(personas):
    """Random children and enrollments; every count recomputed with Python sets."""
    rng = random.Random(7)
    op, x, y = personas.operator_a, personas.municipality_x, personas.municipality_y
    programs = [
        make_program(personas.org_a, f"П{d}", actor=op, direction=d, age_from=5, age_to=17) for d in Direction.values
    ]
    spans = []
    for n in range(120):
        kid = child(rng.choice([x, y]), f"Ребёнок{n}", rng.randint(2, 20), ovz=rng.random() < 0.2)
        for program in rng.sample(programs, rng.randint(0, 3)):
            start = date(rng.randint(2023, 2026), rng.randint(1, 12), 1)
            end = start + timedelta(days=rng.randint(30, 700)) if rng.random() < 0.5 else None
            enroll(op, kid, program, start, end)
            spans.append((kid, program.direction, start, end))
    born_after, born_until = indicators.birth_dates_counted(YEAR)
    expected: dict[int, dict[str, set[int]]] = {}
    for kid, direction, start, end in spans:
        active = start <= date(YEAR, 12, 31) and (end is None or end >= JAN_1)
        if not (active and born_after < kid.birth_date <= born_until):
            continue
        sets = expected.setdefault(kid.municipality_id, {"all": set(), "tech": set(), "ovz": set()})
        sets["all"].add(kid.pk)
        sets.setdefault(direction, set()).add(kid.pk)
        if direction in (Direction.TECHNICAL, Direction.NATURAL_SCIENCE):
            sets["tech"].add(kid.pk)
        if kid.has_ovz:
            sets["ovz"].add(kid.pk)
    figures = indicators.figures_by_municipality(YEAR)
    assert set(figures) == set(expected)
    for municipality, sets in expected.items():
        f = figures[municipality]
        assert (f.covered, f.tech_science, f.ovz_covered) == (len(sets["all"]), len(sets["tech"]), len(sets["ovz"]))
        for direction in Direction.values:
            assert f.by_direction[direction] == len(sets.get(direction, ()))


def test_an_operators_merge_recounts_the_cached_figures(personas, data, settings, django_capture_on_commit_callbacks):
    """A region's and its municipality's figures are cached apart: after a merge decided by an operator
    neither may go on counting the two records as two children."""
    settings.OPORA_INDICATOR_CACHE_SECONDS = 300
    x = personas.municipality_x.pk
    assert services.figures(YEAR, (x,))[x].covered == 3
    with django_capture_on_commit_callbacks(execute=True):
        registry.merge_children(personas.municipal_x, data["c1"], data["c5"], automatic=True)
    assert services.figures(YEAR, (x,))[x].covered == 3  # an automatic merge: recounted with its list
    with django_capture_on_commit_callbacks(execute=True):
        registry.merge_children(personas.municipal_x, data["c1"], data["c2"])
    assert services.figures(YEAR, (x,))[x].covered == 1
