"""The bitset search index and the postings it reads agree with the database they summarize."""

import itertools
import math
import random
import threading
from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.db.models import F, Q
from django.utils import timezone

from catalog import postings, search_index, services
from catalog.models import Group, ModerationStatus, Organization, OvzCategory, Program, SearchPosting, StudyForm
from catalog.search import SearchParams, list_programs, published_programs, search_programs
from catalog.search_index import (
    Bits,
    CatalogIndex,
    build_in_background,
    build_index,
    catalog_version,
    current_index,
    new_catalog_version,
)
from core.testing import make_group, make_program

pytestmark = pytest.mark.django_db


def posting_bits() -> dict[str, tuple[int, int]]:
    return {
        row.lexeme: (int.from_bytes(row.programs, "little"), int.from_bytes(row.title_programs, "little"))
        for row in SearchPosting.objects.all()
    }


def test_incremental_postings_equal_a_rebuild_from_scratch(personas, published_program):
    program = make_program(personas.org_b, "Шахматы", direction="sport", actor=personas.operator_b)
    program.title = "Судомоделирование"
    program.summary = "Строим модели кораблей."
    services.save_program(personas.operator_b, program)
    services.change_program_status(personas.municipal_y, program, "approve_changes")  # published: moderated first
    incremental = {lexeme: bits for lexeme, bits in posting_bits().items() if bits != (0, 0)}
    postings.rebuild_postings()
    assert posting_bits() == incremental
    lexemes = {lexeme for lexeme, (programs, _) in incremental.items() if programs >> program.pk & 1}
    assert any(lexeme.startswith("судомодел") for lexeme in lexemes)
    assert not any(lexeme.startswith("шахмат") for lexeme in lexemes)  # the old title left no trace


def test_matches_need_every_word_and_title_matches_need_it_in_the_title(personas):
    robots = make_program(personas.org_a, "Робототехника", summary="Конструируем и программируем роботов.")
    python = make_program(personas.org_a, "Программирование на Python", summary="Пишем игры.")
    found, in_title = postings.matches(["программа"])
    assert found >> robots.pk & 1 and found >> python.pk & 1  # «программ…» begins words of both
    assert in_title >> python.pk & 1 and not in_title >> robots.pk & 1
    found, _ = postings.matches(["программируем", "роботов"])
    assert found >> robots.pk & 1 and not found >> python.pk & 1
    # A word the catalog lacks matches nothing, even beside known ones; a word in Latin letters has its range too.
    assert postings.matches(["роботов", "ябвгд"]) == (0, 0)
    found, in_title = postings.matches(["python"])
    assert found >> python.pk & 1 and in_title >> python.pk & 1 and not found >> robots.pk & 1
    assert postings.matches([]) == (0, 0)  # no words, nothing matched: callers search without text instead


FILTERS = {
    "directions": [(), ("technical",), ("technical", "arts")],
    "age": [None, 6, 13],
    "funding": [(), ("free",), ("paid", "certificate")],
    "free_seats": [False, True],
    "days": [(), ("5",), ("0", "5")],
}


def reference(params: SearchParams) -> set[int]:
    """The same conditions written as a database query, independently of the index: the days and
    free seats are asked of one current group, for the child's age when given."""
    q = Q()
    if params.directions:
        q &= Q(direction__in=params.directions)
    current = Group.objects.filter(is_active=True, end_date__gte=timezone.localdate())
    if params.age is not None:
        q &= Q(age_from__lte=params.age, age_to__gte=params.age)
        of_age = current.filter(
            Q(age_from__lte=params.age) | Q(age_from__isnull=True, program__age_from__lte=params.age),
            Q(age_to__gte=params.age) | Q(age_to__isnull=True, program__age_to__gte=params.age),
        )
        q &= ~Q(pk__in=current.values("program_id")) | Q(pk__in=of_age.values("program_id"))
    if params.funding:
        fields = {"free": "is_free", "certificate": "by_certificate", "paid": "is_paid"}
        funding = Q()
        for value in params.funding:
            funding |= Q(**{fields[value]: True})
        q &= funding
    if params.free_seats or params.days:
        groups = current
        if params.age is not None:
            groups = groups.filter(
                Q(age_from__lte=params.age) | Q(age_from__isnull=True, program__age_from__lte=params.age),
                Q(age_to__gte=params.age) | Q(age_to__isnull=True, program__age_to__gte=params.age),
            )
        if params.days:
            groups = groups.filter(schedule__weekday__in=[int(day) for day in params.days])
        if params.free_seats:
            groups = groups.filter(
                Q(enrollment_closes_at__isnull=True) | Q(enrollment_closes_at__gt=timezone.now()),
                is_locked=False,
                seats_taken__lt=F("capacity"),
            )
        q &= Q(pk__in=groups.values("program_id"))
    return set(published_programs().filter(q).values_list("pk", flat=True))


def test_index_filters_counts_and_order_agree_with_the_database(personas):
    for n, (direction, ages, paid) in enumerate(
        itertools.product(["technical", "arts", "sport"], [(5, 8), (10, 16)], [False, True])
    ):
        program = make_program(
            personas.org_a if n % 2 else personas.org_b,
            f"Программа {n}",
            direction=direction,
            age_from=ages[0],
            age_to=ages[1],
            is_free=not paid,
            is_paid=paid,
            price_per_month=1000 if paid else None,
            popularity=n * 7 % 5,
            with_group=False,
            status=ModerationStatus.DRAFT,
        )
        # The younger children on weekdays, the older on Saturdays; some groups full, one not yet announced.
        younger = make_group(program, weekdays=(0, 2), age_to=ages[0] + 1)
        older = make_group(program, weekdays=(5,), age_from=ages[0] + 2)
        Group.objects.filter(pk__in=[g.pk for g, full in ((younger, n % 4 == 1), (older, n % 3 == 0)) if full]).update(
            seats_taken=F("capacity")
        )
        services.change_program_status(None, program, "submit")
        services.change_program_status(None, program, "approve")
        if n == 5:
            Group.objects.filter(program=program).update(is_active=False)
    make_program(personas.org_a, "Черновик", status=ModerationStatus.DRAFT)
    for values in itertools.product(*FILTERS.values()):
        params = SearchParams(**dict(zip(FILTERS, values, strict=True)), page_size=50)
        result = search_programs(params)
        expected = reference(params)
        assert {p.pk for p in result.programs} == expected, params
        assert result.total == len(expected), params
        # By relevance: those with a free seat (for the age, when given) first, each part by popularity.
        free = reference(params.without(free_seats=True, days=()))
        order = [(p.pk not in free, -p.popularity) for p in result.programs]
        assert order == sorted(order), params
        counts = {
            (facet, v.value): v.count for facet in ("direction", "day", "free_seats") for v in result.facets[facet]
        }
        for (facet, value), count in counts.items():
            chosen = {
                "direction": {"directions": (value,)},
                "day": {"days": (value,)},
                "free_seats": {"free_seats": True},
            }[facet]
            assert count == len(reference(params.without(**chosen))), (params, facet, value)


def newest_first(program: Program) -> tuple[bool, float]:
    """The «new» order: latest published first, never published last."""
    return (program.published_at is None, -program.published_at.timestamp() if program.published_at else 0.0)


def test_every_bitset_and_order_of_the_index_follows_its_programs_row_by_row(personas):
    """The index is built column by column; here each program's row says where it belongs."""
    published_on = timezone.now() - timedelta(days=30)
    for n, (title, direction, form, ages, days) in enumerate(
        [
            ("бассейн", "sport", StudyForm.FULL_TIME, (5, 9), (0, 2)),
            ("Бассейн", "sport", StudyForm.MIXED, (7, 18), (5,)),
            ("Ансамбль", "arts", StudyForm.EXTRAMURAL, (16, 17), (6,)),
            ("Юный химик", "natural_science", StudyForm.FULL_TIME, (10, 14), (1, 3)),
        ]
    ):
        program = make_program(
            personas.org_a if n % 2 else personas.org_b,
            title,
            direction=direction,
            study_form=form,
            uses_distance_learning=n == 2,
            age_from=ages[0],
            age_to=ages[1],
            level_initial=n % 2 == 0,
            level_advanced=n == 3,
            ovz_adapted=n in (1, 3),
            ovz_categories=((), ("deaf", "blind"), (), ("deaf", "autism"))[n],
            is_free=n != 2,
            is_paid=n == 2,
            by_certificate=n == 3,
            price_per_month=1000 if n == 2 else None,
            popularity=n % 2,
            with_group=False,
            status=ModerationStatus.DRAFT,
        )
        make_group(program, weekdays=days)
        services.change_program_status(None, program, "submit")
        services.change_program_status(None, program, "approve")
    make_program(personas.org_a, "Черновик", status=ModerationStatus.DRAFT, ovz_adapted=True, ovz_categories=("deaf",))
    Program.objects.filter(title="Ансамбль").update(published_at=None)
    Program.objects.filter(title="бассейн").update(published_at=published_on)
    Group.objects.filter(program__title="Юный химик").update(seats_taken=F("capacity"))  # its group is full
    # Categories left on a program no longer adapted (written past save_program, which drops them) are not its.
    Program.objects.filter(title="Юный химик").update(ovz_adapted=False)
    # A program's place is its organization's when it is held at its address (organization B has no coordinates).
    Organization.objects.filter(pk=personas.org_a.pk).update(latitude=Decimal("56.25"), longitude=Decimal("40.5"))
    Program.objects.filter(title="Бассейн").update(address="г. Энск, бассейн «Волна»")  # held elsewhere
    index = build_index("v")
    rows = list(published_programs().select_related("organization", "municipality").order_by("-popularity", "id"))
    expected: dict[tuple[str, str], set[int]] = {}
    now = timezone.now()
    for row in rows:
        keys = [("direction", row.direction), ("form", row.study_form), ("municipality", row.municipality.oktmo)]
        keys += [("form", "distance")] if row.uses_distance_learning else []
        keys += [("level", v) for v, f in search_index.LEVEL_FIELDS.items() if getattr(row, f)]
        keys += [("funding", v) for v, f in search_index.FUNDING_FIELDS.items() if getattr(row, f)]
        keys += [("ovz", "1")] if row.ovz_adapted else []
        keys += [("ovz_category", category.code) for category in row.ovz_categories.all() if row.ovz_adapted]
        groups = list(row.groups.current().prefetch_related("schedule"))
        offering = [
            g for g in groups if not g.is_locked and (g.enrollment_closes_at is None or g.enrollment_closes_at > now)
        ]
        keys += [("free_seats", "1")] if any(g.seats_left for g in offering) else []
        keys += sorted({("day", str(slot.weekday)) for g in groups for slot in g.schedule.all()})
        takes = [g.ages for g in groups]  # a program with current groups suits the ages one of them takes
        keys += [
            ("age", str(a))
            for a in range(search_index.MAX_AGE + 1)
            if row.age_from <= a <= row.age_to and (not takes or any(low <= a <= high for low, high in takes))
        ]
        for key in keys:
            expected.setdefault(key, set()).add(row.pk)
    found = {key: {pid for pid in range(index.size) if bits >> pid & 1} for key, bits in index.bits.items()}
    assert {key: ids for key, ids in found.items() if ids} == expected
    assert ("free_seats", "1") in expected and ("form", "distance") in expected  # the catalog has each kind
    assert expected[("ovz_category", "deaf")] == {Program.objects.get(title="Бассейн").pk}  # not the draft's
    assert index.everything == Bits.from_ids([row.pk for row in rows], index.size)
    organizations: dict[str, list[int]] = {}
    for row in rows:
        organizations.setdefault(row.organization.code, []).append(row.pk)
    assert index.organizations == organizations
    assert index.orders == {
        "popular": [row.pk for row in rows],
        "title": [row.pk for row in sorted(rows, key=lambda row: row.title.lower())],
        "new": [row.pk for row in sorted(rows, key=newest_first)],
        "age": [row.pk for row in sorted(rows, key=lambda row: row.age_from)],
    }
    for name, order in index.orders.items():
        assert [int(index.ranks[name][pid]) for pid in order] == list(range(len(order)))
    places = {}
    for row in rows:
        organization = row.organization
        held_there = row.address in ("", organization.address) and organization.latitude is not None
        places[row.title] = held_there
        where = index.places[row.pk]
        if held_there:
            latitude, longitude = math.radians(organization.latitude), math.radians(organization.longitude)
            assert (math.asin(where[2]), math.atan2(where[1], where[0])) == pytest.approx((latitude, longitude))
            assert np.linalg.norm(where) == pytest.approx(1)
        else:
            assert np.isnan(where).all()
    assert places == {"бассейн": False, "Бассейн": False, "Ансамбль": False, "Юный химик": True}


def test_a_published_programs_new_categories_reach_the_index_once_approved(
    personas, django_capture_on_commit_callbacks
):
    program = make_program(personas.org_a, "Шахматы", ovz_adapted=True, ovz_categories=("blind",))

    def adapted_for(code: str) -> list[str]:
        return [p.title for p in search_programs(SearchParams(ovz_categories=(code,))).programs]

    version = catalog_version()
    with django_capture_on_commit_callbacks(execute=True):
        services.save_program(
            personas.operator_a, program, ovz_categories=OvzCategory.objects.filter(code__in=["blind", "deaf"])
        )
    # Held for moderation: families keep finding what was approved.
    assert (catalog_version(), adapted_for("deaf"), adapted_for("blind")) == (version, [], ["Шахматы"])
    with django_capture_on_commit_callbacks(execute=True):
        services.change_program_status(personas.municipal_x, program, "approve_changes")
    assert catalog_version() != version  # every process rebuilds its index
    assert adapted_for("deaf") == adapted_for("blind") == ["Шахматы"]


@pytest.mark.django_db(transaction=True)
def test_the_index_is_reused_until_stale_then_rebuilt_in_the_background(settings, personas):
    settings.OPORA_FACET_CACHE_SECONDS = 60
    search_index._index = None
    first = current_index()
    assert current_index() is first  # nothing changed: the same index
    make_program(personas.org_a, "Новая программа")
    new_catalog_version()
    assert current_index() is first  # changed, but younger than a minute: still served
    first.built_at -= 61
    assert current_index() is first  # the stale index answers while a new one is built
    for thread in threading.enumerate():
        if thread.name == "catalog-index":
            thread.join(10)
    rebuilt = current_index()
    assert rebuilt is not first and rebuilt.version == catalog_version()
    assert rebuilt.everything.bit_count() == first.everything.bit_count() + 1
    search_index._index = None


@pytest.mark.django_db(transaction=True)
def test_a_server_process_builds_the_index_before_the_first_search(settings, personas):
    settings.OPORA_FACET_CACHE_SECONDS = 60
    make_program(personas.org_a, "Шахматы")
    search_index._index = None
    build_in_background().join(30)
    built, published = search_index._index, Program.objects.filter(status="published").count()
    assert built is not None and built.everything.bit_count() == published > 0
    assert current_index() is built  # the first search finds it ready
    search_index._index = None


def test_index_of_an_empty_catalog():
    index = build_index("v")
    assert index.everything == 0
    assert index.top(0, "popular", 0, 20) == []


def test_a_process_rereads_the_catalog_version_at_most_once_a_second(settings):
    from django.core.cache import cache

    settings.OPORA_FACET_CACHE_SECONDS = 60
    new_catalog_version()
    mine = catalog_version()
    cache.set(search_index.CATALOG_VERSION_KEY, "changed-by-another-process", None)
    assert catalog_version() == mine  # read less than a second ago
    read_at, version = search_index._version_read
    search_index._version_read = (read_at - search_index.VERSION_SECONDS, version)
    assert catalog_version() == "changed-by-another-process"
    new_catalog_version()
    assert catalog_version() not in (mine, "changed-by-another-process")  # this process's own change: at once


def test_tests_and_short_facet_lifetimes_read_the_version_every_time(settings):
    from django.core.cache import cache

    settings.OPORA_FACET_CACHE_SECONDS = 0
    catalog_version()
    cache.set(search_index.CATALOG_VERSION_KEY, "changed-by-another-process", None)
    assert catalog_version() == "changed-by-another-process"


def test_a_page_of_programs_is_one_statement_in_the_order_asked(personas, django_assert_num_queries):
    first = make_program(personas.org_a, "Шахматы")
    second = make_program(personas.org_b, "Живопись", municipality=personas.municipality_y)
    hidden = make_program(personas.org_a, "Черновик", status=ModerationStatus.DRAFT)
    town = first.municipality.name
    with django_assert_num_queries(1):
        programs = list_programs([second.pk, hidden.pk, first.pk])
        assert [p.title for p in programs] == ["Живопись", "Шахматы"]  # unpublished left out
        assert [(p.organization.short_name, p.municipality.name) for p in programs] == [
            (personas.org_b.short_name, personas.municipality_y.name),
            (personas.org_a.short_name, town),
        ]
        assert programs[1].open_seats == 15 and programs[1].get_direction_display() == "Техническая"
    assert list_programs([]) == []
    with django_assert_num_queries(1):
        programs[0].description  # noqa: B018 -- a field the card does not show is read when asked


def test_set_bits_are_found_in_order():
    ids = [0, 1, 7, 8, 9, 63, 64, 500, 4095]
    bits = Bits.from_ids(ids, 4096)
    assert Bits.id_array(bits, 4096).tolist() == ids
    assert Bits.id_array(0, 4096).tolist() == []


@pytest.mark.parametrize("matched", [1, 5, 60, 300, 2000, 4000])
def test_a_page_is_the_first_matches_of_the_order_whether_sorted_or_walked(matched):
    """Narrow matches are sorted by rank, broad ones found by walking the order: the same page."""
    size = 4000
    rng = random.Random(matched)
    order = rng.sample(range(size), size)
    rank = np.zeros(size, dtype=np.int32)
    rank[order] = np.arange(size, dtype=np.int32)
    index = CatalogIndex("v", 0.0, size, Bits.from_ids(order, size), {}, {}, {"popular": order}, {"popular": rank})
    chosen = set(rng.sample(range(size), matched))
    expected = [pid for pid in order if pid in chosen]
    bits = Bits.from_ids(chosen, size)
    for start, count in [(0, 20), (20, 20), (40, 60)]:
        assert index.top(bits, "popular", start, count) == expected[start : start + count], (start, count)


@pytest.mark.parametrize("matched", [1, 5, 60, 300, 2000, 4000])
def test_the_nearest_first_equals_sorting_every_match_by_its_great_circle_distance(matched):
    """Found by the product of points on the sphere, over the matches or over the whole catalog: the order of
    distances by the haversine formula (to a program's nearest place: its own or a group's elsewhere), the most
    popular first among equally far, the unknown places last."""
    size = 4000
    rng = random.Random(matched)
    order = rng.sample(range(size), size)
    rank = np.zeros(size, dtype=np.int32)
    rank[order] = np.arange(size, dtype=np.int32)
    # Organizations of a region, several programs each (equally far), some places unknown.
    organizations = [(rng.uniform(54, 58), rng.uniform(38, 46)) for _ in range(size // 8)]
    where = [rng.choice(organizations) if rng.random() > 0.1 else (math.nan, math.nan) for _ in range(size)]
    latitudes, longitudes = np.radians(np.array(where)).T
    # A program in ten has groups in one to three other organizations' buildings.
    elsewhere = {pid: rng.sample(organizations, rng.randint(1, 3)) for pid in range(size) if rng.random() < 0.1}
    extra = [(pid, point) for pid in sorted(elsewhere) for point in elsewhere[pid]]
    extra_latitudes, extra_longitudes = np.radians(np.array([point for _, point in extra])).T
    index = CatalogIndex(
        "v", 0.0, size, Bits.from_ids(order, size), {}, {}, {"popular": order}, {"popular": rank},
        places=search_index.on_unit_sphere(latitudes, longitudes),
        group_places=search_index.GroupPlaces.of(
            np.array([pid for pid, _ in extra]),
            search_index.on_unit_sphere(extra_latitudes, extra_longitudes),
            [f"{point}" for _, point in extra],
            size,
        ),
    )  # fmt: skip
    here = (56.0, 42.0)

    def haversine(pid: int) -> float:
        return min([to(where[pid]), *(to(point) for point in elsewhere.get(pid, ()))])

    def to(point: tuple[float, float]) -> float:
        latitude, longitude = (math.radians(degrees) for degrees in point)
        if math.isnan(latitude):
            return math.inf
        half_chord = (
            math.sin((latitude - math.radians(here[0])) / 2) ** 2
            + math.cos(math.radians(here[0]))
            * math.cos(latitude)
            * math.sin((longitude - math.radians(here[1])) / 2) ** 2
        )
        return 2 * 6371.0 * math.asin(math.sqrt(half_chord))

    chosen = rng.sample(range(size), matched)
    expected = sorted(chosen, key=lambda pid: (round(haversine(pid), 6), rank[pid]))
    bits = Bits.from_ids(chosen, size)
    for start, count in [(0, 20), (20, 20), (40, 60)]:
        assert index.top(bits, "near", start, count, near=here) == expected[start : start + count], (start, count)
    known = [pid for pid in expected if haversine(pid) < math.inf]
    assert index.distances_km(known, here).tolist() == pytest.approx([haversine(pid) for pid in known], abs=1e-6)
    # The building named is that of the nearest group where it meets nearer than the program's own place.
    nearer_elsewhere = {
        pid: f"{min(elsewhere[pid], key=to)}"
        for pid in chosen
        if pid in elsewhere and min(map(to, elsewhere[pid])) < to(where[pid]) - 1e-6
    }
    assert index.nearest_places(chosen, here) == nearer_elsewhere


@pytest.mark.parametrize("matched", [0, 3, 40, 900, 3000])
def test_value_counts_equal_intersections_counted_one_by_one(matched):
    """Counted over the words a narrow match sets or over all of them: the same counts as Python's."""
    size = 3000
    rng = random.Random(matched)
    bits = {
        ("direction", "technical"): Bits.from_ids(rng.sample(range(size), 1200), size),
        ("direction", "sport"): Bits.from_ids(rng.sample(range(size), 700), size),
        ("day", "0"): Bits.from_ids(rng.sample(range(size), 2500), size),
        ("municipality", "99701000"): Bits.from_ids(range(0, size, 3), size),
        ("age", "7"): Bits.from_ids(range(size), size),  # a filter, not a facet: not counted
    }
    everything = Bits.from_ids(range(size), size)
    index = CatalogIndex("v", 0.0, size, everything, bits, {}, {"popular": []}, {})
    base = Bits.from_ids(rng.sample(range(size), matched), size)
    expected = {key: (base & value).bit_count() for key, value in bits.items() if key[0] != "age"}
    assert index.value_counts(base) == expected
    assert index.value_counts(base, "direction") == {k: n for k, n in expected.items() if k[0] == "direction"}
    assert index.value_counts(base, "level") == {}


def test_an_empty_catalog_counts_nothing():
    index = CatalogIndex("v", 0.0, 1, 0, {}, {}, {"popular": []}, {})
    assert index.value_counts(0) == {}
