"""Demo registry: the children organizations entered over the years, with their enrollments,
the municipalities' contingent figures, career-lesson participation and the roadmap targets.

Children follow their birth cohort in the population figures: most start a program between
five and ten and stay for years, some in two programs at once, so coverage by year emerges from
the enrollments instead of being written down.
"""

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from accounts.models import Role, RoleAssignment, User
from catalog.models import Direction, Group, ModerationStatus, Organization, Program
from core.bulk import insert_rows
from core.dates import full_years
from enrollment.models import SEAT_STATUSES, Application, ApplicationSource, ApplicationStatus
from monitoring.models import CareerLessonVisit, IndicatorCode, Target
from people.demo import BOY_NAMES, GIRL_NAMES, MALE_NAMES, NameMaker
from people.models import Child, EntryChannel
from territory.demo import POPULATION_YEARS_BACK, DemoRandom, Place
from territory.models import ChildPopulation, Contingent, Region

BATCH = 2000
CHILD_FIELDS = (
    "created_at",
    "updated_at",
    "uuid",
    "last_name",
    "first_name",
    "patronymic",
    "birth_date",
    "sex",
    "municipality",
    "has_ovz",
    "has_disability",
    "snils_cipher",
    "snils_digest",
    "birth_certificate_cipher",
    "birth_certificate_digest",
    "entered_via",
    "entered_by",
    "entered_organization",
)
BIRTH_DATE = CHILD_FIELDS.index("birth_date") - 2  # in the values of a child, which come after the timestamps
APPLICATION_FIELDS = (
    "created_at",
    "updated_at",
    "uuid",
    "code",
    "child",
    "applicant",
    "program",
    "organization",
    "municipality",
    "group",
    "status",
    "reason",
    "idempotency_key",
    "enrolled_on",
    "left_on",
    "source",
)
GRADUATED = "Завершил(а) обучение по программе"
# Where children go, as the regional statistics publish it (1-ДОП: arts first, then social, sport).
DIRECTION_WEIGHTS = (
    (Direction.ARTS, 0.29),
    (Direction.SOCIAL, 0.2),
    (Direction.SPORT, 0.22),
    (Direction.TECHNICAL, 0.14),
    (Direction.NATURAL_SCIENCE, 0.08),
    (Direction.TOURISM, 0.07),
)
ROADMAP = "Дорожная карта «Успех каждого ребенка»"
CONCEPT_2030 = "Концепция развития дополнительного образования детей до 2030 года"
# Source → indicator → year → percent. After 2024 the Concept 2030 sets coverage only (a region's table:
# 80 % in 2025 rising to 82 % in 2030); the other indicators have no published target for those years.
TARGETS = {
    ROADMAP: {
        IndicatorCode.CAREER_LESSONS: {2019: 30, 2020: 45, 2021: 55, 2022: 65, 2023: 75, 2024: 85},
        IndicatorCode.OVZ: {2020: 34, 2021: 45, 2022: 52, 2023: 64, 2024: 70},
        IndicatorCode.COVERAGE: {2024: 80},
        IndicatorCode.TECH_SCIENCE: {2024: 27},
    },
    CONCEPT_2030: {IndicatorCode.COVERAGE: {2025: 80, 2026: 81, 2027: 81, 2028: 81, 2029: 81, 2030: 82}},
}
CAREER_LESSONS = ("«Проектория»: открытый урок", "«Шоу профессий»", "Урок цифры")


@dataclass
class Registry:
    children: int
    enrollments: int
    career_visits: int


class _Seats:
    """Seats of this year's groups. The catalog's generator drew how full each group looks; from
    here on the seats are held by real applications: the registry's children fill them."""

    def __init__(self, programs: Sequence[Program]) -> None:
        self.groups: dict[int, list[Group]] = {p.pk: list(p.groups.all()) for p in programs}
        held = Counter(Application.objects.filter(status__in=SEAT_STATUSES).values_list("group", flat=True))
        self.taken: dict[int, int] = {g.pk: held[g.pk] for gs in self.groups.values() for g in gs}

    def take(self, program: Program, birth: date) -> Group | None:
        for group in self.groups[program.pk]:
            if self.taken[group.pk] < group.capacity and group.takes_child_born(birth):
                self.taken[group.pk] += 1
                return group
        return None

    def first(self, program: Program) -> Group | None:
        groups = self.groups[program.pk]
        return groups[0] if groups else None


def create_registry(
    rng: DemoRandom, names: NameMaker, places: Sequence[Place], today: date, entered_by: User, share: float = 1.0
) -> Registry:
    """Children of every cohort counted in the last years, `share` of them (1.0: as many as the
    organizations really teach; less for a quick demo whose coverage is then lower)."""
    programs = list(Program.objects.filter(status=ModerationStatus.PUBLISHED).prefetch_related("groups").order_by("pk"))
    # Programs by (municipality, direction, age) and by (municipality, age): a child goes where its age is taught.
    by_place: dict[tuple[int, str, int], list[Program]] = defaultdict(list)
    in_place: dict[tuple[int, int], list[Program]] = defaultdict(list)
    for program in programs:
        for age in range(program.age_from, program.age_to + 1):
            by_place[(program.municipality_id, program.direction, age)].append(program)
            in_place[(program.municipality_id, age)].append(program)
    seats = _Seats(programs)
    cohorts = _cohorts(places, today)
    now = timezone.now()
    children: list[tuple[Any, ...]] = []  # values of CHILD_FIELDS after the timestamps
    placed: list[tuple[int, Program, Group, date, date | None]] = []  # child index, program, group, in, out
    for place in places:
        municipality = place.municipality.pk
        for birth_year, size in cohorts[municipality].items():
            # Later cohorts are reached a little more: coverage grows year by year.
            reach = min(0.95, 0.84 + 0.006 * (birth_year - 2005))
            for _ in range(round(size * reach * share)):
                child = _child(rng, names, place, birth_year)
                birth, busy = child[BIRTH_DATE], set[int]()
                found = []
                for direction, start, end in _enrollment_spans(rng, birth_year, today):
                    # One still studying is in this year's group; one who left was of the program's ages then.
                    age = full_years(birth, today if end is None else start)
                    options, fallback = by_place[(municipality, direction, age)], in_place[(municipality, age)]
                    if spot := _place(rng, seats, options, fallback, birth if end is None else None, busy):
                        found.append((spot, start, end))
                if not found:
                    continue  # organizations enter the children they teach: no study, no record
                # Entered by the organization of its first program, from its list of children.
                children.append((*child, EntryChannel.IMPORT, entered_by.pk, found[0][0][0].organization_id))
                placed.extend((len(children) - 1, program, group, start, end) for (program, group), start, end in found)
    child_ids = insert_rows(Child, CHILD_FIELDS, [(now, now, *child) for child in children])
    applications = []
    for index, (child_index, program, group, start, end) in enumerate(placed):
        status, reason = (ApplicationStatus.ENROLLED, "") if end is None else (ApplicationStatus.EXPELLED, GRADUATED)
        code, uuid, key = rng.code(Application.CODE_PREFIX), rng.uuid4(), f"demo-registry-{index}"
        row = (
            now,
            now,
            uuid,
            code,
            child_ids[child_index],
            entered_by.pk,
            program.pk,
            program.organization_id,
            program.municipality_id,
            group.pk,
            status,
            reason,
            key,
            start,
            end,
            ApplicationSource.IMPORT,
        )
        applications.append(row)
    insert_rows(Application, APPLICATION_FIELDS, applications)
    changed = [g for gs in seats.groups.values() for g in gs if seats.taken[g.pk] != g.seats_taken]
    for group in changed:
        group.seats_taken = seats.taken[group.pk]
    Group.objects.bulk_update(changed, ["seats_taken"], batch_size=BATCH)
    visits = _career_visits(
        rng, [(pk, child[BIRTH_DATE]) for pk, child in zip(child_ids, children, strict=True)], today
    )
    insert_rows(CareerLessonVisit, ("child", "held_on", "title"), visits)
    _contingents(rng, places, today)
    return Registry(children=len(children), enrollments=len(applications), career_visits=len(visits))


def _cohorts(places: Sequence[Place], today: date) -> dict[int, dict[int, int]]:
    """Municipality → birth year → children of the cohorts aged 5–17 in a year the trend shows,
    from the population figures of the current year."""
    rows = ChildPopulation.objects.filter(
        municipality__in=[p.municipality for p in places], year=today.year
    ).values_list("municipality", "age", "count")
    result: dict[int, dict[int, int]] = defaultdict(dict)
    first_birth_year = today.year - POPULATION_YEARS_BACK - 18
    for municipality, age, count in rows:
        if age >= 5:
            result[municipality][today.year - age - 1] = count
    # Cohorts that have turned 18 since the first year shown: as large as the oldest one today.
    for cohorts in result.values():
        oldest = min(cohorts)
        for birth_year in range(first_birth_year, oldest):
            cohorts[birth_year] = cohorts[oldest]
    return result


def _child(rng: DemoRandom, names: NameMaker, place: Place, birth_year: int) -> tuple[Any, ...]:
    female = rng.random() < 0.49
    surnames = names.surname_pair(names.adult(female=False).last)
    father = rng.choice(MALE_NAMES)
    has_ovz = rng.random() < 0.035
    return (
        rng.uuid4(),
        surnames[1] if female else surnames[0],
        rng.choice(GIRL_NAMES) if female else rng.choice(BOY_NAMES),
        father[2] if female else father[1],
        date(birth_year, 1, 1) + timedelta(days=rng.randint(0, 364)),
        Child.Sex.FEMALE if female else Child.Sex.MALE,
        place.municipality.pk,
        has_ovz,
        has_ovz and rng.random() < 0.3,
        *("",) * 4,  # no identifiers: organizations' lists of earlier years rarely carried them
    )


def _enrollment_spans(rng: DemoRandom, birth_year: int, today: date) -> list[tuple[str, date, date | None]]:
    """(direction, enrolled, left or None) of a child's programs: most start between five and nine
    and keep studying for years, one in three in a second program as well."""
    start_year = birth_year + rng.randint(5, 9)
    keeps_on = rng.random() < 0.8
    last_year = birth_year + 17 if keeps_on else start_year + rng.randint(1, 4)
    if start_year >= today.year or last_year < today.year - POPULATION_YEARS_BACK:
        return []
    spans: list[tuple[str, date, date | None]] = []
    for _ in range(rng.weighted(((1, 0.65), (2, 0.27), (3, 0.08)))):
        begins = min(start_year + rng.randint(0, 2), today.year - 1)
        end = date(max(begins + 1, last_year + 1), 5, 31)
        start = date(begins, 9, 1) + timedelta(days=rng.randint(0, 20))
        spans.append((rng.weighted(DIRECTION_WEIGHTS), start, None if end >= today else end))
    return spans


def _place(
    rng: DemoRandom,
    seats: _Seats,
    options: Sequence[Program],
    fallback: Sequence[Program],
    studying_born: date | None,
    busy: set[int],
) -> tuple[Program, Group] | None:
    """A program of the chosen direction (else any of the municipality) and a group of it: for a
    child still studying (born `studying_born`), one with a free seat that takes its age; the first
    one for a past enrollment."""
    for pool in (options, fallback):
        for program in (rng.choice(pool) for _ in range(6 if pool else 0)):
            if program.pk in busy:
                continue
            group = seats.first(program) if studying_born is None else seats.take(program, studying_born)
            if group is not None:
                busy.add(program.pk)
                return program, group
    return None


def _career_visits(rng: DemoRandom, children: Sequence[tuple[int, date]], today: date) -> list[tuple[Any, ...]]:
    """Open lessons of this year (participation lists are loaded from this year on), school-age children."""
    visits = []
    for child_id, birth_date in children:
        if 7 <= today.year - birth_date.year <= 17 and rng.random() < 0.8:
            held_on = date(today.year, rng.randint(1, max(1, today.month - 1)), 15)
            visits.append((child_id, held_on, rng.choice(CAREER_LESSONS)))
    return visits


def _contingents(rng: DemoRandom, places: Sequence[Place], today: date) -> None:
    """Children with ОВЗ and school pupils per municipality and year, as the municipality reports them."""
    population = {
        (row["municipality"], row["year"]): row["total"]
        for row in ChildPopulation.objects.filter(age__gte=5)
        .values("municipality", "year")
        .annotate(total=Sum("count"))
    }
    pupils = {
        (row["municipality"], row["year"]): row["total"]
        for row in ChildPopulation.objects.filter(age__gte=7)
        .values("municipality", "year")
        .annotate(total=Sum("count"))
    }
    rows = []
    for place in places:
        for year in range(today.year - POPULATION_YEARS_BACK, today.year + 1):
            total = population.get((place.municipality.pk, year))
            if total is None:
                continue
            rows.append(
                Contingent(
                    municipality=place.municipality,
                    year=year,
                    children_with_ovz=round(total * rng.uniform(0.045, 0.055)),
                    # Pupils are reported with the career-lesson lists, loaded from this year on.
                    school_pupils=round(pupils[(place.municipality.pk, year)] * rng.uniform(0.93, 0.97))
                    if year == today.year
                    else None,
                )
            )
    Contingent.objects.bulk_create(rows, batch_size=BATCH)


def create_targets(region: Region) -> int:
    targets = [
        Target(indicator=indicator, region=region, year=year, percent=Decimal(value), source=source)
        for source, indicators in TARGETS.items()
        for indicator, values in indicators.items()
        for year, value in values.items()
    ]
    Target.objects.bulk_create(targets)
    return len(targets)


def delete_monitoring() -> None:
    Target.objects.all().delete()
    CareerLessonVisit.objects.all().delete()
    Contingent.objects.all().delete()


def create_duplicates(rng: DemoRandom, entered_by: User, count: int) -> tuple[int, int]:
    """Children entered a second time by another organization, with the slips people make: the
    registry merges the sure ones and queues the doubtful for the municipal operator.
    Returns (merged, queued)."""
    from people import registry

    merged = queued = 0
    operated = RoleAssignment.objects.filter(user=entered_by, role=Role.ORGANIZATION_OPERATOR).values("organization")
    organization = Organization.objects.filter(pk__in=operated).order_by("pk").first()
    originals = list(Child.objects.living().filter(guardians__isnull=True).order_by("pk")[: count * 20 : 20])
    for original in originals:
        slip = rng.choice(("yo", "day", "patronymic", "suffix"))
        copy = Child(
            last_name=original.last_name.replace("ё", "е") if slip == "yo" else original.last_name,
            first_name=original.first_name.replace("ё", "е"),
            patronymic="" if slip == "patronymic" else original.patronymic,
            birth_date=original.birth_date + timedelta(days=1) if slip == "day" else original.birth_date,
            sex=original.sex,
            municipality=original.municipality,
        )
        if slip == "suffix":
            copy.last_name = original.last_name + ("а" if original.sex == Child.Sex.MALE else "")
            copy.birth_date = original.birth_date + timedelta(days=1)
        result = registry.register_child(entered_by, copy, via=EntryChannel.IMPORT, organization=organization)
        merged += result.merged is not None
        queued += bool(result.review)
    return merged, queued
